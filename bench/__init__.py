"""Benchmarks: bench/run.py. A package so that tests import its pure parts (the README tables)."""
