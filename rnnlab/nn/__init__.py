"""rnnlab.nn"""
