"""A small HTTP load generator: N worker threads issue requests for a fixed time or count and record each
latency; prints throughput and percentiles. Used by the benchmark scenarios; runs against a running stack."""
from __future__ import annotations

import statistics
import threading
import time
from dataclasses import dataclass, field

import requests


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
             max_requests: int | None = None, session_setup=None) -> LoadResult:
    """`make_request(session, i)` performs one request and returns the response."""
    result = LoadResult(label)
    lock = threading.Lock()
    counter = iter(range(10 ** 12))
    deadline = time.monotonic() + seconds

    def worker():
        session = requests.Session()
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
            except requests.RequestException:
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
