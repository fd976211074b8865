"""rnnlab.train"""
