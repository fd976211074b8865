"""rnnlab.inspect"""
