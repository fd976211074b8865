"""rnnlab.viz"""
