"""Benchmarks: scale, round trips, HTTP, browser and memory. Results in docs/PERFORMANCE.md."""
