"""Everything the locustfile needs, and nothing else: the loadgen image copies only this package.

It imports only the standard library, its own modules and the image's requirements (Locust,
pydantic, PyYAML, psutil); `tests/unit/test_boundaries.py` keeps it that way.
"""
