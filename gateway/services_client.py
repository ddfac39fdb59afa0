"""Calling services from a request: borrows a pooled RPC proxy carrying the caller and request id."""
from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

from flask import copy_current_request_context, current_app

from .request_context import rpc_context


def call(service: str, method: str, *args, **kwargs):
    pool = current_app.extensions["tsunagu"].rpc_pool
    with pool.cluster(rpc_context()) as cluster:
        return getattr(getattr(cluster, service), method)(*args, **kwargs)


_parallel = ThreadPoolExecutor(max_workers=16, thread_name_prefix="rpc-fanout")


def call_parallel(calls: dict[str, tuple]) -> dict:
    """{name: (service, method, args, kwargs)} -> {name: result}, the calls running concurrently."""
    futures = {name: _parallel.submit(copy_current_request_context(call), service, method, *args, **kwargs)
               for name, (service, method, args, kwargs) in calls.items()}
    return {name: future.result() for name, future in futures.items()}
