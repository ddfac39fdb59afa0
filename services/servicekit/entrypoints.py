"""nameko's `rpc`, with the project's client errors (4xx) declared expected.

A NotFound or Conflict is an answer, not a failure: nameko then logs it as a warning (and the JSON log filter
drops its traceback) instead of an error with a stack trace, and metrics count it as a client error.
"""
from nameko.rpc import Rpc

from .errors import BadRequest, Conflict, Forbidden, InvalidInput, NotFound, PreconditionFailed, Unauthorized

CLIENT_ERRORS = (BadRequest, Unauthorized, Forbidden, NotFound, Conflict, PreconditionFailed, InvalidInput)


def rpc(fn=None, **kwargs):
    kwargs.setdefault("expected_exceptions", CLIENT_ERRORS)
    if fn is None:  # @rpc(...)
        return Rpc.decorator(**kwargs)
    return Rpc.decorator(**kwargs)(fn)  # bare @rpc: nameko's own bare form would drop the kwargs
