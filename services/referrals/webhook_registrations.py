"""Use cases for webhook endpoints: register, list, read, change, rotate the secret, delete; the delivery log
and redelivery. Plain Python over a unit of work; the nameko service only loads input and calls these.

Who may do what: a partner system (API key) or organisation staff manage their own organisation's endpoints;
admins may read every endpoint and disable or delete one. Anything else is NotFound, so ids do not leak.
"""
from __future__ import annotations

import uuid

from services.servicekit.caller import Principal
from services.servicekit.errors import Conflict, Forbidden, InvalidInput, NotFound

from . import webhook_repository as repo
from .webhook_secret_box import box_from_settings
from .webhook_signing import generate_secret
from .webhook_targets import TargetRefused, resolve_target, system_resolver

ORGANIZATION_ROLES = ("partner", "organization")


def _uuid_or_not_found(value, what: str) -> str:
    try:
        return str(uuid.UUID(str(value)))
    except (ValueError, TypeError, AttributeError):
        raise NotFound(f"no such {what}") from None


def _acting_organization(principal: Principal | None) -> str:
    if principal is None or principal.role not in ORGANIZATION_ROLES or not principal.organization_id:
        raise Forbidden("webhook endpoints are registered with an organisation's own credentials")
    return str(principal.organization_id)


def _is_admin(principal: Principal | None) -> bool:
    return principal is not None and principal.role == "admin"


def _can_see(principal: Principal | None, endpoint: dict) -> bool:
    return _is_admin(principal) or (principal is not None and principal.role in ORGANIZATION_ROLES
                                    and principal.acts_for(str(endpoint["organization_id"])))


def _present(endpoint: dict, secrets: list[dict]) -> dict:
    out = {k: endpoint[k] for k in ("id", "organization_id", "url", "description", "event_types", "active",
                                    "created_at", "updated_at", "disabled_at")}
    out["id"], out["organization_id"] = str(out["id"]), str(out["organization_id"])
    out["secrets"] = [{"id": str(s["id"]), "created_at": s["created_at"], "expires_at": s["expires_at"]}
                      for s in secrets]
    return out


def _check_target(url: str, settings, resolver) -> None:
    try:
        resolve_target(url, settings.allow_loopback, resolver)
    except TargetRefused as exc:
        raise InvalidInput("the webhook URL is not allowed", [{"pointer": "#/url", "detail": str(exc)}]) from None


class WebhookRegistrations:
    def __init__(self, unit_of_work, settings, resolver=system_resolver):
        self.unit_of_work = unit_of_work
        self.settings = settings
        self.resolver = resolver
        self.box = box_from_settings(settings)

    def _load_visible(self, conn, principal, endpoint_id, for_update=False) -> dict:
        endpoint = repo.get_endpoint(conn, _uuid_or_not_found(endpoint_id, "webhook endpoint"), for_update)
        if endpoint is None or not _can_see(principal, endpoint):
            raise NotFound("no such webhook endpoint")
        return endpoint

    def _load_owned(self, conn, principal, endpoint_id, admin_allowed: bool) -> dict:
        endpoint = self._load_visible(conn, principal, endpoint_id, for_update=True)
        if _is_admin(principal) and not admin_allowed:
            raise Forbidden("only the organisation itself may do this")
        return endpoint

    def register(self, principal: Principal | None, data: dict) -> dict:
        organization_id = _acting_organization(principal)
        url = data["url"].strip()
        _check_target(url, self.settings, self.resolver)
        secret = generate_secret()
        with self.unit_of_work() as uow:
            if repo.lock_and_count_endpoints(uow.conn, organization_id) >= self.settings.max_endpoints_per_organization:
                raise Conflict(f"an organisation may register at most {self.settings.max_endpoints_per_organization} "
                               "webhook endpoints; delete one first")
            endpoint = repo.insert_endpoint(uow.conn, organization_id=organization_id, url=url,
                                            description=data.get("description") or "",
                                            event_types=data.get("event_types"), created_by=principal.subject)
            summary = repo.insert_secret(uow.conn, str(endpoint["id"]), self.box.seal(secret, str(endpoint["id"])))
        return {**_present(endpoint, [summary]), "secret": secret}

    def list(self, principal: Principal | None, query: dict) -> dict:
        if _is_admin(principal):
            organization_id = str(query["organization_id"]) if query.get("organization_id") else None
        else:
            organization_id = _acting_organization(principal)
            if query.get("organization_id") and str(query["organization_id"]) != organization_id:
                return {"items": []}
        after = str(query["after"]) if query.get("after") else None
        with self.unit_of_work() as uow:
            rows = repo.list_endpoints(uow.conn, organization_id, query.get("limit", 100), after)
            secrets = repo.secret_summaries(uow.conn, [r["id"] for r in rows])
        return {"items": [_present(r, secrets[str(r["id"])]) for r in rows]}

    def get(self, principal: Principal | None, endpoint_id) -> dict:
        with self.unit_of_work() as uow:
            endpoint = self._load_visible(uow.conn, principal, endpoint_id)
            secrets = repo.secret_summaries(uow.conn, [endpoint["id"]])
        return _present(endpoint, secrets[str(endpoint["id"])])

    def update(self, principal: Principal | None, endpoint_id, changes: dict) -> dict:
        only_disabling = set(changes) <= {"active"} and changes.get("active") is False
        with self.unit_of_work() as uow:
            endpoint = self._load_owned(uow.conn, principal, endpoint_id, admin_allowed=only_disabling)
            if changes.get("active") is True and not endpoint["active"]:
                _check_target(endpoint["url"], self.settings, self.resolver)
            updated = repo.update_endpoint(uow.conn, str(endpoint["id"]), changes) if changes else endpoint
            if changes.get("active") is False:
                repo.stop_pending_deliveries(uow.conn, str(endpoint["id"]))
            secrets = repo.secret_summaries(uow.conn, [endpoint["id"]])
        return _present(updated, secrets[str(endpoint["id"])])

    def delete(self, principal: Principal | None, endpoint_id) -> None:
        with self.unit_of_work() as uow:
            endpoint = self._load_owned(uow.conn, principal, endpoint_id, admin_allowed=True)
            repo.delete_endpoint(uow.conn, str(endpoint["id"]))

    def rotate_secret(self, principal: Principal | None, endpoint_id, data: dict) -> dict:
        overlap = data.get("overlap_seconds")
        overlap = self.settings.secret_overlap_seconds if overlap is None else int(overlap)
        secret = generate_secret()
        with self.unit_of_work() as uow:
            endpoint = self._load_owned(uow.conn, principal, endpoint_id, admin_allowed=False)
            endpoint_key = str(endpoint["id"])
            repo.retire_secrets(uow.conn, endpoint_key, overlap)
            repo.insert_secret(uow.conn, endpoint_key, self.box.seal(secret, endpoint_key))
            summaries = repo.secret_summaries(uow.conn, [endpoint_key])[endpoint_key]
        previous = [s["expires_at"] for s in summaries if s["expires_at"] is not None]
        return {"endpoint_id": endpoint_key, "secret": secret,
                "previous_secret_expires_at": previous[0] if previous else None}

    def deliveries(self, principal: Principal | None, endpoint_id, query: dict) -> dict:
        with self.unit_of_work() as uow:
            endpoint = self._load_visible(uow.conn, principal, endpoint_id)
            before = str(query["before"]) if query.get("before") else None
            rows = repo.list_deliveries(uow.conn, str(endpoint["id"]), query.get("status"), query.get("limit", 50),
                                        before)
            attempts = repo.attempts_for(uow.conn, [r["id"] for r in rows])
        return {"items": [_present_delivery(r, attempts[str(r["id"])]) for r in rows]}

    def redeliver(self, principal: Principal | None, endpoint_id, delivery_id) -> dict:
        with self.unit_of_work() as uow:
            endpoint = self._load_owned(uow.conn, principal, endpoint_id, admin_allowed=True)
            delivery = repo.lock_delivery(uow.conn, _uuid_or_not_found(delivery_id, "delivery"))
            if delivery is None or str(delivery["endpoint_id"]) != str(endpoint["id"]):
                raise NotFound("no such delivery")
            if not endpoint["active"]:
                raise InvalidInput("the endpoint is disabled", [{"pointer": "#/active",
                                                                 "detail": "enable the endpoint first"}])
            repo.request_redelivery(uow.conn, str(delivery["id"]))
            delivery = repo.get_delivery(uow.conn, str(delivery["id"]))
            attempts = repo.attempts_for(uow.conn, [delivery["id"]])
        return _present_delivery(delivery, attempts[str(delivery["id"])])


def _present_delivery(row: dict, attempts: list[dict]) -> dict:
    out = {k: row[k] for k in ("id", "endpoint_id", "event_id", "event_type", "referral_id", "occurred_at",
                               "status", "attempt_count", "next_attempt_at", "last_attempt_at",
                               "last_status_code", "last_outcome", "completed_at", "created_at")}
    for key in ("id", "endpoint_id", "event_id", "referral_id"):
        out[key] = str(out[key])
    out["attempts"] = attempts
    return out
