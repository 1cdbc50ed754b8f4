"""Drives the real product from outside, for the tests and the benchmarks alike: a `ponto-slack serve`
process reached over HTTP through the stand-ins' pages, the suite's shifted clock, and the scoring of
the matcher on the evaluation set. Nothing of the app imports it.
"""
