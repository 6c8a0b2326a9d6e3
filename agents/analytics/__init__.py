"""Batch analysis of verbatims: why customers feel what they feel (`ressenti analyze`)."""
