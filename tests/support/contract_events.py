"""Publishing another service's integration events to the real broker, built with that service's own event types,
so a test payload that drifts from the producer's contract fails at once."""
from __future__ import annotations

import kombu
from nameko.events import get_event_exchange

from services.servicekit import settings


def event_types(source: str) -> dict:
    if source == "members":
        from services.members import integration_events as ie
        return {e.type: e for e in (ie.ORGANIZATION_REGISTERED, ie.ORGANIZATION_UPDATED, ie.ORGANIZATION_DEACTIVATED,
                                    ie.PLATFORM_CREATED, ie.PLATFORM_UPDATED, ie.PLATFORM_PHASE_CHANGED,
                                    *ie.MEMBERSHIP_EVENTS.values())}
    if source == "referrals":
        from services.referrals import integration_events as ie
        return dict(ie.BY_TYPE)
    raise ValueError(f"no contract known for {source}")


def publish_event(source: str, event_type: str, payload: dict, area: str | None = None,
                  event_id: str | None = None) -> dict:
    envelope = event_types(source)[event_type].envelope(payload, producer=source, area=area)
    if event_id:
        envelope["event_id"] = event_id
    exchange = get_event_exchange(source, {})
    with kombu.Connection(settings.amqp_uri(), transport_options={"confirm_publish": True}) as conn:
        kombu.Producer(conn.channel(), exchange=exchange, serializer="json").publish(
            envelope, routing_key=event_type, delivery_mode=2, message_id=envelope["event_id"], declare=[exchange])
    return envelope
