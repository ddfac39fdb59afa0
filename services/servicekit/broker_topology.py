"""RabbitMQ objects the services rely on, declared before any service starts (by `make up` and the tests).

- the vhost (through the management API, else rabbitmqctl);
- the dead-letter exchange and queue;
- every service's event exchange, and every reliable handler's quorum queue with its binding, discovered
  from the service classes. Declaring subscriber queues up front means an event published before its
  consumer first starts still waits in the consumer's queue instead of being dropped as unroutable;
- and the deletion of retired handlers' queues (RETIRED_QUEUES).
"""
from __future__ import annotations

import importlib
import inspect
import logging
import shutil
import subprocess
from urllib.parse import quote, urlsplit

import kombu
import requests
from nameko.events import get_event_exchange

from . import settings
from .reliable_events import (DEAD_LETTER_EXCHANGE, DEAD_LETTER_QUEUE, ReliableEventHandler,
                              handler_queue_arguments, handler_queue_name)

log = logging.getLogger(__name__)

SERVICE_CLASSES = {
    "members": "services.members.service:MembersService",
    "events": "services.events.service:EventsService",
    "referrals": "services.referrals.service:ReferralsService",
    "referral_webhooks": "services.referrals.webhook_service:ReferralWebhooksService",
}


# Queues of handlers that no longer exist. Nothing consumes them any more, but a broker provisioned before keeps
# them bound to their exchange, where they would fill with every matching event, forever. Provisioning deletes
# them (with what they still hold); deleting a queue that is not there is no error, so this is idempotent.
RETIRED_QUEUES = (
    # referral_webhooks.on_referral_event: webhook deliveries are planned in the referral change's own
    # transaction by a trigger on the referrals outbox (referrals migration 0101, which also plans what was
    # still waiting here).
    handler_queue_name("referrals", "referral.#", "referral_webhooks", "on_referral_event"),
)


def load_service_classes(paths=None) -> list[type]:
    classes = []
    for path in (paths or SERVICE_CLASSES.values()):
        module_name, _, attr = path.partition(":")
        try:
            module = importlib.import_module(module_name)
        except ModuleNotFoundError as exc:
            if exc.name and module_name.startswith(exc.name):
                continue  # that service does not exist (yet)
            raise
        classes.append(getattr(module, attr))
    return classes


def reliable_handlers(service_cls) -> list[tuple[str, str, str]]:
    """(source_service, event_type, method_name) for each ReliableEventHandler on the class."""
    found = []
    for name, member in inspect.getmembers(service_cls, inspect.isfunction):
        for entrypoint in getattr(member, "nameko_entrypoints", ()):
            if isinstance(entrypoint, ReliableEventHandler):
                found.append((entrypoint.source_service, entrypoint.event_type, name))
    return found


def ensure_vhost(vhost: str) -> None:
    base = urlsplit(settings.rabbitmq_management_url())
    api = f"{base.scheme}://{base.hostname}:{base.port or 15672}/api"
    auth = (base.username or "guest", base.password or "guest")
    try:
        requests.put(f"{api}/vhosts/{quote(vhost, safe='')}", auth=auth, json={}, timeout=10).raise_for_status()
        requests.put(f"{api}/permissions/{quote(vhost, safe='')}/{auth[0]}", auth=auth,
                     json={"configure": ".*", "write": ".*", "read": ".*"}, timeout=10).raise_for_status()
        return
    except requests.RequestException as exc:
        if not shutil.which("rabbitmqctl"):
            raise RuntimeError(f"cannot create vhost {vhost}: management API unreachable ({exc})") from exc
    subprocess.run(["rabbitmqctl", "add_vhost", vhost], check=False, capture_output=True)
    subprocess.run(["rabbitmqctl", "set_permissions", "-p", vhost, "guest", ".*", ".*", ".*"], check=True,
                   capture_output=True)


def delete_vhost(vhost: str) -> None:
    base = urlsplit(settings.rabbitmq_management_url())
    api = f"{base.scheme}://{base.hostname}:{base.port or 15672}/api"
    requests.delete(f"{api}/vhosts/{quote(vhost, safe='')}", auth=(base.username or "guest", base.password or "guest"),
                    timeout=10)


def declare_topology(amqp_uri: str | None = None, service_classes=None, delivery_limit: int | None = None) -> list[str]:
    """Declare the DLX, DLQ, event exchanges and handler queues. Returns the handler queue names."""
    amqp_uri = amqp_uri or settings.amqp_uri()
    classes = service_classes if service_classes is not None else load_service_classes()
    declared = []
    with kombu.Connection(amqp_uri, connect_timeout=10) as conn:
        channel = conn.channel()
        dlx = kombu.Exchange(DEAD_LETTER_EXCHANGE, type="topic", durable=True)
        dlx(channel).declare()
        kombu.Queue(DEAD_LETTER_QUEUE, exchange=dlx, routing_key="#", durable=True,
                    queue_arguments={"x-queue-type": "classic"})(channel).declare()
        for service_cls in classes:
            get_event_exchange(service_cls.name, {})(channel).declare()
            for source, event_type, method in reliable_handlers(service_cls):
                exchange = get_event_exchange(source, {})
                exchange(channel).declare()
                name = handler_queue_name(source, event_type, service_cls.name, method)
                kombu.Queue(name, exchange=exchange, routing_key=event_type, durable=True,
                            queue_arguments=handler_queue_arguments(delivery_limit))(channel).declare()
                declared.append(name)
        channel.close()
    return declared


def delete_retired_queues(amqp_uri: str | None = None, names=RETIRED_QUEUES) -> dict[str, int]:
    """Delete the retired queues; {name: messages it still held} (0 also when it did not exist)."""
    discarded = {}
    with kombu.Connection(amqp_uri or settings.amqp_uri(), connect_timeout=10) as conn:
        channel = conn.channel()
        for name in names:
            discarded[name] = channel.queue_delete(name) or 0
            if discarded[name]:
                log.warning("deleted retired queue %s with %d message(s)", name, discarded[name])
        channel.close()
    return discarded


def main():
    logging.basicConfig(level="INFO")
    ensure_vhost(settings.vhost())
    queues = declare_topology()
    delete_retired_queues()
    print(f"broker topology ready on vhost {settings.vhost()}: {len(queues)} handler queue(s)")


if __name__ == "__main__":
    main()
