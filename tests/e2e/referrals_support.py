"""Helpers for the referrals tests: the members service's contract events published to the real broker (built
with the members service's own event types), partner API keys, and a queue that
captures every event the referrals service publishes."""
from __future__ import annotations

import itertools
import json
import uuid
from datetime import datetime, timedelta, timezone

import kombu
from nameko.events import get_event_exchange

from services.servicekit import settings
from tests.support.contract_events import publish_event

_revisions = itertools.count(1)


def publish_members_event(event_type: str, payload: dict, area: str | None = None) -> dict:
    return publish_event("members", event_type, payload, area)


def organization_payload(org_id: str, *, name="団体", home="012301", areas=("012301",), fields_=("isolation",),
                         capacity="accepting", active=True, revision=None) -> dict:
    return {"organization_id": org_id, "revision": revision or next(_revisions) + 1000, "name": name,
            "name_kana": "ダンタイ", "legal_form": "npo", "taxonomy_codes": list(fields_),
            "activity_types": ["consultation"], "service_area_codes": list(areas), "home_area_code": home,
            "referral_capacity": capacity, "published": True, "active": active}


def register_member_organization(**kw) -> str:
    """An active member organisation: registered + an active membership, as the members service announces."""
    org_id = str(uuid.uuid4())
    payload = organization_payload(org_id, **kw)
    publish_members_event("organization.registered", payload, area=payload["home_area_code"])
    publish_members_event("membership.activated", {
        "membership_id": str(uuid.uuid4()), "revision": 1, "organization_id": org_id,
        "platform_id": str(uuid.uuid4()), "platform_area_code": payload["home_area_code"],
        "membership_class": "member", "status": "active", "effective_on": "2026-04-01"},
        area=payload["home_area_code"])
    return org_id


def wait_in_directory(*organization_ids: str) -> None:
    """Until the referrals service's directory copy holds an active membership of each organisation."""
    from tests.support.fixtures import connect
    from tests.support.processes import wait_until

    def known():
        with connect("referrals") as conn:
            return conn.execute("SELECT count(DISTINCT organization_id) AS n FROM directory_memberships "
                                "WHERE organization_id = ANY(%s) AND status = 'active'",
                                ([uuid.UUID(o) for o in organization_ids],)).fetchone()["n"] == len(organization_ids)
    wait_until(known, 30, 0.1, "the referrals directory copy to know the organisations")


class EventCapture:
    """A queue bound to `referrals.events` with `#`: every event the service publishes, in order."""

    def __init__(self):
        self.name = f"test-capture-{uuid.uuid4().hex[:8]}"
        self.events: list[dict] = []
        self.raw: list[str] = []
        self._conn = kombu.Connection(settings.amqp_uri())
        channel = self._conn.channel()
        exchange = get_event_exchange("referrals", {})
        exchange(channel).declare()
        self.queue = kombu.Queue(self.name, exchange=exchange, routing_key="#", auto_delete=False, durable=False)
        self.queue(channel).declare()
        self._channel = channel

    def drain(self) -> list[dict]:
        bound = self.queue(self._channel)
        while True:
            message = bound.get(no_ack=True)
            if message is None:
                return self.events
            body = message.body.decode() if isinstance(message.body, bytes) else message.body
            self.raw.append(body)
            self.events.append(json.loads(body))

    def of(self, referral_id: str, event_type: str | None = None) -> list[dict]:
        self.drain()
        return [e for e in self.events if e["payload"]["referral_id"] == referral_id
                and (event_type is None or e["type"] == event_type)]

    def close(self):
        try:
            self.queue(self._channel).delete()
        finally:
            self._conn.release()


def consent(**kw) -> dict:
    now = datetime.now(timezone.utc)
    base = {"obtained_by": "相談支援員", "obtained_at": (now - timedelta(hours=1)).isoformat(), "method": "written",
            "valid_until": (now + timedelta(days=180)).isoformat()}
    base.update(kw)
    return base


PERSON = {"name": "登別 太郎", "name_kana": "ノボリベツ タロウ", "date_of_birth": "1975-06-15",
          "phone": "0143-88-1234", "email": "taro.noboribetsu@example.jp", "address_area_code": "012301",
          "address": "登別市富士町7丁目9-11"}


def referral_body(target=None, pool=None, person=None, **kw) -> dict:
    body = {"category": "hikikomori", "urgency": "routine", "summary": "8050世帯。親の介護支援から子のひきこもりが判明",
            "area_code": "012301", "person": person or PERSON, "consent": consent()}
    if target:
        body["target_organization_id"] = target
    if pool:
        body["pool"] = pool
    body.update(kw)
    return body
