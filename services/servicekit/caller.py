"""Who is calling: the principal the gateway verified, carried to services in nameko context data.

Services re-check scope for every object they return (defence in depth) with `Principal.covers`, which
uses the one scope function in `areas.scope`.
"""
from __future__ import annotations

import json
from dataclasses import asdict, dataclass

from nameko.extensions import DependencyProvider

from .areas.scope import scope_contains

PRINCIPAL_CONTEXT_KEY = "principal"
REQUEST_ID_CONTEXT_KEY = "correlation_id"

STAFF_ROLES = ("prefecture", "bureau", "municipality")
ROLES = STAFF_ROLES + ("organization", "partner", "admin")


@dataclass(frozen=True)
class Principal:
    subject: str
    role: str
    area: str | None = None
    organization_id: str | None = None
    via: str = "jwt"  # "jwt" for people, "api_key" for partner systems, "system" for internal jobs

    @property
    def scope(self) -> str | None:
        """The area code this principal oversees, or None when its reach is an organisation."""
        if self.role == "admin":
            return "JP"
        if self.role in STAFF_ROLES:
            return self.area
        return None

    def covers(self, area_code: str | None) -> bool:
        scope = self.scope
        return bool(scope and area_code and scope_contains(scope, area_code))

    def acts_for(self, organization_id: str | None) -> bool:
        return bool(organization_id) and self.organization_id == str(organization_id)

    def to_context(self) -> str:
        return json.dumps(asdict(self), separators=(",", ":"))

    @classmethod
    def from_context(cls, raw: str | None) -> "Principal | None":
        if not raw:
            return None
        data = json.loads(raw)
        return cls(**{k: data.get(k) for k in ("subject", "role", "area", "organization_id", "via")})


SYSTEM = Principal(subject="system", role="admin", via="system")


class Caller(DependencyProvider):
    """Injects the calling Principal (or None for anonymous/public calls) into a worker."""

    def get_dependency(self, worker_ctx):
        return Principal.from_context(worker_ctx.data.get(PRINCIPAL_CONTEXT_KEY))
