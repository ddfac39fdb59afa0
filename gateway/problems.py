"""The one error format: RFC 9457 application/problem+json, with field-level `errors` for invalid input.
Never a stack trace; never personal data (details come from TsunaguError messages, written without it)."""
from __future__ import annotations

import logging

from flask import Flask, g, request
from marshmallow import ValidationError
from nameko.exceptions import RemoteError
from werkzeug.exceptions import HTTPException

from services.servicekit.errors import InvalidInput, TsunaguError, field_errors_from_marshmallow

log = logging.getLogger(__name__)
PROBLEM_BASE = "https://tsunagu.example.jp/problems/"
PROBLEM_CONTENT_TYPE = "application/problem+json"


def problem(status: int, title: str, detail: str = "", slug: str | None = None, errors=None, headers=None):
    from flask import current_app
    body = {
        "type": PROBLEM_BASE + (slug or f"http-{status}"),
        "title": title,
        "status": status,
        "detail": detail or title,
        "instance": request.path,
        "request_id": getattr(g, "request_id", None),
    }
    if errors:
        body["errors"] = errors
    response = current_app.response_class(current_app.json.dumps(body), status=status,
                                          mimetype=PROBLEM_CONTENT_TYPE)
    if status == 401:
        response.headers["WWW-Authenticate"] = 'Bearer realm="tsunagu"'
    for key, value in (headers or {}).items():
        response.headers[key] = value
    return response


def install_problem_handlers(app: Flask) -> None:
    @app.errorhandler(TsunaguError)
    def _tsunagu_error(exc: TsunaguError):
        return problem(exc.status, exc.title, exc.detail, exc.slug, exc.errors)

    @app.errorhandler(ValidationError)
    def _validation_error(exc: ValidationError):
        err = InvalidInput("the request has invalid fields", field_errors_from_marshmallow(exc.messages))
        return problem(err.status, err.title, err.detail, err.slug, err.errors)

    @app.errorhandler(HTTPException)
    def _http_error(exc: HTTPException):
        return problem(exc.code or 500, exc.name, exc.description or exc.name)

    @app.errorhandler(RemoteError)
    def _remote_error(exc: RemoteError):
        # Only the exception type is logged: its message could quote data.
        log.error("a service failed with %s", exc.exc_type)
        return problem(500, "Internal error", "the request could not be completed", "internal-error")

    @app.errorhandler(Exception)
    def _unexpected(exc: Exception):
        log.error("unhandled %s in the gateway", type(exc).__name__)
        return problem(500, "Internal error", "the request could not be completed", "internal-error")
