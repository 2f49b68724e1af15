"""The benchmark: synthetic data at any scale (``bench.generate``) and the load and batch
measurements behind ``make bench`` (``bench.run``). See ``docs/performance.md``."""
