"""Benchmarks: `make bench` (python -m bench). See README "Performance"."""
