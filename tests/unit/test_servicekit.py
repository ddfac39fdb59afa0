"""The kit's pure parts: envelope, field errors, principal scope, dev tokens."""
import uuid

import pytest
from marshmallow import Schema, ValidationError, fields

from services.servicekit.caller import Principal
from services.servicekit.envelope import ENVELOPE, IntegrationEvent, parse_envelope
from services.servicekit.errors import field_errors_from_marshmallow


class Payload(Schema):
    organization_id = fields.UUID(required=True)


EVENT = IntegrationEvent("organization.registered", 1, Payload)


def test_an_envelope_has_every_field_and_validates():
    org = str(uuid.uuid4())
    env = EVENT.envelope({"organization_id": org}, producer="members", area="012301", correlation_id="req-1")
    assert set(env) == {"event_id", "type", "version", "occurred_at", "producer", "correlation_id", "area", "payload"}
    assert env["payload"] == {"organization_id": org}
    assert ENVELOPE.validate(env) == {}
    assert parse_envelope(env) is env


def test_a_payload_field_the_event_type_does_not_declare_is_refused():
    # This is what keeps a person's name from riding along in an event by accident.
    with pytest.raises(ValidationError):
        EVENT.envelope({"organization_id": str(uuid.uuid4()), "person_name": "山田太郎"}, producer="m", area=None)


@pytest.mark.parametrize("event_type, version", [("NoDots", 1), ("organization.registered", 0)])
def test_an_event_type_is_checked_where_it_is_declared(event_type, version):
    # The outbox trusts envelopes built by IntegrationEvent.envelope: their fixed fields are checked here, once.
    with pytest.raises(ValidationError):
        IntegrationEvent(event_type, version, Payload)


def test_a_payload_is_checked_on_every_envelope_with_one_reused_schema():
    first = EVENT.envelope({"organization_id": str(uuid.uuid4())}, producer="m", area=None)
    with pytest.raises(ValidationError):
        EVENT.envelope({"organization_id": "not-a-uuid"}, producer="m", area=None)
    assert first["event_id"] != EVENT.envelope({"organization_id": str(uuid.uuid4())}, producer="m",
                                               area=None)["event_id"]


def test_a_malformed_envelope_is_refused():
    env = EVENT.envelope({"organization_id": str(uuid.uuid4())}, producer="m", area=None)
    with pytest.raises(ValidationError):
        parse_envelope({**env, "type": "NoDots"})
    with pytest.raises(ValidationError):
        parse_envelope({k: v for k, v in env.items() if k != "event_id"})


def test_marshmallow_errors_become_json_pointers():
    errors = field_errors_from_marshmallow({"person": {"phone": ["Not a valid phone."]}, "name": ["Required."]})
    assert {"pointer": "#/person/phone", "detail": "Not a valid phone."} in errors
    assert {"pointer": "#/name", "detail": "Required."} in errors


@pytest.mark.parametrize("principal,area,expected", [
    (Principal("a", "prefecture", "01"), "012301", True),
    (Principal("a", "prefecture", "01"), "131083", False),
    (Principal("a", "bureau", "01B04"), "012301", True),
    (Principal("a", "bureau", "01B04"), "012068", False),
    (Principal("a", "municipality", "012301"), "012301", True),
    (Principal("a", "municipality", "012301"), "012050", False),
    (Principal("a", "admin"), "131083", True),
    (Principal("a", "organization", organization_id="x"), "012301", False),
    (Principal("a", "partner", organization_id="x", via="api_key"), "012301", False),
])
def test_principal_covers_uses_the_area_scope(principal, area, expected):
    assert principal.covers(area) is expected


def test_principal_round_trips_through_nameko_context():
    p = Principal("alice", "bureau", "01B04", None, "jwt")
    assert Principal.from_context(p.to_context()) == p
    assert Principal.from_context(None) is None


def test_client_errors_are_expected_on_every_rpc_so_they_are_not_logged_as_failures():
    from services.servicekit.entrypoints import CLIENT_ERRORS, rpc
    from services.servicekit.errors import NotFound

    class Service:
        @rpc
        def bare(self):
            raise NotFound("x")

        @rpc()
        def called(self):
            raise NotFound("x")

    for method in (Service.bare, Service.called):
        entrypoint = next(iter(method.nameko_entrypoints))
        assert entrypoint.expected_exceptions == CLIENT_ERRORS


def test_a_dev_key_is_created_once_private_and_shared(tmp_path):
    from services.servicekit.dev_keys import dev_key
    first = dev_key("thing", tmp_path)
    assert len(first) == 32 and dev_key("thing", tmp_path) == first
    assert oct((tmp_path / "thing.key").stat().st_mode & 0o777) == "0o600"
    assert dev_key("other", tmp_path) != first


def test_webhook_secrets_are_sealed_with_a_dev_key_when_none_is_configured(tmp_path, monkeypatch):
    from services.referrals.webhook_secret_box import SecretBox
    from services.referrals.webhook_settings import WebhookSettings
    monkeypatch.delenv("WEBHOOK_SECRET_KEYS", raising=False)
    monkeypatch.setenv("TSUNAGU_DEV_KEYS_DIR", str(tmp_path))
    box = SecretBox(WebhookSettings.from_environment().secret_keys)
    sealed = box.seal("whsec_abc", "endpoint-1")
    assert box.encrypts and "whsec_abc" not in sealed
    assert box.open(sealed, "endpoint-1") == "whsec_abc"


def test_the_relay_checks_each_event_types_route_once_per_interval_and_says_when_it_changes(caplog):
    """Referral events have no subscriber today: a mandatory publish (and a returned message) per event cost
    the relay and the broker; a warning per event would drown a real one."""
    from services.servicekit.observability import OUTBOX_UNROUTABLE, OUTBOX_UNROUTABLE_TYPE
    from services.servicekit.outbox_relay import OutboxRelay

    # connects only when it runs
    relay = OutboxRelay("unit_probe", "postgresql://unused", "amqp://unused", route_check_seconds=10)
    assert relay._is_route_check("probe.happened", now=100.0)
    assert not relay._is_route_check("probe.happened", now=105.0)  # checked 5 s ago
    assert relay._is_route_check("probe.other", now=105.0)  # each type has its own
    assert relay._is_route_check("probe.happened", now=110.0)

    counted, gauge = (OUTBOX_UNROUTABLE.labels("unit_probe", "probe.happened"),
                      OUTBOX_UNROUTABLE_TYPE.labels("unit_probe", "probe.happened"))
    before = counted._value.get()
    with caplog.at_level("INFO", logger="outbox_relay"):
        for _ in range(2):  # two checks find no queue: one warning
            relay._on_return(None, "unit_probe.events", "probe.happened", None)
            relay._record_route_checks({"probe.happened", "probe.other"})
            assert gauge._value.get() == 1
        relay._record_route_checks({"probe.happened"})  # not returned this time: a queue is bound again
        assert gauge._value.get() == 0
        relay._on_return(None, "unit_probe.events", "probe.happened", None)
        relay._record_route_checks({"probe.happened"})
    said = [(r.levelname, r.event_type) for r in caplog.records if r.name == "outbox_relay"]
    assert said == [("WARNING", "probe.happened"), ("INFO", "probe.happened"), ("WARNING", "probe.happened")]
    assert counted._value.get() == before + 3
    assert OUTBOX_UNROUTABLE_TYPE.labels("unit_probe", "probe.other")._value.get() == 0
