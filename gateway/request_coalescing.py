"""Coalescing concurrent calls to one batch RPC: requests that arrive while earlier ones are on their way travel
together as one message, and the service handles them in one transaction.

Under load this is what makes POST /v1/referrals cheap: one AMQP request and reply, one nameko worker and one
database transaction serve many HTTP requests instead of one each. It adds no timed waiting: a request goes at
once when no batch is out. While one is, the waiting requests go as a second batch beside it (up to
`max_in_flight`) only once there are `parallel_at` of them — a smaller batch costs more per request than it gains
by overlapping the first (measured: batches of ~4 with two out at any size, ~7 with one out, ~5 with a second
allowed from 4 requests, the fastest of the three); otherwise they leave together as soon as a batch returns.
With one request at a time it behaves like a plain call.

The thread whose request is still queued when there is room sends the batch (no extra thread to manage); it
may carry other threads' requests with its own. Every request gets its own answer or its own exception
(services/servicekit/coalesced_calls.py).

Each waiting thread has its own Event: a returning batch wakes exactly its own requests, and the oldest waiting
request if another batch may now leave. (One shared Condition with notify_all woke every waiting thread at every
return, ~15 under load, each to find nothing to do: measured as GIL contention in the gateway.)
"""
from __future__ import annotations

import threading

from services.servicekit import coalesced_calls


class _Waiting:
    __slots__ = ("request", "answer", "failure", "wake")

    def __init__(self, request: dict):
        self.request = request
        self.answer: dict | None = None
        self.failure: BaseException | None = None
        self.wake = threading.Event()  # set, under the coalescer's lock, when answered or when it may send

    @property
    def done(self) -> bool:
        return self.answer is not None or self.failure is not None


class Coalescers:
    """One Coalescer per batch entrypoint, made on first use (the gateway keeps one set for its lifetime)."""

    def __init__(self, max_batch: int = 64, max_in_flight: int = 2, parallel_at: int = 4):
        self.max_batch = max_batch
        self.max_in_flight = max_in_flight
        self.parallel_at = parallel_at
        self._made: dict[tuple[str, str], Coalescer] = {}
        self._lock = threading.Lock()

    def for_method(self, service: str, method: str) -> "Coalescer":
        with self._lock:
            found = self._made.get((service, method))
            if found is None:
                found = self._made[(service, method)] = Coalescer(service, method, self.max_batch,
                                                                    self.max_in_flight, self.parallel_at)
            return found


class Coalescer:
    def __init__(self, service: str, method: str, max_batch: int = 64, max_in_flight: int = 2,
                 parallel_at: int = 4):
        self.service = service
        self.method = method
        self.max_batch = max_batch
        self.max_in_flight = max_in_flight
        self.parallel_at = parallel_at
        self._lock = threading.Lock()
        self._queue: list[_Waiting] = []
        self._in_flight = 0

    def call(self, pool, context: dict, *args):
        """`service.method([request, ...])` for this request and whichever others are waiting; its answer."""
        mine = _Waiting(coalesced_calls.request(context, *args))
        with self._lock:
            self._queue.append(mine)
            batch = self._take_if_room(mine)
        while not mine.done:
            if batch is None:
                mine.wake.wait()
                with self._lock:
                    mine.wake.clear()
                    batch = None if mine.done else self._take_if_room(mine)
                continue
            try:
                self._send(pool, batch)
            finally:
                with self._lock:
                    self._in_flight -= 1
                    for waiting in batch:
                        if waiting is not mine:
                            waiting.wake.set()
                    if self._queue and self._may_send():
                        self._queue[0].wake.set()  # the oldest waiting request sends the next batch
            batch = None
        if mine.failure is not None:
            raise mine.failure
        return coalesced_calls.unpack(mine.answer)

    def _take_if_room(self, mine: _Waiting) -> list[_Waiting] | None:
        """Under the lock: the batch this thread should send now, if its request is still waiting and a batch
        may leave."""
        if mine not in self._queue or not self._may_send():
            return None
        self._in_flight += 1
        return self._take(mine)

    def _may_send(self) -> bool:
        if self._in_flight == 0:
            return True
        return self._in_flight < self.max_in_flight and len(self._queue) >= self.parallel_at

    def _take(self, mine: _Waiting) -> list[_Waiting]:
        """Up to max_batch waiting requests, oldest first, always including the sender's own."""
        batch = self._queue[:self.max_batch]
        if mine not in batch:
            batch = batch[:-1] + [mine]
        taken = set(map(id, batch))
        self._queue = [w for w in self._queue if id(w) not in taken]
        return batch

    def _send(self, pool, batch: list[_Waiting]) -> None:
        try:
            # The batch message itself carries no caller: each request carries its own context.
            with pool.cluster({}) as cluster:
                answers = getattr(getattr(cluster, self.service), self.method)([w.request for w in batch])
            if len(answers) != len(batch):
                raise RuntimeError(f"{self.service}.{self.method} answered {len(answers)} of {len(batch)} requests")
        except BaseException as failure:  # noqa: BLE001 - every waiting request must learn the outcome
            for waiting in batch:
                waiting.failure = failure
            return
        for waiting, answer in zip(batch, answers):
            waiting.answer = answer
