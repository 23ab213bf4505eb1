"""Load suites: Locust scenarios, load profiles, the SLO gate, baseline regression and reports.

Run through `scripts/load` (or `python -m load`); see docs/load.md.
"""
