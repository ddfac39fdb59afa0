"""Calling services from a request: borrows a pooled RPC proxy carrying the caller and request id."""
from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

from flask import current_app

from .request_context import rpc_context


def _call(pool, context: dict, service: str, method: str, *args, **kwargs):
    with pool.cluster(context) as cluster:
        return getattr(getattr(cluster, service), method)(*args, **kwargs)


def call(service: str, method: str, *args, **kwargs):
    return _call(current_app.extensions["tsunagu"].rpc_pool, rpc_context(), service, method, *args, **kwargs)


_parallel = ThreadPoolExecutor(max_workers=16, thread_name_prefix="rpc-fanout")


def call_parallel(calls: dict[str, tuple]) -> dict:
    """{name: (service, method, args, kwargs)} -> {name: result}, the calls running concurrently.
    The caller's context is taken here, in the request's thread (worker threads have no Flask `g`)."""
    pool, context = current_app.extensions["tsunagu"].rpc_pool, rpc_context()
    futures = {name: _parallel.submit(_call, pool, context, service, method, *args, **kwargs)
               for name, (service, method, args, kwargs) in calls.items()}
    return {name: future.result() for name, future in futures.items()}


def call_coalesced(service: str, method: str, *args):
    """`service.method` is a batch entrypoint (a list of coalesced_calls requests in, one answer each out):
    this request travels with whichever others are waiting for the same method (request_coalescing.py), and
    gets its own answer, or raises its own error, as `call` would."""
    state = current_app.extensions["tsunagu"]
    return state.coalescers.for_method(service, method).call(state.rpc_pool, rpc_context(), *args)
