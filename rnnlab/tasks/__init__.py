"""rnnlab.tasks"""
