"""Referral use cases: each runs inside one unit of work (one transaction) — rows, history, outbox events and
idempotency keys commit together or not at all. Plain Python over a psycopg connection; service.py is the edge.
"""
from __future__ import annotations

import hmac
import json
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone


from services.servicekit.caller import STAFF_ROLES, Principal
from services.servicekit.edge import load_input
from services.servicekit.jsonable import jsonable
from services.servicekit.errors import (BadRequest, Conflict, Forbidden, InvalidInput, NotFound,
                                        PreconditionFailed, TsunaguError)
from services.servicekit.areas.registry import default_registry

from . import directory, integration_events as ev, referral_lifecycle as rl, repository as repo
from .personal_data import Keyring, Sealed, only_fields
from .schemas import ForwardSchema, PersonSchema, ReferralCreateSchema, ReferralListQuery, StatusChangeSchema

MAX_IDEMPOTENCY_KEY = 255


@dataclass
class Context:
    uow: object
    principal: Principal | None
    request_id: str | None
    keyring: Keyring
    now: datetime

    @property
    def conn(self):
        return self.uow.conn


def utcnow() -> datetime:
    return datetime.now(timezone.utc)


PERSON_SCHEMA = PersonSchema()
load = load_input  # the kit's edge loader (one way to load input everywhere)


def _json_safe(value):
    return json.loads(json.dumps(value, default=str))


def _require_org(principal: Principal | None) -> str:
    if principal is None or not principal.organization_id:
        raise Forbidden("only an organisation (partner system or organisation staff) can do this")
    return principal.organization_id


# --- representation and visibility --------------------------------------------------------------------------
def _pool_eligible(ctx: Context, row) -> bool:
    if row["target_organization_id"] is not None or ctx.principal is None:
        return False
    org = directory.organization(ctx.conn, ctx.principal.organization_id)
    return bool(org) and row["status"] == rl.REQUESTED and rl.eligible_for_pool(
        org, row["pool_area_code"], row["pool_category"])


def _visibility(ctx: Context, row) -> rl.Visibility:
    return rl.visibility(
        ctx.principal, sender_org=str(row["sender_organization_id"]),
        target_org=str(row["target_organization_id"]) if row["target_organization_id"] else None,
        area_code=row["area_code"], consent=_consent_times(row["consent"]), legal_basis=row["legal_basis"],
        pool_eligible=_pool_eligible(ctx, row) if row["target_organization_id"] is None else False,
        personal_erased=bool(row["personal_data_erased"]), now=ctx.now, status=row["status"])


def _consent_times(consent: dict | None) -> dict | None:
    if not consent:
        return consent
    out = dict(consent)
    for key in ("obtained_at", "valid_until"):
        if isinstance(out.get(key), str):
            out[key] = datetime.fromisoformat(out[key])
    return out


_VIEW_FIELDS = ("id", "revision", "status", "category", "urgency", "summary", "area_code", "sender_organization_id",
                "target_organization_id", "forwarded_from_id", "part_of_id", "created_at",
                "requested_at", "accepted_at", "closed_at", "overdue_at", "modified_at", "personal_data_erased")


_jsonable = jsonable


def view(row, party: str | None, person: dict | None = None) -> dict:
    """The JSON representation (documented by schemas.ReferralView); parties also get the sharing basis and
    the sender its own reference — never anyone else."""
    out = {k: _jsonable(row[k]) for k in _VIEW_FIELDS}
    out["pool"] = ({"area_code": row["pool_area_code"], "category": row["pool_category"]}
                   if row["pool_area_code"] else None)
    out["overdue"] = row["overdue_at"] is not None and row["status"] == rl.REQUESTED  # still waiting, too long
    if party in (rl.SENDER, rl.TARGET):
        out["do_not_contact"] = row["do_not_contact"]  # 本人への連絡不可: part of the person's record
        out["partner_reference"] = row["partner_reference"] if party == rl.SENDER else None
        out["consent"] = row["consent"]
        out["legal_basis"] = row["legal_basis"]
    if person is not None:
        out["person"] = person  # already JSON (decrypted); only the fields the sharing basis allows
    return out


def etag(row_or_view) -> str:
    return f'"{row_or_view["revision"]}"'


def _visible_row(ctx: Context, referral_id: str, for_update=False):
    try:
        uuid.UUID(str(referral_id))
    except ValueError:
        raise NotFound("no such referral") from None
    row = repo.get(ctx.conn, str(referral_id), for_update=for_update)
    if row is None:
        raise NotFound("no such referral")
    vis = _visibility(ctx, row)
    if not vis.visible:
        raise NotFound("no such referral")
    return row, vis


# --- events --------------------------------------------------------------------------------------------------
def _interested(ctx: Context, row, target: str | None, extra=()) -> list[str]:
    """Who a change concerns: the sender, the target, every organisation eligible to claim the referral while it
    is an unclaimed pool referral, and `extra` (e.g. those that were eligible when it was claimed)."""
    ids = {str(row["sender_organization_id"])} | {str(x) for x in extra if x}
    if target:
        ids.add(str(target))
    elif row["pool_area_code"]:
        ids |= set(directory.eligible_organizations(ctx.conn, row["pool_area_code"], row["pool_category"]))
    return sorted(ids)


def _emit(ctx: Context, event, row, *, status: str, revision: int, target: str | None, extra=()) -> dict:
    return ctx.uow.emit(event, _event_payload(ctx, row, status=status, revision=revision, target=target, extra=extra),
                        area=row["area_code"])


def _event_payload(ctx: Context, row, *, status: str, revision: int, target: str | None, extra=(),
                   interested: list[str] | None = None) -> dict:
    return {"referral_id": str(row["id"]), "revision": revision, "status": status, "category": row["category"],
               "urgency": row["urgency"], "sender_organization_id": str(row["sender_organization_id"]),
               "target_organization_id": str(target) if target else None,
               "pool": ({"area_code": row["pool_area_code"], "category": row["pool_category"]}
                        if row["pool_area_code"] else None),
               "area_code": row["area_code"],
               "interested_organization_ids": (interested if interested is not None
                                               else _interested(ctx, row, target, extra))}


# --- create ------------------------------------------------------------------------------------------------
def _target_of(data: dict) -> str | None:
    return str(data["target_organization_id"]) if data.get("target_organization_id") else None


def _check_destination(ctx: Context, sender: str, data: dict, orgs: dict | None = None) -> None:
    """The sender is an active organisation of the network; a direct target is an active organisation taking
    referrals (both from the local directory copy, in one query, or `orgs` read already); the person's data may
    be shared."""
    target = _target_of(data)
    if orgs is None:
        orgs = directory.organizations(ctx.conn, [sender, target])
    if sender not in orgs or not orgs[sender].active:
        raise Forbidden("your organisation is not an active organisation of the network")
    if target:
        if target == sender:
            raise InvalidInput("a referral cannot go to its own sender",
                               [{"pointer": "#/target_organization_id", "detail": "must be another organisation"}])
        rl.check_target(orgs.get(target))
    rl.check_sharing_basis(data.get("consent"), data.get("legal_basis"), ctx.now, target_org=target)


@dataclass
class NewReferral:
    """A referral about to be written: its row, sealed person, what its sender is answered and (for POST) the
    idempotency key that stores that answer."""
    ctx: Context
    row: dict
    sealed: Sealed
    identity_hash: bytes | None
    sender_view: dict
    idempotency: tuple | None
    interested: list[str] | None


def _new_referral(ctx: Context, *, sender: str, data: dict, person: dict, forwarded_from=None, part_of=None,
                  idempotency: tuple | None = None) -> NewReferral:
    """Build (not yet write) a referral from validated input; `_write_new` writes any number of them."""
    referral_id = str(uuid.uuid4())
    pool = data.get("pool") or {}
    status = data.get("status", rl.REQUESTED)
    row = {"id": referral_id, "revision": 1, "status": status, "category": data["category"],
           "urgency": data["urgency"], "summary": data["summary"], "area_code": data["area_code"],
           "sender_organization_id": sender,
           "target_organization_id": (str(data["target_organization_id"]) if data.get("target_organization_id")
                                      else None),
           "pool_area_code": pool.get("area_code"), "pool_category": pool.get("category"),
           "do_not_contact": data.get("do_not_contact", False),
           "consent": _json_safe(data.get("consent")), "legal_basis": _json_safe(data.get("legal_basis")),
           "partner_reference": data.get("partner_reference"), "forwarded_from_id": forwarded_from,
           "part_of_id": part_of, "created_by": ctx.principal.subject, "created_at": ctx.now,
           "requested_at": ctx.now if status == rl.REQUESTED else None, "accepted_at": None, "closed_at": None,
           "overdue_at": None, "modified_at": ctx.now, "personal_data_erased": False}
    person_json = PERSON_SCHEMA.dump(person)
    sender_view = view(row, rl.SENDER)
    key = None
    if idempotency is not None:
        organization_id, idempotency_key, fingerprint = idempotency
        key = (organization_id, idempotency_key, fingerprint, 201, sender_view)
    interested = _interested(ctx, row, row["target_organization_id"]) if status == rl.REQUESTED else None
    return NewReferral(ctx, row, ctx.keyring.seal(person_json, referral_id), ctx.keyring.identity_hash(person_json),
                       sender_view, key, interested)


def _write_new(uow, referrals: list[NewReferral]) -> None:
    """Write referrals (each with its sealed person, first history entry and idempotency key) in one statement,
    and their `referral.requested` events with one outbox INSERT, in the caller's transaction."""
    if not referrals:
        return
    uow.write(*repo.new_referrals_statement([(n.row, n.sealed, n.identity_hash, n.ctx.principal, n.ctx.request_id,
                                           n.idempotency) for n in referrals]))
    requested = [n for n in referrals if n.row["status"] == rl.REQUESTED]
    uow.emit_all([(ev.REQUESTED, _event_payload(n.ctx, n.row, status=rl.REQUESTED, revision=1,
                                                target=n.row["target_organization_id"], interested=n.interested),
                   n.row["area_code"]) for n in requested],
                 correlation_ids=[n.ctx.request_id for n in requested])


@dataclass
class CreateRequest:
    """One POST /v1/referrals: who asks (ctx.principal, ctx.request_id), the raw body and its Idempotency-Key."""
    ctx: Context
    body: dict
    idempotency_key: str | None


def _validated(request: CreateRequest) -> tuple[str, dict, bytes]:
    """(sender, loaded body, fingerprint of the raw body), or a TsunaguError for this request alone."""
    sender = _require_org(request.ctx.principal)
    key = request.idempotency_key
    if not key or not key.strip():
        raise BadRequest("the Idempotency-Key header is required")
    if len(key) > MAX_IDEMPOTENCY_KEY:
        raise BadRequest("the Idempotency-Key header is longer than 255 characters")
    data = load(ReferralCreateSchema, request.body)
    fingerprint = request.ctx.keyring.fingerprint(json.dumps(request.body, sort_keys=True, ensure_ascii=False,
                                                             separators=(",", ":")).encode())
    return sender, data, fingerprint


def create_referrals(uow, requests: list[CreateRequest]) -> list:
    """POST /v1/referrals for one or more requests in one transaction (the gateway coalesces the creates that
    arrive together). Each request gets its own answer — {"status", "body", "replayed"} — or its own
    TsunaguError; one request's refusal does not touch the others. The keys' rows commit with the referrals."""
    answers: list = [None] * len(requests)
    checked: dict[int, tuple[str, dict, bytes]] = {}
    for i, request in enumerate(requests):
        try:
            checked[i] = _validated(request)
        except TsunaguError as refused:
            answers[i] = refused
    if not checked:
        return answers
    # One round trip: each key's lock then (seeing what the lock's previous holder committed) its stored
    # response, and the directory entries of every sender and target.
    statements = []
    for i, (sender, data, _) in checked.items():
        statements += [repo.lock_idempotency_key(sender, requests[i].idempotency_key),
                       repo.find_idempotency_key(sender, requests[i].idempotency_key)]
    parties = {p for sender, data, _ in checked.values() for p in (sender, _target_of(data)) if p}
    *key_rows, org_rows = uow.read_together(*statements, directory.organizations_statement(sorted(parties)))
    orgs = directory.organizations_from(org_rows)
    new: list[NewReferral] = []
    keys_in_batch: set[tuple[str, str]] = set()
    for n, (i, (sender, data, fingerprint)) in enumerate(checked.items()):
        request, ((lock,), stored_rows) = requests[i], key_rows[2 * n:2 * n + 2]
        try:
            answers[i] = _answer_create(request, sender, data, fingerprint, lock["ok"], stored_rows, orgs,
                                        keys_in_batch, new)
        except TsunaguError as refused:
            answers[i] = refused
    _write_new(uow, new)
    return answers


def _answer_create(request: CreateRequest, sender: str, data: dict, fingerprint: bytes, locked: bool,
                   stored_rows: list, orgs: dict, keys_in_batch: set, new: list[NewReferral]) -> dict:
    key = (sender, request.idempotency_key)
    # A transaction's advisory locks are re-entrant: the same key twice in one batch is caught here instead.
    if not locked or key in keys_in_batch:
        raise Conflict("a request with this Idempotency-Key is still being processed")
    keys_in_batch.add(key)
    stored = stored_rows[0] if stored_rows else None
    if stored is not None:
        if not hmac.compare_digest(bytes(stored["fingerprint"]), fingerprint):
            raise InvalidInput("this Idempotency-Key was already used with a different request",
                               [{"pointer": "#", "detail": "Idempotency-Key reused with another body"}])
        return {"status": stored["response_status"], "body": stored["response_body"], "replayed": True}
    _check_destination(request.ctx, sender, data, orgs)
    referral = _new_referral(request.ctx, sender=sender, data=data, person=data["person"],
                             idempotency=(sender, request.idempotency_key, fingerprint))
    new.append(referral)
    return {"status": 201, "body": referral.sender_view, "replayed": False}


# --- read ----------------------------------------------------------------------------------------------------
def get_referral(ctx: Context, referral_id: str) -> dict:
    """One referral; the person is included for the sender and the target (as consent allows), audited."""
    row, vis = _visible_row(ctx, referral_id)
    person = None
    if vis.personal_fields:
        sealed = repo.load_person(ctx.conn, str(row["id"]))
        if sealed is not None:
            person = only_fields(ctx.keyring.open(sealed, str(row["id"])), vis.personal_fields)
            repo.record_read(ctx.conn, str(row["id"]), ctx.principal, sorted(person), "view", ctx.request_id)
    return view(row, vis.party, person)


def get_history(ctx: Context, referral_id: str) -> dict:
    row, vis = _visible_row(ctx, referral_id)
    items = repo.history(ctx.conn, str(row["id"]))
    if vis.party is None:  # reasons and outcomes are written by the parties for the parties
        items = [{**i, "reason": None, "outcome": None} for i in items]
    return {"items": items}


def list_referrals(ctx: Context, query: dict) -> dict:
    q = load(ReferralListQuery, query, "the query")
    p = ctx.principal
    box = q["box"]
    if box == "all" and p is not None and not p.organization_id and (p.role == "admin" or p.role in STAFF_ROLES):
        box = "area"  # staff without an office organisation: the referrals of their area (non-personal)
    if box == "area":
        if p is None or not (p.role == "admin" or p.role in STAFF_ROLES):
            raise Forbidden("only prefecture, bureau, municipal staff and admins can list by area")
        codes = [a.code for a in default_registry().municipalities_in(p.scope)] if p.role != "admin" else None
        where, params = (("r.area_code = ANY(%s) AND r.status <> 'draft'", [codes]) if codes is not None
                         else ("r.status <> 'draft'", []))
    else:
        org_id = _require_org(p)
        if box == "sent":
            where, params = "r.sender_organization_id = %s", [org_id]
        elif box == "received":
            where, params = "r.target_organization_id = %s AND r.status <> 'draft'", [org_id]
        elif box == "pool":
            org = directory.organization(ctx.conn, org_id)
            cats = directory.pool_categories_for(org) if org else []
            where, params = ("r.target_organization_id IS NULL AND r.status = 'requested' "
                             "AND r.pool_category = ANY(%s)", [cats])
        else:
            where, params = ("(r.sender_organization_id = %s OR (r.target_organization_id = %s "
                             "AND r.status <> 'draft'))", [org_id, org_id])
    rows = repo.list_referrals(ctx.conn, where, params, q.get("modified_after"), q.get("after_id"),
                               q.get("status"), q["limit"])
    if box == "pool":
        org = directory.organization(ctx.conn, p.organization_id)
        rows = [r for r in rows if org and rl.eligible_for_pool(org, r["pool_area_code"], r["pool_category"])]
    items = []
    for row in rows:
        party = rl.party_of(p, str(row["sender_organization_id"]),
                            str(row["target_organization_id"]) if row["target_organization_id"] else None)
        if box == "area" and p.role in STAFF_ROLES and not p.covers(row["area_code"]):
            continue
        items.append(view(row, party))
    nxt = ({"modified_after": items[-1]["modified_at"], "after_id": items[-1]["id"], "box": box}
           if items else None)
    return {"items": items, "next": nxt}


# --- change ------------------------------------------------------------------------------------------------
def _check_if_match(row, if_match: str | None) -> None:
    if if_match is None:
        return
    offered = {t.strip().removeprefix("W/") for t in if_match.split(",")}
    if "*" not in offered and etag(row) not in offered:
        raise PreconditionFailed("the referral has changed since you read it; fetch it again")


def change_status(ctx: Context, referral_id: str, body: dict, if_match: str | None) -> dict:
    data = load(StatusChangeSchema, body)
    row, vis = _visible_row(ctx, referral_id, for_update=True)
    _check_if_match(row, if_match)
    current, new = row["status"], data["status"]
    rl.check_transition(current, new, vis.party, data.get("reason"), data.get("outcome"))
    if new == rl.REQUESTED:
        _check_destination(ctx, str(row["sender_organization_id"]),
                           {"target_organization_id": row["target_organization_id"],
                            "consent": _consent_times(row["consent"]), "legal_basis": row["legal_basis"]})
    revision = repo.update_status(ctx.conn, str(row["id"]), new, ctx.now, accepted=new == rl.ACCEPTED,
                                  closed=new in rl.TERMINAL, requested=new == rl.REQUESTED)
    repo.add_history(ctx.conn, str(row["id"]), revision, "status", current, new, ctx.principal, ctx.request_id,
                     ctx.now, data.get("reason"), data.get("outcome"))
    event = ev.BY_TYPE[rl.EVENT_FOR_STATUS[new]]
    _emit(ctx, event, row, status=new, revision=revision, target=row["target_organization_id"])
    return view(repo.get(ctx.conn, str(row["id"])), vis.party)


def claim(ctx: Context, referral_id: str, if_match: str | None = None) -> dict:
    """An eligible organisation takes an unclaimed pool referral (and accepts it). The row lock makes exactly
    one of several simultaneous claimers win; the others get 409."""
    org_id = _require_org(ctx.principal)
    row = repo.get(ctx.conn, str(referral_id), for_update=True) if _is_uuid(referral_id) else None
    if row is None or not row["pool_area_code"]:
        raise NotFound("no such referral")
    if str(row["sender_organization_id"]) == org_id:
        raise Conflict("the sender cannot claim its own pool referral")
    org = directory.organization(ctx.conn, org_id)
    eligible = bool(org) and rl.eligible_for_pool(org, row["pool_area_code"], row["pool_category"])
    if row["target_organization_id"] is not None:
        if str(row["target_organization_id"]) == org_id or eligible:
            raise Conflict("this pool referral has already been claimed")
        raise NotFound("no such referral")
    if not eligible:
        raise NotFound("no such referral")
    if row["status"] != rl.REQUESTED:
        raise Conflict(f"a {row['status']} referral cannot be claimed")
    _check_if_match(row, if_match)
    consent = _consent_times(row["consent"])
    if not rl.shared_fields_for(consent, row["legal_basis"], org_id, ctx.now) and not row["legal_basis"]:
        raise Forbidden("the person's consent does not cover sharing with your organisation")
    eligible_before = directory.eligible_organizations(ctx.conn, row["pool_area_code"], row["pool_category"])
    revision = repo.update_status(ctx.conn, str(row["id"]), rl.ACCEPTED, ctx.now, accepted=True, closed=False,
                                  requested=False, target_organization_id=org_id)
    repo.add_history(ctx.conn, str(row["id"]), revision, "claimed", rl.REQUESTED, rl.ACCEPTED, ctx.principal,
                     ctx.request_id, ctx.now)
    _emit(ctx, ev.CLAIMED, row, status=rl.ACCEPTED, revision=revision, target=org_id, extra=eligible_before)
    return view(repo.get(ctx.conn, str(row["id"])), rl.TARGET)


def _is_uuid(value) -> bool:
    try:
        uuid.UUID(str(value))
        return True
    except ValueError:
        return False


def forward(ctx: Context, referral_id: str, body: dict) -> dict:
    """The target re-refers the person elsewhere: a new referral linked forwarded-from / part-of the original."""
    data = load(ForwardSchema, body)
    row, vis = _visible_row(ctx, referral_id, for_update=True)
    if vis.party != rl.TARGET:
        raise Forbidden("only the target of a referral can forward it")
    if row["status"] not in (rl.ACCEPTED, rl.IN_PROGRESS, rl.ON_HOLD):
        raise Conflict(f"a {row['status']} referral cannot be forwarded; accept it first")
    sealed = repo.load_person(ctx.conn, str(row["id"]))
    if sealed is None:
        raise Conflict("the personal data of this referral has been erased")
    if not vis.personal_fields:
        raise Forbidden("the person's consent does not let you pass their data on")
    person = PersonSchema(partial=True).load(only_fields(ctx.keyring.open(sealed, str(row["id"])),
                                                         vis.personal_fields))
    sender = ctx.principal.organization_id
    new_data = {"target_organization_id": data.get("target_organization_id"), "pool": data.get("pool"),
                "category": data.get("category") or row["category"], "urgency": data.get("urgency") or row["urgency"],
                "summary": data.get("summary") or row["summary"], "area_code": row["area_code"],
                "do_not_contact": row["do_not_contact"], "consent": data.get("consent"),
                "legal_basis": data.get("legal_basis"), "status": rl.REQUESTED}
    _check_destination(ctx, sender, new_data)
    repo.record_read(ctx.conn, str(row["id"]), ctx.principal, sorted(person), "forward", ctx.request_id)
    forwarded = _new_referral(ctx, sender=sender, data=new_data, person=person, forwarded_from=str(row["id"]),
                              part_of=str(row["part_of_id"] or row["id"]))
    _write_new(ctx.uow, [forwarded])
    revision = repo.touch(ctx.conn, str(row["id"]), ctx.now)
    repo.add_history(ctx.conn, str(row["id"]), revision, "forwarded", row["status"], row["status"], ctx.principal,
                     ctx.request_id, ctx.now, data["reason"])
    target = forwarded.row["target_organization_id"]
    extra = [target] if target else []
    _emit(ctx, ev.FORWARDED, row, status=row["status"], revision=revision, target=row["target_organization_id"],
          extra=extra)
    return forwarded.sender_view


def personal_data_reads(ctx: Context, query: dict) -> dict:
    from .schemas import AuditQuery
    if ctx.principal is None or ctx.principal.role != "admin":
        raise Forbidden("only admins read the audit of personal-data reads")
    q = load(AuditQuery, query, "the query")
    rows = repo.reads(ctx.conn, str(q["referral_id"]) if q.get("referral_id") else None, q.get("since"), q["limit"])
    return {"items": rows}


# --- timers --------------------------------------------------------------------------------------------------
def mark_overdue(ctx: Context, accept_within: dict[str, timedelta], batch: int = 500) -> int:
    """Referrals still `requested` after the deadline for their urgency become overdue (once), with an event."""
    cases = " ".join(f"WHEN '{u}' THEN %s" for u in rl.URGENCIES)
    rows = ctx.conn.execute(
        f"""SELECT id FROM referrals WHERE status = 'requested' AND overdue_at IS NULL
            AND requested_at <= %s - (CASE urgency {cases} END)
            ORDER BY requested_at LIMIT %s FOR UPDATE SKIP LOCKED""",
        (ctx.now, *[accept_within[u] for u in rl.URGENCIES], batch)).fetchall()
    for r in rows:
        row = repo.get(ctx.conn, str(r["id"]))
        revision = repo.touch(ctx.conn, str(row["id"]), ctx.now, overdue_at=ctx.now)
        repo.add_history(ctx.conn, str(row["id"]), revision, "overdue", row["status"], row["status"], ctx.principal,
                         None, ctx.now, f"not accepted or rejected within {accept_within[row['urgency']]}")
        _emit(ctx, ev.OVERDUE, row, status=row["status"], revision=revision, target=row["target_organization_id"])
    return len(rows)


def erase_expired_personal_data(ctx: Context, retention_days: float, batch: int = 1000) -> int:
    """Erase the person (ciphertext, key id, nonce) of referrals closed more than `retention_days` ago.
    The non-personal record, its history and the keyed identity hash (for unique-person counts) stay."""
    rows = ctx.conn.execute(
        """SELECT r.id, r.status FROM referrals r JOIN referral_persons p ON p.referral_id = r.id
           WHERE r.closed_at IS NOT NULL AND r.closed_at < %s AND p.erased_at IS NULL
           ORDER BY r.closed_at LIMIT %s FOR UPDATE OF r, p SKIP LOCKED""",
        (ctx.now - timedelta(days=retention_days), batch)).fetchall()
    for r in rows:
        ctx.conn.execute("UPDATE referral_persons SET ciphertext = NULL, nonce = NULL, key_id = NULL, "
                         "erased_at = %s WHERE referral_id = %s", (ctx.now, r["id"]))
        revision = repo.touch(ctx.conn, str(r["id"]), ctx.now, partner_reference=None)
        repo.add_history(ctx.conn, str(r["id"]), revision, "erased", r["status"], r["status"], ctx.principal, None,
                         ctx.now, f"retention: closed more than {retention_days:g} days ago")
    return len(rows)


def prune_idempotency_keys(ctx: Context, keep_days: float) -> int:
    """Idempotency keys are kept `keep_days` (published in the API description); a retry after that creates a
    new referral. The referral itself is unaffected."""
    return ctx.conn.execute("DELETE FROM idempotency_keys WHERE created_at < %s",
                            (ctx.now - timedelta(days=keep_days),)).rowcount
