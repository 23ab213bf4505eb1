"""Benchmarks of the service: wrk driving named routes (`wrk`), CPU counters of processes and
containers (`cpu`), the ratio maths (`figures`), and `python -m kit.bench` (scripts/bench-stack):
the same figures through a throw-away stack."""
