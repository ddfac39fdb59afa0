"""Event handlers that neither lose nor loop on a failing message.

nameko's default handler acks a message whose handler raised (the event is lost); `requeue_on_error` on a
classic queue hot-loops forever. This handler consumes from a quorum queue with a delivery limit and a
dead-letter exchange and requeues on error: a transient failure is retried, a handler that keeps failing
ends in the dead-letter queue, where `dead_letters` lists and replays it. Measured in engineering.md §2.8.

Handlers must be idempotent: they call `uow.already_processed(event)` in the transaction of their writes.
"""
from __future__ import annotations

import logging

from nameko.events import EventHandler

from . import settings
from .observability import EVENTS_DEAD_LETTERED

log = logging.getLogger(__name__)

DEAD_LETTER_EXCHANGE = "tsunagu.dead-letter"
DEAD_LETTER_QUEUE = "tsunagu.dead-letters"


def handler_queue_name(source_service: str, event_type: str, service_name: str, method_name: str) -> str:
    """nameko's SERVICE_POOL queue name; the topology pre-declares the same names."""
    return f"evt-{source_service}-{event_type}--{service_name}.{method_name}"


def handler_queue_arguments(delivery_limit: int | None = None) -> dict:
    return {
        "x-queue-type": "quorum",
        "x-delivery-limit": delivery_limit if delivery_limit is not None else settings.event_delivery_limit(),
        "x-dead-letter-exchange": DEAD_LETTER_EXCHANGE,
    }


class ReliableEventHandler(EventHandler):
    def __init__(self, source_service, event_type, **kwargs):
        kwargs["requeue_on_error"] = True
        super().__init__(source_service, event_type, **kwargs)

    def setup(self):
        super().setup()
        expected = handler_queue_name(self.source_service, self.event_type,
                                      self.container.service_name, self.method_name)
        assert self.queue.name == expected, (self.queue.name, expected)
        self.queue.queue_arguments = handler_queue_arguments(self.container.config.get("EVENT_DELIVERY_LIMIT"))

    def handle_result(self, message, worker_ctx, result=None, exc_info=None):
        if exc_info is not None:
            limit = self.queue.queue_arguments["x-delivery-limit"]
            # RabbitMQ counts earlier failed deliveries in x-delivery-count (absent on the first one).
            deliveries = int((message.headers or {}).get("x-delivery-count", 0)) + 1
            if deliveries > limit:
                EVENTS_DEAD_LETTERED.labels(self.container.service_name, self.method_name).inc()
                log.error("handler gave up; the event goes to the dead-letter queue",
                          extra={"handler": self.method_name, "event_type": self.event_type})
        return super().handle_result(message, worker_ctx, result, exc_info)


reliable_event_handler = ReliableEventHandler.decorator
