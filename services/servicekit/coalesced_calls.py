"""The message format of a coalesced RPC: several requests that arrived together travel as one message, and
each gets its own answer (gateway/request_coalescing.py sends them; a service's batch entrypoint answers).

Each request carries its own context (the principal and request id the gateway verified), exactly what nameko
would have carried in the headers of a single call. An answer is {"ok": value} or {"error": <nameko-serialised
exception>}: the project's errors come back as themselves (NotFound, Conflict, InvalidInput …); any other
exception as a RemoteError naming only its type, so no message text (which could quote data) leaves the service.
"""
from __future__ import annotations

import logging

from nameko.exceptions import deserialize, serialize

from .caller import PRINCIPAL_CONTEXT_KEY, REQUEST_ID_CONTEXT_KEY, Principal
from .errors import TsunaguError
from .observability import COALESCED_BATCH_REQUESTS

log = logging.getLogger(__name__)


def request(context: dict, *args) -> dict:
    return {"context": dict(context), "args": list(args)}


def principal_of(request_: dict) -> Principal | None:
    return Principal.from_context(request_["context"].get(PRINCIPAL_CONTEXT_KEY))


def request_id_of(request_: dict) -> str | None:
    return request_["context"].get(REQUEST_ID_CONTEXT_KEY)


def answer(outcome) -> dict:
    """A value, or an exception raised for this request alone."""
    if isinstance(outcome, TsunaguError):
        return {"error": serialize(outcome)}
    if isinstance(outcome, BaseException):
        return {"error": {"exc_type": type(outcome).__name__, "exc_path": None, "exc_args": [], "value": ""}}
    return {"ok": outcome}


def unpack(answer_: dict):
    """The value of an answer, or raise its exception (a TsunaguError type, else RemoteError)."""
    if "error" in answer_:
        raise deserialize(answer_["error"])
    return answer_["ok"]


def answer_each(requests: list[dict], handle, *, service: str, method: str) -> list[dict]:
    """A batch entrypoint's whole answer. `handle(requests)` runs them in one unit of work and returns one outcome
    per request: a value, or the TsunaguError that refuses that request alone. If it raises, its transaction wrote
    nothing, and each request is handled again on its own, so one request's unforeseen failure cannot fail the
    others. Such failures are logged by type only (their text could quote data)."""
    COALESCED_BATCH_REQUESTS.labels(service, method).observe(len(requests))
    try:
        outcomes = handle(requests)
    except Exception as failure:  # noqa: BLE001 - nothing was written: each request is tried on its own
        if len(requests) == 1:
            outcomes = [_unforeseen(failure, service, method)]
        else:
            log.warning("a batch of %d %s.%s requests failed as a whole (%s); each is retried alone",
                        len(requests), service, method, type(failure).__name__)
            outcomes = [_alone(handle, request, service, method) for request in requests]
    return [answer(outcome) for outcome in outcomes]


def _alone(handle, request: dict, service: str, method: str):
    try:
        return handle([request])[0]
    except Exception as failure:  # noqa: BLE001 - this request's own failure, answered to it alone
        return _unforeseen(failure, service, method)


def _unforeseen(failure: Exception, service: str, method: str) -> Exception:
    log.error("a %s.%s request failed (%s)", service, method, type(failure).__name__)
    return failure
