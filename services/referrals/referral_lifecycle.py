"""Referral rules in plain Python: the FHIR SDOH referral Task lifecycle and who may set each state
(standards.md §2.2), consent / legal basis, overdue deadlines per urgency, pool eligibility and who may see what.

No I/O here: the use cases in `referral_use_cases.py` load rows, ask these functions, and write the outcome.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta

from services.servicekit import taxonomy
from services.servicekit.areas.scope import scope_contains
from services.servicekit.caller import STAFF_ROLES, Principal
from services.servicekit.errors import Conflict, Forbidden, InvalidInput

# --- states -----------------------------------------------------------------------------------------------
DRAFT, REQUESTED, ACCEPTED, REJECTED, CANCELLED = "draft", "requested", "accepted", "rejected", "cancelled"
IN_PROGRESS, ON_HOLD, COMPLETED, FAILED, ENTERED_IN_ERROR = ("in-progress", "on-hold", "completed", "failed",
                                                             "entered-in-error")
STATES = (DRAFT, REQUESTED, ACCEPTED, REJECTED, CANCELLED, IN_PROGRESS, ON_HOLD, COMPLETED, FAILED,
          ENTERED_IN_ERROR)
TERMINAL = frozenset({REJECTED, CANCELLED, COMPLETED, FAILED, ENTERED_IN_ERROR})
OPEN = frozenset(STATES) - TERMINAL

SENDER, TARGET = "sender", "target"

# (from, to) -> the parties that may make that move. `entered-in-error` is handled separately (any -> it, sender).
TRANSITIONS: dict[tuple[str, str], frozenset[str]] = {
    (DRAFT, REQUESTED): frozenset({SENDER}),
    (DRAFT, CANCELLED): frozenset({SENDER}),
    (REQUESTED, ACCEPTED): frozenset({TARGET}),
    (REQUESTED, REJECTED): frozenset({TARGET}),
    (REQUESTED, CANCELLED): frozenset({SENDER, TARGET}),
    (ACCEPTED, IN_PROGRESS): frozenset({TARGET}),
    (ACCEPTED, ON_HOLD): frozenset({TARGET}),
    (ACCEPTED, COMPLETED): frozenset({TARGET}),
    (ACCEPTED, FAILED): frozenset({TARGET}),
    (ACCEPTED, CANCELLED): frozenset({SENDER, TARGET}),
    (IN_PROGRESS, ON_HOLD): frozenset({TARGET}),
    (ON_HOLD, IN_PROGRESS): frozenset({TARGET}),
    (IN_PROGRESS, COMPLETED): frozenset({TARGET}),
    (IN_PROGRESS, FAILED): frozenset({TARGET}),
    (IN_PROGRESS, CANCELLED): frozenset({SENDER, TARGET}),
    (ON_HOLD, COMPLETED): frozenset({TARGET}),
    (ON_HOLD, FAILED): frozenset({TARGET}),
    (ON_HOLD, CANCELLED): frozenset({SENDER, TARGET}),
}
REASON_REQUIRED = frozenset({REJECTED, CANCELLED, ON_HOLD, FAILED})
OUTCOME_REQUIRED = frozenset({COMPLETED})

# The integration event each status change publishes (draft -> requested publishes referral.requested).
EVENT_FOR_STATUS = {REQUESTED: "referral.requested", ACCEPTED: "referral.accepted", REJECTED: "referral.rejected",
                    IN_PROGRESS: "referral.in_progress", ON_HOLD: "referral.on_hold",
                    COMPLETED: "referral.completed", FAILED: "referral.failed", CANCELLED: "referral.cancelled",
                    ENTERED_IN_ERROR: "referral.cancelled"}


def party_of(principal: Principal | None, sender_org: str, target_org: str | None) -> str | None:
    """Which side of the referral the caller acts for (None: neither)."""
    if principal is None or not principal.organization_id:
        return None
    if principal.acts_for(sender_org):
        return SENDER
    if target_org and principal.acts_for(target_org):
        return TARGET
    return None


def check_transition(current: str, new: str, party: str | None, reason: str | None = None,
                     outcome: str | None = None) -> None:
    """Raise unless `party` may move a referral from `current` to `new` with this reason/outcome.

    Illegal moves are Conflict (409); a party not allowed to make a legal move is Forbidden (403);
    a missing reason or outcome is InvalidInput (422).
    """
    if new not in STATES:
        raise InvalidInput("unknown status", [{"pointer": "#/status", "detail": "not a referral status"}])
    if party is None:
        raise Forbidden("only the sender or the target may change a referral's status")
    if new == ENTERED_IN_ERROR:
        if current == ENTERED_IN_ERROR:
            raise Conflict(f"a referral cannot move from {current} to {new}")
        if party != SENDER:
            raise Forbidden("only the sender may mark a referral entered-in-error")
    else:
        allowed = TRANSITIONS.get((current, new))
        if allowed is None:
            raise Conflict(f"a referral cannot move from {current} to {new}")
        if party not in allowed:
            raise Forbidden(f"the {party} may not move a referral from {current} to {new}")
    if new in REASON_REQUIRED and not (reason and reason.strip()):
        raise InvalidInput(f"a reason is required for {new}",
                           [{"pointer": "#/reason", "detail": f"required when the status is {new}"}])
    if new in OUTCOME_REQUIRED and not (outcome and outcome.strip()):
        raise InvalidInput(f"an outcome is required for {new}",
                           [{"pointer": "#/outcome", "detail": f"required when the status is {new}"}])


# --- consent and legal basis --------------------------------------------------------------------------------
CONSENT_METHODS = ("written", "verbal", "electronic")  # 書面 / 口頭 / 電子
LEGAL_BASES = ("protection_of_life", "regional_council")  # 人の生命・身体の保護 / 孤独・孤立対策地域協議会
PERSON_FIELDS = ("name", "name_kana", "date_of_birth", "age_band", "phone", "email", "address_area_code",
                 "address")


def check_sharing_basis(consent: dict | None, legal_basis: dict | None, now: datetime,
                        target_org: str | None = None) -> None:
    """A referral carries personal data only with a consent record or a recorded legal basis (else 422)."""
    if not consent and not legal_basis:
        raise InvalidInput("a consent record or a legal basis is required",
                           [{"pointer": "#/consent", "detail": "give the person's consent or a legal basis"}])
    if consent:
        errors = []
        if consent.get("method") not in CONSENT_METHODS:
            errors.append({"pointer": "#/consent/method", "detail": "one of " + ", ".join(CONSENT_METHODS)})
        obtained_at = consent.get("obtained_at")
        if obtained_at is not None and obtained_at > now + timedelta(minutes=5):
            errors.append({"pointer": "#/consent/obtained_at", "detail": "must not be in the future"})
        valid_until = consent.get("valid_until")
        if valid_until is not None and valid_until <= now:
            errors.append({"pointer": "#/consent/valid_until", "detail": "the consent has expired"})
        recipients = consent.get("organization_ids")
        if recipients and target_org and str(target_org) not in {str(o) for o in recipients} and not legal_basis:
            errors.append({"pointer": "#/consent/organization_ids",
                           "detail": "the person did not consent to sharing with the target"})
        if errors:
            raise InvalidInput("the consent record is not valid", errors)
    if legal_basis:
        if legal_basis.get("basis") not in LEGAL_BASES:
            raise InvalidInput("unknown legal basis", [{"pointer": "#/legal_basis/basis",
                                                        "detail": "one of " + ", ".join(LEGAL_BASES)}])
        if legal_basis["basis"] == "regional_council" and not legal_basis.get("council_name"):
            raise InvalidInput("the regional council must be named",
                               [{"pointer": "#/legal_basis/council_name",
                                 "detail": "required for a case inside a 孤独・孤立対策地域協議会"}])


def shared_fields_for(consent: dict | None, legal_basis: dict | None, organization_id: str,
                      now: datetime) -> tuple[str, ...]:
    """The person fields the target organisation may see under the sharing basis (empty: none)."""
    if legal_basis:
        return PERSON_FIELDS
    if not consent:
        return ()
    valid_until = consent.get("valid_until")
    if valid_until is not None and valid_until <= now:
        return ()
    recipients = consent.get("organization_ids")
    if recipients and str(organization_id) not in {str(o) for o in recipients}:
        return ()
    allowed = consent.get("fields") or PERSON_FIELDS
    return tuple(f for f in PERSON_FIELDS if f in allowed)


# --- overdue --------------------------------------------------------------------------------------------------
URGENCIES = ("routine", "urgent", "asap", "stat")  # FHIR request priority codes
DEFAULT_ACCEPT_WITHIN = {"routine": timedelta(hours=72), "urgent": timedelta(hours=24),
                         "asap": timedelta(hours=4), "stat": timedelta(hours=1)}


def parse_accept_within(spec: str | None) -> dict[str, timedelta]:
    """'routine=72h,urgent=24h,asap=4h,stat=30m' (s/m/h/d) -> deadlines; unspecified urgencies keep defaults."""
    out = dict(DEFAULT_ACCEPT_WITHIN)
    units = {"s": "seconds", "m": "minutes", "h": "hours", "d": "days"}
    for part in filter(None, (spec or "").split(",")):
        name, _, value = part.strip().partition("=")
        if name not in URGENCIES or not value or value[-1] not in units:
            raise ValueError(f"bad overdue setting {part!r}")
        out[name] = timedelta(**{units[value[-1]]: float(value[:-1])})
    return out


def overdue_at(requested_at: datetime, urgency: str, accept_within: dict[str, timedelta]) -> datetime:
    return requested_at + accept_within[urgency]


def is_overdue(status: str, requested_at: datetime | None, urgency: str, now: datetime,
               accept_within: dict[str, timedelta]) -> bool:
    """Not accepted or rejected in time: still `requested` after the deadline for its urgency."""
    return status == REQUESTED and requested_at is not None and now >= overdue_at(requested_at, urgency,
                                                                                   accept_within)


# --- the directory copy and pool eligibility ------------------------------------------------------------------
@dataclass(frozen=True)
class DirectoryOrganization:
    organization_id: str
    active: bool
    referral_capacity: str
    taxonomy_codes: tuple[str, ...] = ()
    service_area_codes: tuple[str, ...] = ()
    home_area_code: str | None = None
    active_memberships: int = 0


def serves_area(org: DirectoryOrganization, area_code: str) -> bool:
    return any(scope_contains(served, area_code) for served in org.service_area_codes)


def works_in_field(org: DirectoryOrganization, category: str) -> bool:
    return bool(taxonomy.with_descendants(category) & set(org.taxonomy_codes))


def eligible_for_pool(org: DirectoryOrganization, pool_area: str, pool_category: str) -> bool:
    """An active member organisation, accepting referrals, serving the pool's area and working in its field."""
    return (org.active and org.active_memberships > 0 and org.referral_capacity == "accepting"
            and serves_area(org, pool_area) and works_in_field(org, pool_category))


def check_target(org: DirectoryOrganization | None) -> None:
    """A direct referral goes to an active organisation of the network that takes referrals."""
    pointer = [{"pointer": "#/target_organization_id", "detail": "not an active organisation taking referrals"}]
    if org is None or not org.active:
        raise InvalidInput("the target organisation is not an active organisation of the network", pointer)
    if org.referral_capacity == "paused":
        raise InvalidInput("the target organisation has paused taking referrals", pointer)


# --- who sees what ----------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class Visibility:
    visible: bool
    personal_fields: tuple[str, ...] = field(default=())
    party: str | None = None


def visibility(principal: Principal | None, *, sender_org: str, target_org: str | None, area_code: str,
               consent: dict | None, legal_basis: dict | None, pool_eligible: bool, personal_erased: bool,
               now: datetime, status: str = REQUESTED) -> Visibility:
    """What this principal may see of a referral.

    - a draft exists only for its sender;
    - the sender: everything it sent; the target: the person fields the sharing basis allows;
    - for an unclaimed pool referral, eligible organisations: the non-personal record only;
    - prefecture / bureau / municipal staff whose scope covers the referral's area, and admins: non-personal only;
    - anyone else: nothing (the referral does not exist for them: 404).
    """
    if principal is None:
        return Visibility(False)
    party = party_of(principal, sender_org, target_org)
    if party == SENDER:
        return Visibility(True, () if personal_erased else PERSON_FIELDS, party)
    if status == DRAFT:
        return Visibility(False)
    if party == TARGET:
        fields_ = () if personal_erased else shared_fields_for(consent, legal_basis, principal.organization_id, now)
        return Visibility(True, fields_, party)
    if target_org is None and pool_eligible:
        return Visibility(True)
    if principal.role == "admin" or (principal.role in STAFF_ROLES and principal.covers(area_code)):
        return Visibility(True)
    return Visibility(False)
