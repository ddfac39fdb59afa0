"""At-least-once delivery with idempotent consumers: nothing lost, nothing doubled — including across a broker
restart, a relay crash between publish and mark, and a consumer crash mid-handling. Real processes, real
PostgreSQL and RabbitMQ."""
import subprocess

import pytest

from services.servicekit.failpoints import CRASH_EXIT_CODE
from tests.support.fixtures import connect
from tests.support.processes import relay, wait_until

pytestmark = [pytest.mark.integration, pytest.mark.usefixtures("clean_probe_tables")]


def handled(label=None):
    with connect("probe_consumer") as conn:
        if label is None:
            return conn.execute("SELECT * FROM probe_handled").fetchall()
        return conn.execute("SELECT * FROM probe_handled WHERE label = %s", (label,)).fetchall()


def attempts(event_id):
    with connect("probe_consumer") as conn:
        return conn.execute("SELECT count(*) AS n FROM probe_attempts WHERE event_id = %s", (event_id,)).fetchone()["n"]


def unpublished():
    with connect("probe") as conn:
        return conn.execute("SELECT count(*) AS n FROM outbox WHERE published_at IS NULL").fetchone()["n"]


def event_id_for(record_id):
    with connect("probe") as conn:
        return str(conn.execute("SELECT event_id FROM outbox WHERE envelope->'payload'->>'record_id' = %s",
                                (record_id,)).fetchone()["event_id"])


def test_a_committed_event_is_handled_once_and_carries_the_correlation_id(probe_stack):
    with probe_stack.rpc(context_data={"correlation_id": "req-123"}) as rpc:
        [record_id] = rpc.probe.record("plain")
    rows = wait_until(lambda: handled("plain"), message="the event to be handled")
    assert len(rows) == 1
    assert rows[0]["correlation"] == "req-123"
    wait_until(lambda: unpublished() == 0, message="the outbox row to be marked published")
    assert attempts(event_id_for(record_id)) == 1


def test_an_event_committed_while_the_broker_is_down_is_delivered_once_it_is_back(probe_stack, tmp_path):
    probe_stack.relay.stop()
    with probe_stack.rpc() as rpc:
        [record_id] = rpc.probe.record("across-restart")
    assert unpublished() == 1
    subprocess.run(["rabbitmqctl", "stop_app"], check=True, capture_output=True)
    try:
        probe_stack.relay.start(wait=False)
        # The relay cannot publish: the row stays unpublished and nothing is lost.
        wait_until(lambda: "cannot reach the broker" in probe_stack.relay.log_text(), message="relay to notice")
        assert unpublished() == 1
    finally:
        subprocess.run(["rabbitmqctl", "start_app"], check=True, capture_output=True)
        subprocess.run(["rabbitmqctl", "await_startup"], check=True, capture_output=True)
    rows = wait_until(lambda: handled("across-restart"), timeout=60, message="delivery after the broker restart")
    assert len(rows) == 1
    wait_until(lambda: unpublished() == 0, message="the row to be marked")
    assert attempts(event_id_for(record_id)) == 1


def test_a_relay_that_dies_after_publishing_and_before_marking_resends_and_the_consumer_skips_it(probe_stack):
    probe_stack.relay.stop()
    crashing = relay("probe", probe_stack.relay.env, probe_stack.ports["relay"])
    with probe_stack.rpc() as rpc:
        [record_id] = rpc.probe.record("crash-after-publish")
    crashing.start(wait=False, extra_env={"TSUNAGU_FAILPOINTS": "relay.after_publish"})
    assert crashing.wait_exit() == CRASH_EXIT_CODE
    assert unpublished() == 1  # published, but never marked
    wait_until(lambda: handled("crash-after-publish"), message="the first delivery to be handled")
    probe_stack.relay.start()
    event_id = event_id_for(record_id)
    wait_until(lambda: attempts(event_id) == 2, message="the re-sent duplicate to arrive")
    wait_until(lambda: unpublished() == 0, message="the row to be marked")
    assert len(handled("crash-after-publish")) == 1


def test_a_consumer_that_dies_mid_handling_gets_the_event_again_and_handles_it_once(probe_stack):
    probe_stack.consumer.stop()
    probe_stack.consumer.start(wait=True, extra_env={"TSUNAGU_FAILPOINTS": "unit_of_work.before_commit"})
    with probe_stack.rpc() as rpc:
        rpc.probe.record("crash-mid-handling")
    assert probe_stack.consumer.wait_exit() == CRASH_EXIT_CODE
    assert handled("crash-mid-handling") == []  # the crash rolled the handler's transaction back
    probe_stack.consumer.start()
    rows = wait_until(lambda: handled("crash-mid-handling"), message="redelivery after the crash")
    assert len(rows) == 1


def test_a_handler_that_always_fails_ends_in_the_dead_letter_queue_and_replay_delivers_it_again(probe_stack):
    from services.servicekit.dead_letters import list_dead_letters, replay_dead_letters
    import requests

    with connect("probe_consumer") as conn:
        conn.execute("INSERT INTO probe_poison (label) VALUES ('poison')")
    with probe_stack.rpc() as rpc:
        [record_id] = rpc.probe.record("poison")
    event_id = event_id_for(record_id)
    letters = wait_until(lambda: [l for l in list_dead_letters() if l["event_id"] == event_id],
                         timeout=30, message="the event to be dead-lettered")
    assert letters[0]["queue"] == "evt-probe-probe.recorded--probe_consumer.on_recorded"
    assert letters[0]["event_type"] == "probe.recorded"
    assert attempts(event_id) == 4  # the first delivery plus the delivery limit of 3 — then it stopped
    assert handled("poison") == []
    metrics = requests.get(f"http://127.0.0.1:{probe_stack.ports['probe_consumer']}/metrics").text
    assert 'tsunagu_events_dead_lettered_total{handler="on_recorded",service="probe_consumer"} 1.0' in metrics

    # Listing did not consume it; after the cause is fixed, replay delivers it to that handler again.
    assert [l["event_id"] for l in list_dead_letters()].count(event_id) == 1
    with connect("probe_consumer") as conn:
        conn.execute("DELETE FROM probe_poison")
    assert replay_dead_letters([event_id]) == [event_id]
    rows = wait_until(lambda: handled("poison"), message="the replayed event to be handled")
    assert len(rows) == 1
    assert all(l["event_id"] != event_id for l in list_dead_letters())
