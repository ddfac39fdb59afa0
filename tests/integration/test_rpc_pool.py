"""The gateway's pooled RPC proxies against the real broker: requests go transient (the skeleton's pool keeps
nameko's persistent default), still with the publisher confirm that makes a call to a stopped service fail at
once."""
import threading
import uuid

import kombu
import pytest
from nameko.constants import NON_PERSISTENT, PERSISTENT
from nameko.rpc import get_rpc_exchange

from gateway.rpc_pool import RpcProxyPool, ServiceUnavailable
from services.servicekit import settings

pytestmark = pytest.mark.integration


def delivery_mode_of_a_request(pool: RpcProxyPool) -> int:
    """Stand in for a service: a queue bound like nameko's; the call is left unanswered (it times out)."""
    service = f"pool_probe_{uuid.uuid4().hex[:8]}"
    received = []
    with kombu.Connection(settings.amqp_uri()) as broker:
        queue = kombu.Queue(service, exchange=get_rpc_exchange({}), routing_key=f"{service}.*",
                            durable=False, auto_delete=False)
        with kombu.Consumer(broker, queues=[queue], no_ack=True, callbacks=[lambda _b, m: received.append(m)]):
            def call():
                try:
                    with pool.cluster({}) as cluster:
                        getattr(cluster, service).ping()
                except ServiceUnavailable:
                    pass  # nobody answers: the timeout is expected
            caller = threading.Thread(target=call)
            caller.start()
            broker.drain_events(timeout=10)
            caller.join()
        queue(broker.channel()).delete()
    assert len(received) == 1, "the request never reached the queue"
    return received[0].properties["delivery_mode"]


def test_requests_are_published_transient_and_the_skeletons_keep_namekos_persistent_default(namespace):
    gateway_pool = RpcProxyPool(settings.amqp_uri(), size=1, timeout=1)
    skeleton_pool = RpcProxyPool(settings.amqp_uri(), size=1, timeout=1, persistent_requests=True)
    try:
        assert delivery_mode_of_a_request(gateway_pool) == NON_PERSISTENT
        assert delivery_mode_of_a_request(skeleton_pool) == PERSISTENT
    finally:
        gateway_pool.close()
        skeleton_pool.close()


def test_a_call_to_a_service_that_is_not_running_fails_at_once(namespace):
    pool = RpcProxyPool(settings.amqp_uri(), size=1, timeout=30)
    try:
        with pytest.raises(ServiceUnavailable, match="not running"):
            with pool.cluster({}) as cluster:
                cluster.no_such_service_here.ping()  # without the confirm: "did not answer in time", 30 s later
    finally:
        pool.close()
