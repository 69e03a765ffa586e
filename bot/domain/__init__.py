"""Outpost's domain: operations, their steps and the rules for user input.

Nothing here talks to Slack or AWS, so every rule can be tested as plain Python.
"""
