"""Speed and accuracy benchmarks (``make bench``); results are kept in BENCHMARKS.md."""
