"""Encryption at rest and the keyed identity hash."""
import base64
import json
import secrets

import pytest
from cryptography.exceptions import InvalidTag

from services.referrals import personal_data as pd

PERSON = {"name": "山田 花子", "name_kana": "ヤマダ ハナコ", "date_of_birth": "1980-04-01", "phone": "090-1234-5678",
          "email": "hanako@example.jp", "address": "登別市中央町1-2-3"}


def keyring(active="k1", ids=("k1",), identity=None):
    keys = {kid: secrets.token_bytes(32) for kid in ids}
    return keys, pd.Keyring(keys, active, identity or secrets.token_bytes(32))


def test_seal_and_open_round_trip_without_plaintext():
    _, ring = keyring()
    sealed = ring.seal(PERSON, "referral-1")
    raw = sealed.ciphertext
    for value in ("山田".encode(), b"090-1234-5678", b"hanako@example.jp", "中央町".encode()):
        assert value not in raw
    assert ring.open(sealed, "referral-1") == PERSON
    assert len(sealed.nonce) == 12 and sealed.key_id == "k1"


def test_ciphertext_is_bound_to_its_referral_and_tamper_evident():
    _, ring = keyring()
    sealed = ring.seal(PERSON, "referral-1")
    with pytest.raises(InvalidTag):
        ring.open(sealed, "referral-2")
    flipped = bytearray(sealed.ciphertext)
    flipped[0] ^= 1
    with pytest.raises(InvalidTag):
        ring.open(pd.Sealed(sealed.key_id, sealed.nonce, bytes(flipped)), "referral-1")


def test_nonces_are_unique():
    _, ring = keyring()
    assert len({ring.seal(PERSON, "r").nonce for _ in range(200)}) == 200


def test_rotation_old_keys_still_open_new_data_uses_active_key():
    keys, old = keyring("k1", ("k1",))
    sealed = old.seal(PERSON, "r")
    keys["k2"] = secrets.token_bytes(32)
    identity = secrets.token_bytes(32)
    new = pd.Keyring(keys, "k2", identity)
    assert new.open(sealed, "r") == PERSON
    assert new.seal(PERSON, "r").key_id == "k2"
    without_old = pd.Keyring({"k2": keys["k2"]}, "k2", identity)
    with pytest.raises(pd.KeyConfigurationError):
        without_old.open(sealed, "r")


def test_identity_hash_normalises_and_is_keyed():
    ident = secrets.token_bytes(32)
    _, ring = keyring(identity=ident)
    a = ring.identity_hash(PERSON)
    b = ring.identity_hash({**PERSON, "name_kana": "ﾔﾏﾀﾞ　はなこ", "phone": "000"})  # half-width, hiragana
    assert a == b and len(a) == 32
    assert ring.identity_hash({**PERSON, "date_of_birth": "1980-04-02"}) != a
    _, other = keyring()
    assert other.identity_hash(PERSON) != a
    assert ring.identity_hash({}) is None
    assert b"1980" not in a


def test_environment_configuration():
    k1, k2, ident = (base64.b64encode(secrets.token_bytes(32)).decode() for _ in range(3))
    ring = pd.keyring_from_environment({"REFERRALS_ENCRYPTION_KEYS": f"a:{k1}, b:{k2}",
                                        "REFERRALS_ACTIVE_KEY_ID": "b", "REFERRALS_IDENTITY_HMAC_KEY": ident})
    assert ring.key_ids == ("a", "b") and ring.active_key_id == "b"
    with pytest.raises(pd.KeyConfigurationError):
        pd.keyring_from_environment({"REFERRALS_ENCRYPTION_KEYS": f"a:{k1}", "REFERRALS_ACTIVE_KEY_ID": "zz",
                                     "REFERRALS_IDENTITY_HMAC_KEY": ident})
    with pytest.raises(pd.KeyConfigurationError):
        pd.keyring_from_environment({"REFERRALS_ENCRYPTION_KEYS": "a:bm90LTMyLWJ5dGVz",
                                     "REFERRALS_IDENTITY_HMAC_KEY": ident})
    with pytest.raises(pd.KeyConfigurationError):
        pd.keyring_from_environment({"REFERRALS_ENCRYPTION_KEYS": f"a:{k1}"})


def test_dev_key_is_generated_once_outside_the_repository_tree(tmp_path, monkeypatch):
    path = tmp_path / "keys" / "dev.json"
    monkeypatch.setenv("REFERRALS_DEV_KEY_FILE", str(path))
    first = pd.keyring_from_environment({})
    second = pd.keyring_from_environment({})
    sealed = first.seal(PERSON, "r")
    assert second.open(sealed, "r") == PERSON
    assert oct(path.stat().st_mode & 0o777) == "0o600"
    assert set(json.loads(path.read_text())) == {"keys", "active", "identity"}
