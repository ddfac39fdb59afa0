"""List and replay dead-lettered events.

  python -m services.servicekit.dead_letters list
  python -m services.servicekit.dead_letters replay --all | --event-id UUID [--event-id ...]

Listing reads every message without acknowledging it and then returns them all to the queue. Replay sends a
message straight back to the queue it died in (from RabbitMQ's `x-death` header) with a fresh delivery
count, then removes it from the dead-letter queue; only that one handler sees it again.
"""
from __future__ import annotations

import argparse
import json
from dataclasses import dataclass

import kombu

from . import settings
from .reliable_events import DEAD_LETTER_QUEUE


@dataclass
class DeadLetter:
    event_id: str | None
    event_type: str | None
    queue: str | None
    reason: str | None
    deaths: int
    message: object


def _describe(message) -> DeadLetter:
    headers = message.headers or {}
    deaths = headers.get("x-death") or []
    first = deaths[0] if deaths else {}
    body = message.decode() if message.body else {}
    return DeadLetter(
        event_id=(body or {}).get("event_id") if isinstance(body, dict) else None,
        event_type=(body or {}).get("type") if isinstance(body, dict) else None,
        queue=first.get("queue"), reason=first.get("reason"),
        deaths=sum(int(d.get("count", 1)) for d in deaths), message=message)


def _drain(channel) -> list[DeadLetter]:
    queue = kombu.Queue(DEAD_LETTER_QUEUE)(channel)
    letters = []
    while True:
        message = queue.get(no_ack=False, accept=["json"])
        if message is None:
            return letters
        letters.append(_describe(message))


def list_dead_letters(amqp_uri: str | None = None) -> list[dict]:
    with kombu.Connection(amqp_uri or settings.amqp_uri()) as conn:
        channel = conn.channel()
        letters = _drain(channel)
        for letter in letters:
            letter.message.reject(requeue=True)
        channel.close()
    return [{k: v for k, v in vars(l).items() if k != "message"} for l in letters]


def replay_dead_letters(event_ids=None, amqp_uri: str | None = None) -> list[str]:
    """Replay the given events (all when event_ids is None). Returns the replayed event ids."""
    wanted = set(event_ids) if event_ids is not None else None
    replayed = []
    with kombu.Connection(amqp_uri or settings.amqp_uri(), transport_options={"confirm_publish": True}) as conn:
        channel = conn.channel()
        producer = kombu.Producer(channel)
        for letter in _drain(channel):
            if letter.queue and (wanted is None or letter.event_id in wanted):
                headers = {k: v for k, v in (letter.message.headers or {}).items()
                           if not k.startswith("x-")}
                producer.publish(letter.message.body, exchange="", routing_key=letter.queue,
                                 content_type=letter.message.content_type,
                                 content_encoding=letter.message.content_encoding,
                                 headers=headers, delivery_mode=2,
                                 message_id=letter.message.properties.get("message_id"))
                letter.message.ack()
                replayed.append(letter.event_id)
            else:
                letter.message.reject(requeue=True)
        channel.close()
    return replayed


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = parser.add_subparsers(dest="command", required=True)
    sub.add_parser("list")
    replay = sub.add_parser("replay")
    group = replay.add_mutually_exclusive_group(required=True)
    group.add_argument("--all", action="store_true")
    group.add_argument("--event-id", action="append")
    args = parser.parse_args(argv)
    if args.command == "list":
        for letter in list_dead_letters():
            print(json.dumps(letter, ensure_ascii=False))
    else:
        ids = replay_dead_letters(None if args.all else args.event_id)
        print(f"replayed {len(ids)} event(s)")


if __name__ == "__main__":
    main()
