"""Backpropagation through time, written out by hand, one autograd Function per family."""
