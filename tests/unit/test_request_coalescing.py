"""The gateway's Coalescer: who goes alone, who waits for the next batch, and that every request gets its own
answer or its own failure. The service side is a stand-in cluster here (no broker): the algorithm is plain
threads and a condition variable; the e2e tests run it against the real referrals service."""
import threading
from contextlib import contextmanager

import pytest
from nameko.exceptions import RemoteError

from gateway.request_coalescing import Coalescer
from services.servicekit import coalesced_calls
from services.servicekit.errors import Conflict, NotFound
from tests.support.processes import wait_until


class StandInPool:
    """Answers `svc.batch(requests)`: each request's first argument is echoed back, or an error it names;
    the first `hold` batches wait at a gate so a test can line requests up behind them."""

    def __init__(self, hold: int = 0, broken: bool = False):
        self.batches: list[list] = []
        self.gate = threading.Event()
        self.hold = hold
        self.broken = broken
        self.contexts: list[dict] = []

    @contextmanager
    def cluster(self, context):
        self.contexts.append(context)
        yield self

    @property
    def svc(self):
        return self

    def batch(self, requests):
        self.batches.append([r["args"][0] for r in requests])
        if len(self.batches) <= self.hold:
            assert self.gate.wait(10), "the test never opened the gate"
        if self.broken:
            raise OSError("the broker went away")
        answers = []
        for r in requests:
            arg = r["args"][0]
            if arg == "missing":
                answers.append(coalesced_calls.answer(NotFound("no such thing")))
            elif arg == "taken":
                answers.append(coalesced_calls.answer(Conflict("already taken")))
            else:
                answers.append(coalesced_calls.answer({"echo": arg, "who": r["context"]["principal"]}))
        return answers


def call_in_thread(coalescer, pool, arg, results):
    def run():
        try:
            results[arg] = coalescer.call(pool, {"principal": f"p-{arg}"}, arg)
        except Exception as exc:  # noqa: BLE001 - the test inspects what each caller got
            results[arg] = exc
    thread = threading.Thread(target=run)
    thread.start()
    return thread


def test_a_request_alone_goes_at_once_with_its_own_context():
    pool = StandInPool()
    assert Coalescer("svc", "batch").call(pool, {"principal": "p-a"}, "a") == {"echo": "a", "who": "p-a"}
    assert pool.batches == [["a"]]
    assert pool.contexts == [{}]  # the batch message carries no caller; each request carries its own


def test_requests_arriving_while_a_batch_is_out_travel_together_and_each_gets_its_own_answer():
    pool, results = StandInPool(hold=1), {}
    coalescer = Coalescer("svc", "batch", max_in_flight=1)
    first = call_in_thread(coalescer, pool, "first", results)
    wait_until(lambda: pool.batches, 5, 0.01, "the first batch to leave")
    waiting = [call_in_thread(coalescer, pool, arg, results) for arg in ("b", "missing", "c", "taken")]
    wait_until(lambda: len(coalescer._queue) == 4, 5, 0.01, "four requests to queue behind it")
    assert pool.batches == [["first"]]  # nothing else left while the only slot was taken
    pool.gate.set()
    for thread in [first, *waiting]:
        thread.join(10)
        assert not thread.is_alive()
    assert pool.batches[0] == ["first"] and sorted(pool.batches[1]) == ["b", "c", "missing", "taken"]
    assert len(pool.batches) == 2
    assert results["b"] == {"echo": "b", "who": "p-b"} and results["c"] == {"echo": "c", "who": "p-c"}
    assert isinstance(results["missing"], NotFound) and results["missing"].detail == "no such thing"
    assert isinstance(results["taken"], Conflict)


def test_a_second_batch_goes_beside_the_first_only_once_enough_requests_wait():
    pool, results = StandInPool(hold=2), {}
    coalescer = Coalescer("svc", "batch", max_in_flight=2, parallel_at=3)
    threads = [call_in_thread(coalescer, pool, "one", results)]
    wait_until(lambda: len(pool.batches) == 1, 5, 0.01, "the first batch")
    threads += [call_in_thread(coalescer, pool, arg, results) for arg in ("a", "b")]
    wait_until(lambda: len(coalescer._queue) == 2, 5, 0.01, "two requests waiting")
    assert len(pool.batches) == 1  # two waiting are fewer than parallel_at: they wait for the first to return
    threads.append(call_in_thread(coalescer, pool, "c", results))
    wait_until(lambda: len(pool.batches) == 2, 5, 0.01, "a second batch beside the first")
    assert sorted(pool.batches[1]) == ["a", "b", "c"]
    threads += [call_in_thread(coalescer, pool, arg, results) for arg in ("x", "y")]
    wait_until(lambda: len(coalescer._queue) == 2, 5, 0.01, "two requests queued behind both")
    assert len(pool.batches) == 2  # never more than max_in_flight out
    pool.gate.set()
    for thread in threads:
        thread.join(10)
    assert sorted(pool.batches[2]) == ["x", "y"] and len(pool.batches) == 3
    assert {k: v["echo"] for k, v in results.items()} == {k: k for k in ("one", "a", "b", "c", "x", "y")}


def test_a_batch_that_fails_in_transit_fails_each_of_its_requests_and_no_other():
    pool, results = StandInPool(hold=1), {}
    coalescer = Coalescer("svc", "batch", max_in_flight=1)
    first = call_in_thread(coalescer, pool, "first", results)
    wait_until(lambda: pool.batches, 5, 0.01, "the first batch")
    pool.broken = True  # the first batch (already at the service) and the next one both fail
    later = [call_in_thread(coalescer, pool, arg, results) for arg in ("p", "q")]
    wait_until(lambda: len(coalescer._queue) == 2, 5, 0.01, "two requests queued")
    pool.gate.set()
    for thread in [first, *later]:
        thread.join(10)
        assert not thread.is_alive()  # nobody is left waiting
    assert all(isinstance(results[k], OSError) for k in ("first", "p", "q"))
    pool.broken = False
    assert coalescer.call(pool, {"principal": "p-r"}, "r")["echo"] == "r"  # the coalescer is usable again


def test_answers_carry_the_projects_errors_as_themselves_and_others_without_their_message():
    assert coalesced_calls.unpack(coalesced_calls.answer({"id": 1})) == {"id": 1}
    with pytest.raises(NotFound) as found:
        coalesced_calls.unpack(coalesced_calls.answer(NotFound("no such referral", [{"pointer": "#/x"}])))
    assert found.value.detail == "no such referral" and found.value.errors == [{"pointer": "#/x"}]
    with pytest.raises(RemoteError) as remote:
        coalesced_calls.unpack(coalesced_calls.answer(ValueError("山田花子 090-1234-5678")))
    assert remote.value.exc_type == "ValueError" and "山田" not in str(remote.value) and "090" not in str(remote.value)


def test_a_batch_entrypoint_answers_each_request_and_isolates_an_unforeseen_failure(caplog):
    """coalesced_calls.answer_each: refusals stay with their request; a batch that raises is handled again request
    by request, so only the request that cannot succeed fails — logged and answered by its type alone."""
    handled = []

    def handle(requests):
        handled.append([r["args"][0] for r in requests])
        if any(r["args"][0] == "bad" for r in requests):
            raise ValueError("山田花子 090-1234-5678")  # e.g. a database error quoting a value
        return [NotFound("no such thing") if r["args"][0] == "missing" else {"ok": r["args"][0]} for r in requests]

    requests = [coalesced_calls.request({}, arg) for arg in ("a", "missing", "b")]
    answers = coalesced_calls.answer_each(requests, handle, service="svc", method="batch")
    assert handled == [["a", "missing", "b"]]  # one call for the whole batch
    assert coalesced_calls.unpack(answers[0]) == {"ok": "a"} and coalesced_calls.unpack(answers[2]) == {"ok": "b"}
    with pytest.raises(NotFound):
        coalesced_calls.unpack(answers[1])

    handled.clear()
    with caplog.at_level("WARNING"):
        answers = coalesced_calls.answer_each([coalesced_calls.request({}, arg) for arg in ("a", "bad", "b")],
                                              handle, service="svc", method="batch")
    assert handled == [["a", "bad", "b"], ["a"], ["bad"], ["b"]]
    assert coalesced_calls.unpack(answers[0]) == {"ok": "a"} and coalesced_calls.unpack(answers[2]) == {"ok": "b"}
    with pytest.raises(RemoteError) as remote:
        coalesced_calls.unpack(answers[1])
    assert remote.value.exc_type == "ValueError"
    logged = caplog.text
    assert "ValueError" in logged and "山田" not in logged and "090" not in logged
