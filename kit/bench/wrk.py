"""Drives one named route of the API with wrk and reads its figures back from a Lua `done` hook.

wrk, not a Python client, because the load generator shares the machine's two cores with the
server: measured against /health/live, wrk spent ≈ 40 µs of CPU per request, an httpx async client
≈ 3 ms. One wrk thread leaves the other core to the server (and PostgreSQL and Redis); with one
thread there is one Lua state, so the counters below number requests across all connections.

Routes (`ROUTES`): what a request of each looks like. Ids are drawn from 1..BENCH_MAX_ID (the
catalogue); `delete` takes consecutive ids from BENCH_FIRST_ID, so each id is deleted once;
`search_uncached` adds a parameter the API ignores but its short-lived result cache keys on, so
every search reaches PostgreSQL.
"""

from __future__ import annotations

import json
import os
import subprocess
import tempfile
from dataclasses import dataclass
from pathlib import Path

# The load suite's vocabulary, so searches and filters match the way the mix's do.
from load.suite.api import CATEGORIES, WORDS

ROUTES = {
    "minimal": "GET /health/live",
    "list": "GET /api/v1/products?limit=20 (the first page)",
    "db_read": "GET /api/v1/products?limit=20&cursor=... (a later page, always from PostgreSQL)",
    "filter": "GET /api/v1/products?category=&min_price_cents=&max_price_cents= (random)",
    "get": "GET /api/v1/products/{id} (random id; a cache hit once warm)",
    "search": "GET /api/v1/products/search?q= (one of the load suite's words)",
    "search_uncached": "GET /api/v1/products/search?q=&r= (a new key each time: every one a query)",
    "create": "POST /api/v1/products",
    "update": "PATCH /api/v1/products/{id} (random id, a new price)",
    "delete": "DELETE /api/v1/products/{id} (consecutive ids from first_id)",
    "order": "POST /api/v1/orders (one line, random product, quantity 1)",
}

WRK_SCRIPT = r"""
local route = os.getenv("BENCH_ROUTE")
local max_id = tonumber(os.getenv("BENCH_MAX_ID") or "1")
local first_id = tonumber(os.getenv("BENCH_FIRST_ID") or "1")
local run = os.getenv("BENCH_RUN") or "0"
local words, categories = {}, {}
for w in string.gmatch(os.getenv("BENCH_WORDS") or "", "[^,]+") do words[#words + 1] = w end
for c in string.gmatch(os.getenv("BENCH_CATEGORIES") or "", "[^,]+") do categories[#categories + 1] = c end
local writer = {["X-API-Key"] = os.getenv("BENCH_API_KEY") or ""}
local body_writer = {["X-API-Key"] = writer["X-API-Key"], ["Content-Type"] = "application/json"}
local b64 = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"
local function cursor(id)  -- the API's urlsafe base64 of "id:<n>", unpadded
  local text, out = "id:" .. id, {}
  for i = 1, #text, 3 do
    local a, b, c = text:byte(i, i + 2)
    local n = a * 65536 + (b or 0) * 256 + (c or 0)
    local chars = (c and 4) or (b and 3) or 2
    for k = 1, chars do
      local index = math.floor(n / 64 ^ (4 - k)) % 64
      out[#out + 1] = b64:sub(index + 1, index + 1)
    end
  end
  return table.concat(out)
end
local counter = 0

request = function()
  counter = counter + 1
  if route == "minimal" then
    return wrk.format("GET", "/health/live")
  elseif route == "list" then
    return wrk.format("GET", "/api/v1/products?limit=20")
  elseif route == "db_read" then
    local after = math.random(20, math.max(20, max_id - 20))
    return wrk.format("GET", "/api/v1/products?limit=20&cursor=" .. cursor(after))
  elseif route == "filter" then
    local low = math.random(0, 20000)
    return wrk.format("GET", string.format(
      "/api/v1/products?category=%s&min_price_cents=%d&max_price_cents=%d",
      categories[math.random(#categories)], low, low + 20000))
  elseif route == "get" then
    return wrk.format("GET", "/api/v1/products/" .. math.random(1, max_id))
  elseif route == "search" then
    return wrk.format("GET", "/api/v1/products/search?q=" .. words[math.random(#words)])
  elseif route == "search_uncached" then
    return wrk.format("GET", string.format("/api/v1/products/search?q=%s&r=%s-%d",
      words[math.random(#words)], run, counter))
  elseif route == "create" then
    local body = string.format(
      '{"sku":"bench-%s-%d","name":"%s %s %d","description":"benchmark product",'
        .. '"category":"%s","price_cents":%d,"stock":1000000}',
      run, counter, words[math.random(#words)], words[math.random(#words)], counter,
      categories[math.random(#categories)], math.random(100, 50000))
    return wrk.format("POST", "/api/v1/products", body_writer, body)
  elseif route == "update" then
    return wrk.format("PATCH", "/api/v1/products/" .. math.random(1, max_id), body_writer,
      string.format('{"price_cents":%d}', math.random(100, 50000)))
  elseif route == "delete" then
    return wrk.format("DELETE", "/api/v1/products/" .. (first_id + counter - 1), writer)
  elseif route == "order" then
    return wrk.format("POST", "/api/v1/orders", body_writer,
      string.format('{"items":[{"product_id":%d,"quantity":1}]}', math.random(1, max_id)))
  end
  error("unknown BENCH_ROUTE " .. tostring(route))
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


def parse_done_line(stdout: str) -> LoadResult:
    """The figures the script's `done` hook printed (`BENCH_JSON {...}`)."""
    line = next((ln for ln in stdout.splitlines() if ln.startswith("BENCH_JSON ")), None)
    if line is None:
        raise RuntimeError(f"wrk printed no figures:\n{stdout}")
    figures = json.loads(line.removeprefix("BENCH_JSON "))
    seconds = max(figures["duration_us"], 1) / 1e6
    return LoadResult(
        rps=figures["requests"] / seconds,
        p50_ms=figures["p50_us"] / 1000,
        p99_ms=figures["p99_us"] / 1000,
        requests=figures["requests"],
        failed=figures["status_errors"] + figures["socket_errors"],
    )


def run_wrk(
    base_url: str,
    route: str,
    *,
    seconds: float,
    connections: int,
    api_key: str,
    max_product_id: int = 1,
    first_id: int = 1,
    run_id: str = "0",
) -> LoadResult:
    """`seconds` of `route` over `connections` connections (one wrk thread)."""
    if route not in ROUTES:
        raise ValueError(f"unknown route {route!r}; known: {', '.join(ROUTES)}")
    with tempfile.NamedTemporaryFile("w", suffix=".lua", delete=False) as script:
        script.write(WRK_SCRIPT)
    env = {
        **os.environ,
        "BENCH_ROUTE": route,
        "BENCH_API_KEY": api_key,
        "BENCH_MAX_ID": str(max_product_id),
        "BENCH_FIRST_ID": str(first_id),
        "BENCH_RUN": run_id,
        "BENCH_WORDS": ",".join(WORDS),
        "BENCH_CATEGORIES": ",".join(CATEGORIES),
    }
    command = ["wrk", "-t1", f"-c{connections}", f"-d{seconds:.0f}s", "--timeout", "5s", "-s", script.name]
    try:
        result = subprocess.run(
            [*command, base_url.rstrip("/") + "/"],
            capture_output=True,
            text=True,
            env=env,
            timeout=seconds + 60,
            check=True,
        )
    finally:
        Path(script.name).unlink(missing_ok=True)
    return parse_done_line(result.stdout + result.stderr)
