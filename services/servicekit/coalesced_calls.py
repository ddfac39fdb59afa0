"""The message format of a coalesced RPC: several requests that arrived together travel as one message, and
each gets its own answer (gateway/request_coalescing.py sends them; a service's batch entrypoint answers).

Each request carries its own context (the principal and request id the gateway verified), exactly what nameko
would have carried in the headers of a single call. An answer is {"ok": value} or {"error": <nameko-serialised
exception>}: the project's errors come back as themselves (NotFound, Conflict, InvalidInput …); any other
exception as a RemoteError naming only its type, so no message text (which could quote data) leaves the service.
"""
from __future__ import annotations

from nameko.exceptions import deserialize, serialize

from .caller import PRINCIPAL_CONTEXT_KEY, REQUEST_ID_CONTEXT_KEY, Principal
from .errors import TsunaguError


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
