"""A pool of started nameko RPC proxies, one borrowed per request.

One ClusterRpcProxy shared by gunicorn's threads hangs (measured: 48/48 requests timed out); one per request
costs ~15 ms and leaves a reply queue behind each time. So: a bounded pool of started proxies, each used by
one thread at a time, carrying that request's context (principal, request id) while borrowed.

Requests are published transient by default (nameko publishes them persistent). A caller waits for its reply on a
live connection, so a request that outlived a broker restart would only run after its caller had given up (the
gateway answered 503 and the client retries, with its Idempotency-Key where it matters); what persistence costs
is real: the broker confirms a persistent message to a durable queue only once it is on disk, which held each
coalesced POST /v1/referrals batch 6-7 ms before the service saw it (see the closing note of issue 4). The
publisher confirm stays: it is how a call to a service that is not running fails at once (UnknownService).
"""
from __future__ import annotations

import logging
import queue
import threading
from contextlib import contextmanager

from nameko.constants import NON_PERSISTENT, PERSISTENT
from nameko.exceptions import RemoteError, RpcTimeout, UnknownService
from nameko.rpc import ServiceProxy
from nameko.standalone.rpc import ClusterRpcProxy

from services.servicekit.errors import TsunaguError

log = logging.getLogger(__name__)


class ServiceUnavailable(TsunaguError):
    status, slug, title = 503, "service-unavailable", "A service did not answer"


class _Cluster:
    """nameko's ClusterProxy (`cluster.<service>.<method>(...)`), passing publish options to every call (nameko's
    own passes none)."""

    def __init__(self, proxy: ClusterRpcProxy, publish_options: dict):
        self._proxy = proxy
        self._options = publish_options
        self._services: dict[str, ServiceProxy] = {}

    def __getattr__(self, service: str) -> ServiceProxy:
        found = self._services.get(service)
        if found is None:
            found = self._services[service] = ServiceProxy(self._proxy._worker_ctx, service,
                                                           self._proxy._reply_listener, **self._options)
        return found


class RpcProxyPool:
    def __init__(self, amqp_uri: str, size: int = 16, timeout: float = 30.0, persistent_requests: bool = False):
        self.config = {"AMQP_URI": amqp_uri}
        self.size = size
        self.timeout = timeout
        self.publish_options = {"delivery_mode": PERSISTENT if persistent_requests else NON_PERSISTENT}
        self._idle: queue.LifoQueue = queue.LifoQueue()
        self._created = 0
        self._lock = threading.Lock()

    def _start_proxy(self):
        proxy = ClusterRpcProxy(self.config, timeout=self.timeout)
        proxy.start()
        return proxy, _Cluster(proxy, self.publish_options)

    def _acquire(self):
        try:
            return self._idle.get_nowait()
        except queue.Empty:
            pass
        with self._lock:
            if self._created < self.size:
                self._created += 1
                try:
                    return self._start_proxy()
                except Exception:
                    self._created -= 1
                    raise
        try:
            return self._idle.get(timeout=self.timeout)
        except queue.Empty as exc:
            raise ServiceUnavailable("all service connections are busy; try again") from exc

    def _discard(self, item):
        with self._lock:
            self._created -= 1
        try:
            item[0].stop()
        except Exception:  # noqa: BLE001 - a broken proxy is being thrown away anyway
            pass

    @contextmanager
    def cluster(self, context_data: dict):
        """Borrow a proxy; `cluster.<service>.<method>(...)` calls carry `context_data`."""
        try:
            item = self._acquire()
        except (OSError, ConnectionError) as exc:
            raise ServiceUnavailable("the message broker is unreachable") from exc
        proxy, cluster = item
        proxy._worker_ctx.data = dict(context_data)  # this thread owns the proxy until it is returned
        healthy = True
        try:
            yield cluster
        except RpcTimeout as exc:
            healthy = False  # a late reply could still arrive on this proxy: do not reuse it
            raise ServiceUnavailable("a service did not answer in time") from exc
        except (OSError, ConnectionError) as exc:
            healthy = False
            raise ServiceUnavailable("the message broker is unreachable") from exc
        except UnknownService as exc:
            raise ServiceUnavailable("a service is not running") from exc
        except (TsunaguError, RemoteError):
            raise  # the service answered: the proxy is fine
        except Exception:
            healthy = False
            raise
        finally:
            proxy._worker_ctx.data = {}
            if healthy:
                self._idle.put(item)
            else:
                self._discard(item)

    def close(self):
        while True:
            try:
                self._discard(self._idle.get_nowait())
            except queue.Empty:
                return
