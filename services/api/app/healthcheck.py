"""`python -m app.healthcheck [PATH]`: exit 0 when http://127.0.0.1:$PORT/PATH answers 200.

Standard library only, so it works in the slim image (no curl) and costs little per probe. On
failure it prints why (status and body, or the connection error): Docker keeps that output in the
container's health log, which is what `scripts/up` shows for a replica that never became ready.
"""

from __future__ import annotations

import os
import sys
import urllib.error
import urllib.request

TIMEOUT_SECONDS = 3.0
SHOWN_BYTES = 300


def probe(path: str = "/health/live", port: int | None = None) -> tuple[bool, str]:
    """(healthy, why not)."""
    port = port or int(os.environ.get("PORT", "8000"))
    url = f"http://127.0.0.1:{port}/{path.lstrip('/')}"
    try:
        with urllib.request.urlopen(url, timeout=TIMEOUT_SECONDS) as response:
            return response.status == 200, f"HTTP {response.status}"
    except urllib.error.HTTPError as error:
        return False, f"HTTP {error.code} {error.read(SHOWN_BYTES).decode(errors='replace')}"
    except (urllib.error.URLError, OSError) as error:
        return False, f"{url}: {error}"


if __name__ == "__main__":
    healthy, why = probe(sys.argv[1] if len(sys.argv) > 1 else "/health/live")
    if not healthy:
        print(why)
    sys.exit(0 if healthy else 1)
