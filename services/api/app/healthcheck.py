"""`python -m app.healthcheck [PATH]`: exit 0 when http://127.0.0.1:$PORT/PATH answers 200.

Standard library only, so it works in the slim image (no curl) and costs little per probe.
"""

from __future__ import annotations

import os
import sys
import urllib.error
import urllib.request

TIMEOUT_SECONDS = 3.0


def probe(path: str = "/health/live", port: int | None = None) -> bool:
    port = port or int(os.environ.get("PORT", "8000"))
    url = f"http://127.0.0.1:{port}/{path.lstrip('/')}"
    try:
        with urllib.request.urlopen(url, timeout=TIMEOUT_SECONDS) as response:
            return bool(response.status == 200)
    except (urllib.error.URLError, OSError):
        return False


if __name__ == "__main__":
    sys.exit(0 if probe(sys.argv[1] if len(sys.argv) > 1 else "/health/live") else 1)
