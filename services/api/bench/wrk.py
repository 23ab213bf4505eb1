"""Drives one endpoint with wrk and reads its figures back from a Lua `done` hook as JSON.

wrk, not a Python client, because the load generator shares the machine's two cores with the
server: measured against /health/live, wrk spent ≈ 40 µs of CPU per request, an httpx async client
≈ 3 ms. One wrk thread leaves the other core to the server (and Postgres and Redis).
"""

from __future__ import annotations

import json
import os
import subprocess
import tempfile
from dataclasses import dataclass
from pathlib import Path

# POST bodies pick a random product so orders do not all queue on one row lock.
WRK_SCRIPT = r"""
local max_id = tonumber(os.getenv("BENCH_MAX_ID") or "1")
wrk.method = os.getenv("BENCH_METHOD") or "GET"
wrk.headers["X-API-Key"] = os.getenv("BENCH_API_KEY")
if wrk.method == "POST" then
  wrk.headers["Content-Type"] = "application/json"
  request = function()
    local body = string.format('{"items":[{"product_id":%d,"quantity":1}]}', math.random(1, max_id))
    return wrk.format(nil, nil, nil, body)
  end
end
done = function(summary, latency, requests)
  local e = summary.errors
  io.write(string.format(
    'BENCH_JSON {"requests":%d,"duration_us":%d,"status_errors":%d,"socket_errors":%d,'
      .. '"p50_us":%d,"p99_us":%d}\n',
    summary.requests, summary.duration, e.status, e.connect + e.read + e.write + e.timeout,
    latency:percentile(50), latency:percentile(99)))
end
"""


@dataclass(frozen=True)
class LoadResult:
    rps: float
    p50_ms: float
    p99_ms: float
    requests: int
    failed: int
    server_cpu_us: float = 0.0  # the server's CPU time per request, filled in by the caller


def run_wrk(
    url: str, *, seconds: float, connections: int, api_key: str, method: str = "GET", max_product_id: int = 1
) -> LoadResult:
    with tempfile.NamedTemporaryFile("w", suffix=".lua", delete=False) as script:
        script.write(WRK_SCRIPT)
    env = {
        **os.environ,
        "BENCH_METHOD": method,
        "BENCH_API_KEY": api_key,
        "BENCH_MAX_ID": str(max_product_id),
    }
    try:
        result = subprocess.run(
            [
                "wrk",
                "-t1",
                f"-c{connections}",
                f"-d{seconds:.0f}s",
                "--timeout",
                "5s",
                "-s",
                script.name,
                url,
            ],
            capture_output=True,
            text=True,
            env=env,
            timeout=seconds + 60,
            check=True,
        )
    finally:
        Path(script.name).unlink(missing_ok=True)
    line = next((ln for ln in result.stdout.splitlines() if ln.startswith("BENCH_JSON ")), None)
    if line is None:
        raise RuntimeError(f"wrk printed no figures:\n{result.stdout}\n{result.stderr}")
    figures = json.loads(line.removeprefix("BENCH_JSON "))
    seconds_measured = figures["duration_us"] / 1e6
    return LoadResult(
        rps=figures["requests"] / seconds_measured,
        p50_ms=figures["p50_us"] / 1000,
        p99_ms=figures["p99_us"] / 1000,
        requests=figures["requests"],
        failed=figures["status_errors"] + figures["socket_errors"],
    )
