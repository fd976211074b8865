"""rnnlab.models"""
