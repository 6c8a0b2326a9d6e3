"""Evaluation suites (data), runner and scorers, kept apart from the agents they measure."""
