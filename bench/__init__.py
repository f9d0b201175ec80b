"""Benchmarks of the matcher: synthetic regions, the naive baseline and the timing scripts.

``python -m bench.matching --listings N --json`` is the entry point (see docs/performance.md).
"""
