"""nameko's `rpc`, with the project's client errors (4xx) declared expected, and replies sent without a
publisher confirm.

A NotFound or Conflict is an answer, not a failure: nameko then logs it as a warning (and the JSON log filter
drops its traceback) instead of an error with a stack trace, and metrics count it as a client error.

A reply goes to a caller that is waiting for it on a live connection: nameko's default publishes it persistent
and waits for the broker's confirm, which buys nothing (a reply the broker loses is a caller's timeout either way,
and a failed confirm would leave the request unacked, to be redelivered and run twice) and costs the service a
broker round trip per call under load (measured on POST /v1/referrals: see the closing note of issue 4).
"""
from nameko.amqp.publish import Publisher
from nameko.rpc import Responder, Rpc, RpcConsumer, get_rpc_exchange
from nameko.constants import (AMQP_SSL_CONFIG_KEY, AMQP_URI_CONFIG_KEY, DEFAULT_SERIALIZER, LOGIN_METHOD_CONFIG_KEY,
                              NON_PERSISTENT, SERIALIZER_CONFIG_KEY)

from .errors import BadRequest, Conflict, Forbidden, InvalidInput, NotFound, PreconditionFailed, Unauthorized

CLIENT_ERRORS = (BadRequest, Unauthorized, Forbidden, NotFound, Conflict, PreconditionFailed, InvalidInput)


class _ReplyPublisher(Publisher):
    use_confirms = False
    delivery_mode = NON_PERSISTENT


class _Responder(Responder):
    publisher_cls = _ReplyPublisher


class _RpcConsumer(RpcConsumer):
    def handle_result(self, message, result, exc_info):
        config = self.container.config
        responder = _Responder(config[AMQP_URI_CONFIG_KEY], get_rpc_exchange(config),
                               config.get(SERIALIZER_CONFIG_KEY, DEFAULT_SERIALIZER), message,
                               ssl=config.get(AMQP_SSL_CONFIG_KEY), login_method=config.get(LOGIN_METHOD_CONFIG_KEY))
        result, exc_info = responder.send_response(result, exc_info)
        self.queue_consumer.ack_message(message)
        return result, exc_info


class _Rpc(Rpc):
    rpc_consumer = _RpcConsumer()


def rpc(fn=None, **kwargs):
    kwargs.setdefault("expected_exceptions", CLIENT_ERRORS)
    if fn is None:  # @rpc(...)
        return _Rpc.decorator(**kwargs)
    return _Rpc.decorator(**kwargs)(fn)  # bare @rpc: nameko's own bare form would drop the kwargs
