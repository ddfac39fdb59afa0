"""psycopg under nameko's eventlet: concurrent queries inside one service must not run one after another."""
import time

import pytest

pytestmark = pytest.mark.integration


def test_concurrent_slow_queries_in_one_service_finish_in_about_the_time_of_one(probe_stack):
    with probe_stack.rpc() as rpc:
        started = time.monotonic()
        rpc.probe.slow_query(1.0)
        single = time.monotonic() - started

        started = time.monotonic()
        replies = [rpc.probe.slow_query.call_async(1.0) for _ in range(5)]
        assert [r.result() for r in replies] == [1.0] * 5
        concurrent = time.monotonic() - started
    assert single >= 1.0
    # Serialised they would take >= 5 s (the measured failure mode with psycopg's default wait function).
    assert concurrent < 2.5, f"5 concurrent 1 s queries took {concurrent:.2f}s"
