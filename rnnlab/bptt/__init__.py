"""Backpropagation through time, written out by hand, one autograd Function per family."""

BACKENDS = ("bptt", "reference")  # hand-written backward | plain autograd through the loop
