"""A small HTTP load generator: N worker threads issue requests for a fixed time or count and record each
latency; prints throughput and percentiles. Used by the benchmark scenarios; runs against a running stack."""
from __future__ import annotations

import http.client
import json
import statistics
import threading
import time
from dataclasses import dataclass, field
from urllib.parse import urlsplit

import requests

_FAILURES = (requests.RequestException, OSError, http.client.HTTPException)


class Reply:
    __slots__ = ("status_code", "content")

    def __init__(self, status_code: int, content: bytes):
        self.status_code = status_code
        self.content = content


class KeepAliveClient:
    """One keep-alive HTTP/1.1 connection over http.client: a few times less CPU per request than a requests
    Session (measured on POST /v1/referrals: 0.2 vs 0.7 ms). The load generator shares the machine's cores with
    the stack it measures, so what it spends is taken from both sides of a comparison."""

    def __init__(self, base_url: str, timeout: float = 30.0):
        parts = urlsplit(base_url)
        self.host, self.port, self.timeout = parts.hostname, parts.port or 80, timeout
        self._connection: http.client.HTTPConnection | None = None

    def post_json(self, path: str, body, headers: dict | None = None) -> Reply:
        data = body if isinstance(body, bytes) else json.dumps(body).encode()
        return self.request("POST", path, data, {"Content-Type": "application/json", **(headers or {})})

    def request(self, method: str, path: str, data: bytes | None = None, headers: dict | None = None) -> Reply:
        if self._connection is None:
            self._connection = http.client.HTTPConnection(self.host, self.port, timeout=self.timeout)
        try:
            self._connection.request(method, path, data, headers or {})
            response = self._connection.getresponse()
            return Reply(response.status, response.read())
        except _FAILURES:
            self.close()  # the next request opens a new connection
            raise

    def close(self):
        if self._connection is not None:
            self._connection.close()
            self._connection = None


@dataclass
class LoadResult:
    label: str
    latencies: list[float] = field(default_factory=list)
    statuses: dict[int, int] = field(default_factory=dict)
    errors: int = 0
    elapsed: float = 0.0

    def percentile(self, p: float) -> float:
        if not self.latencies:
            return float("nan")
        ordered = sorted(self.latencies)
        return ordered[min(len(ordered) - 1, int(round(p / 100 * (len(ordered) - 1))))]

    @property
    def throughput(self) -> float:
        return len(self.latencies) / self.elapsed if self.elapsed else 0.0

    def report(self) -> str:
        ms = lambda v: f"{v * 1000:.1f} ms"  # noqa: E731
        return (f"{self.label}: {len(self.latencies)} requests in {self.elapsed:.1f} s = {self.throughput:.0f} req/s; "
                f"p50 {ms(self.percentile(50))}, p95 {ms(self.percentile(95))}, p99 {ms(self.percentile(99))}, "
                f"max {ms(max(self.latencies) if self.latencies else float('nan'))}, "
                f"mean {ms(statistics.fmean(self.latencies) if self.latencies else float('nan'))}; "
                f"statuses {dict(sorted(self.statuses.items()))}; errors {self.errors}")


def run_load(label: str, make_request, concurrency: int = 16, seconds: float = 10.0,
             max_requests: int | None = None, session_setup=None, new_session=requests.Session) -> LoadResult:
    """`make_request(session, i)` performs one request and returns the response (anything with `status_code`);
    each worker thread has its own session from `new_session()`."""
    result = LoadResult(label)
    lock = threading.Lock()
    counter = iter(range(10 ** 12))
    deadline = time.monotonic() + seconds

    def worker():
        session = new_session()
        if session_setup:
            session_setup(session)
        while time.monotonic() < deadline:
            with lock:
                i = next(counter)
            if max_requests is not None and i >= max_requests:
                return
            started = time.perf_counter()
            try:
                response = make_request(session, i)
                status = response.status_code
            except _FAILURES:
                with lock:
                    result.errors += 1
                continue
            took = time.perf_counter() - started
            with lock:
                result.latencies.append(took)
                result.statuses[status] = result.statuses.get(status, 0) + 1

    threads = [threading.Thread(target=worker) for _ in range(concurrency)]
    started = time.monotonic()
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    result.elapsed = time.monotonic() - started
    return result
