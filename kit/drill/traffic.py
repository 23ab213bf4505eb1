"""Steady load through the load balancer with every response counted: what drills (and a rolling
update) run while they break something.

Open loop at a fixed rate: request i starts at i / rate whatever earlier ones do, so a stall shows
as latency and failures, never as a quietly lower rate. The mix of operations is drawn once, up
front (`Plan`), so a run knows how many order writes it will make before it starts. Every request
ends as one `Sample`: its times, HTTP status or connection error, the replica that answered and,
for a write, the order line it sent and the order id acknowledged (201 + id). A GET whose
connection closed before any answer is sent once more, as a correct client does; POSTs never are.
Bounded in count (`Plan.ops`) and time (each request has a client timeout; `stop()` or the plan's
end).
"""

from __future__ import annotations

import asyncio
import random
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Literal

import httpx

Op = Literal["get", "list", "order"]
Line = tuple[int, int]  # (product_id, quantity): what one order write asks for
WRITE_PATH = "/api/v1/orders"
# The connection closed before any answer: nginx closes idle keep-alive connections when a reload
# retires its old workers, and a request sent on one just then gets no response. A client may send
# an idempotent request again (RFC 9112 §9.3.1; Go's net/http does): GETs are, once, and counted.
CLOSED_BEFORE_ANSWER = (httpx.RemoteProtocolError, httpx.ReadError)


@dataclass(frozen=True)
class Plan:
    """`rate` requests/s for at most `seconds`; `mix` weights cached reads by id, listings (always
    the database) and order writes."""

    rate: float = 50.0
    seconds: float = 120.0
    mix: tuple[tuple[Op, float], ...] = (("get", 0.6), ("list", 0.25), ("order", 0.15))
    seed: int = 13
    ops: tuple[Op, ...] = field(init=False)

    def __post_init__(self) -> None:
        names, weights = zip(*self.mix, strict=True)
        rng = random.Random(self.seed)
        object.__setattr__(self, "ops", tuple(rng.choices(names, weights, k=int(self.rate * self.seconds))))

    @property
    def writes(self) -> int:
        return self.ops.count("order")


@dataclass(frozen=True, slots=True)
class Sample:
    op: Op
    started: float  # seconds since the traffic started
    ended: float
    outcome: str  # the HTTP status ("200", "503") or the client error's name ("ConnectError")
    replica: str = ""  # X-Replica-Id of the API replica that answered
    limited: bool = False  # carried X-RateLimit-Limit: the API's rate limiter checked it
    clean: bool = False  # a JSON body, and Retry-After on a 429 or 503
    line: Line | None = None  # an order write's line
    order_id: int | None = None  # the order the API acknowledged (201 with an id)
    retried: bool = False  # a GET sent again: the connection closed before any answer

    @property
    def latency(self) -> float:
        return self.ended - self.started

    @property
    def ok(self) -> bool:
        return self.outcome in ("200", "201")

    @property
    def http_error(self) -> bool:
        return self.outcome.isdigit() and not self.ok


class Traffic:
    """`start()` runs the plan on its own thread; `stop()` ends it and returns every sample."""

    def __init__(
        self,
        base_url: str,
        api_key: str,
        plan: Plan,
        read_ids: tuple[int, ...],
        lines: Callable[[int], Line],
        timeout: float = 15.0,
        transport: httpx.AsyncBaseTransport | None = None,  # tests: a stand-in for the network
    ) -> None:
        self._base, self._key, self.plan, self._transport = base_url, api_key, plan, transport
        self._read_ids, self._lines, self._timeout = read_ids, lines, timeout
        self._samples: list[Sample] = []
        self._stopping = threading.Event()
        self._thread = threading.Thread(target=lambda: asyncio.run(self._run()), daemon=True)
        self._fresh: httpx.AsyncClient | None = None
        self._t0 = 0.0
        self.epoch = 0.0  # wall-clock time (time.time()) of the start, to place Docker's timestamps

    def start(self) -> None:
        self.epoch, self._t0 = time.time(), time.monotonic()
        self._thread.start()

    def now(self) -> float:
        return time.monotonic() - self._t0

    def samples(self) -> list[Sample]:
        return list(self._samples)

    def stop(self) -> list[Sample]:
        self._stopping.set()
        if self._thread.is_alive():
            self._thread.join(self._timeout + 10)
        return self.samples()

    def _client(self, keepalive: int) -> httpx.AsyncClient:
        limits = httpx.Limits(max_connections=512, max_keepalive_connections=keepalive)
        return httpx.AsyncClient(
            base_url=self._base, timeout=self._timeout, limits=limits, transport=self._transport
        )

    async def _run(self) -> None:
        # A GET sent again goes on a new connection (`fresh` keeps none): another idle one may be
        # closing just as the first was, and a new one reaches nginx's new workers.
        async with self._client(64) as client, self._client(0) as self._fresh:
            pending: set[asyncio.Task[None]] = set()
            writes = 0
            for index, op in enumerate(self.plan.ops):
                delay = index / self.plan.rate - self.now()
                if delay > 0:
                    await asyncio.sleep(delay)
                if self._stopping.is_set():
                    break
                line = None
                if op == "order":
                    line, writes = self._lines(writes), writes + 1
                task = asyncio.create_task(self._one(client, op, index, line))
                pending.add(task)
                task.add_done_callback(pending.discard)
            if pending:
                await asyncio.wait(pending, timeout=self._timeout + 5)

    async def _one(self, client: httpx.AsyncClient, op: Op, index: int, line: Line | None) -> None:
        started, retried = self.now(), False
        while True:
            try:
                response = await self._send((retried and self._fresh) or client, op, index, line)
            except CLOSED_BEFORE_ANSWER as error:
                if line is None and not retried:  # a GET: retried once, as RFC 9112 §9.3.1 allows
                    retried = True
                    continue
                self._samples.append(Sample(op, started, self.now(), type(error).__name__, line=line))
                return
            except httpx.HTTPError as error:
                self._samples.append(Sample(op, started, self.now(), type(error).__name__, line=line))
                return
            self._samples.append(_sample(op, started, self.now(), response, line, retried))
            return

    async def _send(self, client: httpx.AsyncClient, op: Op, index: int, line: Line | None) -> httpx.Response:
        if line is not None:
            body = {"items": [{"product_id": line[0], "quantity": line[1]}]}
            return await client.post(WRITE_PATH, json=body, headers={"X-API-Key": self._key})
        if op == "get":
            return await client.get(f"/api/v1/products/{self._read_ids[index % len(self._read_ids)]}")
        return await client.get("/api/v1/products", params={"limit": 5})


def _sample(
    op: Op, started: float, ended: float, response: httpx.Response, line: Line | None, retried: bool
) -> Sample:
    headers = response.headers
    json_body = headers.get("content-type", "").startswith("application/json")
    needs_retry_after = response.status_code in (429, 503)
    order_id = None
    if response.status_code == 201 and json_body:
        order_id = response.json().get("id")
    return Sample(
        op,
        started,
        ended,
        str(response.status_code),
        replica=headers.get("x-replica-id", ""),
        limited="x-ratelimit-limit" in headers,
        clean=json_body and (not needs_retry_after or "retry-after" in headers),
        line=line,
        order_id=order_id if isinstance(order_id, int) else None,
        retried=retried,
    )
