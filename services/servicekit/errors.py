"""The one family of errors services raise on purpose. Each maps to one HTTP status and one problem type.

They are registered with nameko's exception registry, so a service raising `NotFound` makes the gateway's
RPC call raise `NotFound` again (not a generic RemoteError), and the gateway renders it as problem+json.
Messages must never contain personal data: they travel to logs and to clients.
"""
from nameko.exceptions import deserialize_to_instance


class TsunaguError(Exception):
    status = 500
    slug = "internal-error"
    title = "Internal error"

    def __init__(self, detail: str = "", errors: list | None = None):
        # args stay JSON-serialisable: nameko sends them across RPC.
        super().__init__(detail, errors or [])

    @property
    def detail(self) -> str:
        return self.args[0]

    @property
    def errors(self) -> list:
        return self.args[1]


@deserialize_to_instance
class BadRequest(TsunaguError):
    status, slug, title = 400, "bad-request", "Bad request"


@deserialize_to_instance
class Unauthorized(TsunaguError):
    status, slug, title = 401, "unauthorized", "Authentication required"


@deserialize_to_instance
class Forbidden(TsunaguError):
    status, slug, title = 403, "forbidden", "Not allowed"


@deserialize_to_instance
class NotFound(TsunaguError):
    status, slug, title = 404, "not-found", "Not found"


@deserialize_to_instance
class Conflict(TsunaguError):
    status, slug, title = 409, "conflict", "Conflict"


@deserialize_to_instance
class PreconditionFailed(TsunaguError):
    status, slug, title = 412, "precondition-failed", "Precondition failed"


@deserialize_to_instance
class InvalidInput(TsunaguError):
    """Field-level validation failure. `errors` is a list of {"pointer": "#/field", "detail": "..."}."""
    status, slug, title = 422, "invalid-input", "Invalid input"


def field_errors_from_marshmallow(messages, prefix: str = "#") -> list[dict]:
    """Flatten marshmallow's nested error dict into RFC 9457 style pointers."""
    out: list[dict] = []

    def walk(node, path):
        if isinstance(node, dict):
            for key, value in node.items():
                walk(value, f"{path}/{key}")
        elif isinstance(node, list) and node and all(isinstance(m, str) for m in node):
            for message in node:
                out.append({"pointer": path, "detail": message})
        elif isinstance(node, list):
            for item in node:
                walk(item, path)
        else:
            out.append({"pointer": path, "detail": str(node)})

    walk(messages, prefix)
    return out
