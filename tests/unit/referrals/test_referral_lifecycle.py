"""The referral lifecycle rules: every (from, to) pair for each party, reasons, consent, overdue, eligibility."""
import itertools
import uuid
from datetime import datetime, timedelta, timezone

import pytest

from services.referrals import referral_lifecycle as rl
from services.servicekit.caller import Principal
from services.servicekit.errors import Conflict, Forbidden, InvalidInput

NOW = datetime(2026, 11, 22, 12, 0, tzinfo=timezone.utc)

# The table from standards.md §2.2, written out independently of the module under test.
EXPECTED = {
    ("draft", "requested"): {"sender"}, ("draft", "cancelled"): {"sender"},
    ("requested", "accepted"): {"target"}, ("requested", "rejected"): {"target"},
    ("requested", "cancelled"): {"sender", "target"},
    ("accepted", "in-progress"): {"target"}, ("accepted", "on-hold"): {"target"},
    ("accepted", "completed"): {"target"}, ("accepted", "failed"): {"target"},
    ("accepted", "cancelled"): {"sender", "target"},
    ("in-progress", "on-hold"): {"target"}, ("on-hold", "in-progress"): {"target"},
    ("in-progress", "completed"): {"target"}, ("in-progress", "failed"): {"target"},
    ("in-progress", "cancelled"): {"sender", "target"},
    ("on-hold", "completed"): {"target"}, ("on-hold", "failed"): {"target"},
    ("on-hold", "cancelled"): {"sender", "target"},
}
for state in rl.STATES:
    if state != "entered-in-error":
        EXPECTED[(state, "entered-in-error")] = {"sender"}


def extras(new):
    return {"reason": "理由" if new in ("rejected", "cancelled", "on-hold", "failed") else None,
            "outcome": "支援につながった" if new == "completed" else None}


@pytest.mark.parametrize("current,new,party", list(itertools.product(rl.STATES, rl.STATES, ("sender", "target"))))
def test_every_transition_for_each_party(current, new, party):
    allowed = EXPECTED.get((current, new))
    if allowed is None:
        with pytest.raises(Conflict):
            rl.check_transition(current, new, party, **extras(new))
    elif party not in allowed:
        with pytest.raises(Forbidden):
            rl.check_transition(current, new, party, **extras(new))
    else:
        rl.check_transition(current, new, party, **extras(new))


@pytest.mark.parametrize("current,new", list(EXPECTED))
def test_outsiders_may_change_nothing(current, new):
    with pytest.raises(Forbidden):
        rl.check_transition(current, new, None, **extras(new))


def test_terminal_states_have_no_way_out_but_entered_in_error():
    for state in rl.TERMINAL - {"entered-in-error"}:
        outs = {to for (frm, to) in EXPECTED if frm == state}
        assert outs == {"entered-in-error"}, state


@pytest.mark.parametrize("new,current", [("rejected", "requested"), ("cancelled", "requested"),
                                         ("on-hold", "accepted"), ("failed", "in-progress")])
def test_reason_is_required(new, current):
    party = "target"
    with pytest.raises(InvalidInput) as err:
        rl.check_transition(current, new, party, reason="  ")
    assert err.value.errors[0]["pointer"] == "#/reason"
    rl.check_transition(current, new, party, reason="本人の希望")


def test_outcome_is_required_for_completed():
    with pytest.raises(InvalidInput) as err:
        rl.check_transition("in-progress", "completed", "target", outcome=None)
    assert err.value.errors[0]["pointer"] == "#/outcome"


def test_party_of():
    s, t = str(uuid.uuid4()), str(uuid.uuid4())
    assert rl.party_of(Principal("k", "partner", organization_id=s), s, t) == "sender"
    assert rl.party_of(Principal("k", "organization", organization_id=t), s, t) == "target"
    assert rl.party_of(Principal("k", "partner", organization_id=str(uuid.uuid4())), s, t) is None
    assert rl.party_of(Principal("k", "prefecture", area="01"), s, t) is None
    assert rl.party_of(Principal("k", "partner", organization_id=t), s, None) is None


# --- consent ---------------------------------------------------------------------------------------------
def consent(**kw):
    base = {"obtained_by": "相談員A", "obtained_at": NOW - timedelta(days=1), "method": "written"}
    base.update(kw)
    return base


def test_no_consent_and_no_legal_basis_is_invalid():
    with pytest.raises(InvalidInput):
        rl.check_sharing_basis(None, None, NOW)


@pytest.mark.parametrize("method", ["written", "verbal", "electronic"])
def test_each_consent_method_is_accepted(method):
    rl.check_sharing_basis(consent(method=method), None, NOW)


def test_bad_consents():
    with pytest.raises(InvalidInput):
        rl.check_sharing_basis(consent(method="telepathy"), None, NOW)
    with pytest.raises(InvalidInput):
        rl.check_sharing_basis(consent(valid_until=NOW - timedelta(seconds=1)), None, NOW)
    with pytest.raises(InvalidInput):
        rl.check_sharing_basis(consent(obtained_at=NOW + timedelta(days=1)), None, NOW)
    target = str(uuid.uuid4())
    with pytest.raises(InvalidInput):
        rl.check_sharing_basis(consent(organization_ids=[str(uuid.uuid4())]), None, NOW, target_org=target)
    rl.check_sharing_basis(consent(organization_ids=[target]), None, NOW, target_org=target)


def test_legal_bases():
    rl.check_sharing_basis(None, {"basis": "protection_of_life"}, NOW)
    rl.check_sharing_basis(None, {"basis": "regional_council", "council_name": "登別市孤独・孤立対策地域協議会"}, NOW)
    with pytest.raises(InvalidInput):
        rl.check_sharing_basis(None, {"basis": "regional_council"}, NOW)
    with pytest.raises(InvalidInput):
        rl.check_sharing_basis(None, {"basis": "convenience"}, NOW)


def test_consent_limits_what_the_target_sees():
    org = str(uuid.uuid4())
    assert rl.shared_fields_for(consent(), None, org, NOW) == rl.PERSON_FIELDS
    assert rl.shared_fields_for(consent(fields=["name", "phone"]), None, org, NOW) == ("name", "phone")
    assert rl.shared_fields_for(consent(organization_ids=[str(uuid.uuid4())]), None, org, NOW) == ()
    assert rl.shared_fields_for(consent(valid_until=NOW - timedelta(hours=1)), None, org, NOW) == ()
    assert rl.shared_fields_for(None, {"basis": "protection_of_life"}, org, NOW) == rl.PERSON_FIELDS


# --- overdue -------------------------------------------------------------------------------------------------
def test_overdue_per_urgency():
    within = rl.parse_accept_within("routine=72h,stat=30m")
    assert within["stat"] == timedelta(minutes=30) and within["urgent"] == timedelta(hours=24)
    t0 = NOW - timedelta(minutes=31)
    assert rl.is_overdue("requested", t0, "stat", NOW, within)
    assert not rl.is_overdue("requested", t0, "routine", NOW, within)
    assert not rl.is_overdue("accepted", t0, "stat", NOW, within)
    assert not rl.is_overdue("rejected", t0, "stat", NOW, within)
    with pytest.raises(ValueError):
        rl.parse_accept_within("someday=3h")


# --- pool eligibility --------------------------------------------------------------------------------------
def org(**kw):
    base = dict(organization_id=str(uuid.uuid4()), active=True, referral_capacity="accepting",
                taxonomy_codes=("hikikomori",), service_area_codes=("012335",), active_memberships=1)
    base.update(kw)
    return rl.DirectoryOrganization(**base)


def test_pool_eligibility():
    assert rl.eligible_for_pool(org(), "012335", "hikikomori")
    assert rl.eligible_for_pool(org(taxonomy_codes=("8050",)), "012335", "hikikomori")  # descendant field
    assert rl.eligible_for_pool(org(taxonomy_codes=("8050",)), "012335", "isolation")
    assert not rl.eligible_for_pool(org(taxonomy_codes=("isolation",)), "012335", "hikikomori")  # parent only
    assert not rl.eligible_for_pool(org(), "012301", "hikikomori")  # does not serve 登別市
    assert rl.eligible_for_pool(org(service_area_codes=("xa-nishi-iburi",)), "012301", "hikikomori")
    assert rl.eligible_for_pool(org(service_area_codes=("01B04",)), "012301", "hikikomori")
    assert not rl.eligible_for_pool(org(active=False), "012335", "hikikomori")
    assert not rl.eligible_for_pool(org(active_memberships=0), "012335", "hikikomori")
    assert not rl.eligible_for_pool(org(referral_capacity="paused"), "012335", "hikikomori")
    assert not rl.eligible_for_pool(org(referral_capacity="waitlist"), "012335", "hikikomori")
    # 麒麟のまち圏域 crosses the prefectural border: an organisation serving it covers 香美町 (兵庫県).
    assert rl.eligible_for_pool(org(service_area_codes=("xa-kirin",)), "285854", "hikikomori")
    assert not rl.eligible_for_pool(org(service_area_codes=("31",)), "285854", "hikikomori")


def test_target_checks():
    rl.check_target(org())
    rl.check_target(org(referral_capacity="waitlist"))
    for bad in (None, org(active=False), org(referral_capacity="paused")):
        with pytest.raises(InvalidInput):
            rl.check_target(bad)


# --- who sees what -------------------------------------------------------------------------------------------
def vis(principal, target=True, pool_eligible=False, erased=False, c=None, lb=None, sender=None, tgt=None):
    return rl.visibility(principal, sender_org=sender, target_org=tgt if target else None, area_code="012301",
                         consent=c if c is not None else consent(), legal_basis=lb, pool_eligible=pool_eligible,
                         personal_erased=erased, now=NOW)


def test_visibility():
    s, t, other = (str(uuid.uuid4()) for _ in range(3))
    kw = {"sender": s, "tgt": t}
    assert vis(Principal("a", "partner", organization_id=s), **kw).personal_fields == rl.PERSON_FIELDS
    assert vis(Principal("a", "partner", organization_id=t), **kw).personal_fields == rl.PERSON_FIELDS
    assert vis(Principal("a", "partner", organization_id=t), erased=True, **kw).personal_fields == ()
    assert not vis(Principal("a", "partner", organization_id=other), **kw).visible
    pool = vis(Principal("a", "partner", organization_id=other), target=False, pool_eligible=True, **kw)
    assert pool.visible and pool.personal_fields == ()
    for p in (Principal("p", "prefecture", area="01"), Principal("b", "bureau", area="01B04"),
              Principal("m", "municipality", area="012301"), Principal("x", "admin")):
        v = vis(p, **kw)
        assert v.visible and v.personal_fields == (), p
    assert not vis(Principal("m", "municipality", area="012335"), **kw).visible  # 伊達市 staff: not their area
    assert not vis(Principal("b", "bureau", area="01B13"), **kw).visible
    office = Principal("m", "municipality", area="012335", organization_id=t)  # the 伊達市 office is the target
    assert vis(office, **kw).personal_fields == rl.PERSON_FIELDS


def test_a_draft_is_visible_to_its_sender_only():
    s, t = str(uuid.uuid4()), str(uuid.uuid4())
    common = dict(sender_org=s, target_org=t, area_code="012301", consent=consent(), legal_basis=None,
                  pool_eligible=False, personal_erased=False, now=NOW, status="draft")
    assert rl.visibility(Principal("a", "partner", organization_id=s), **common).visible
    assert not rl.visibility(Principal("a", "partner", organization_id=t), **common).visible
    assert not rl.visibility(Principal("x", "admin"), **common).visible
    assert not rl.visibility(Principal("p", "prefecture", area="01"), **common).visible
