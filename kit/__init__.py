"""The project's toolkit: what the scripts, the tests, the load suite's host side and the
benchmarks share (stack outputs, both engines' up/down, throw-away local servers, backups).

Installed editable with the project (`pip install -e .`), so it imports as `kit` everywhere
without import-path settings. The Pulumi program imports only `kit.contract` from it.
"""
