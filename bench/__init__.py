"""Benchmarks (`make bench`): each prints the figures it measured and the machine it ran on."""
