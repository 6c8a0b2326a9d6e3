"""Benchmarks: medians and ratios measured in the same run (`make bench`)."""
