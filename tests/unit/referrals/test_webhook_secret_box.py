"""Signing secrets at rest: AES-GCM sealed, bound to their endpoint, re-sealable under a new key."""
import base64

import pytest

from services.referrals.webhook_secret_box import SecretBox, SecretBoxError, new_key, parse_keys


def keys(*ids):
    return parse_keys(",".join(f"{i}:{new_key()}" for i in ids))


def test_a_sealed_secret_opens_only_for_its_endpoint():
    box = SecretBox(keys("k1"))
    sealed = box.seal("whsec_abc", "endpoint-1")
    assert sealed.startswith("aesgcm:k1:") and "whsec_abc" not in sealed
    assert box.open(sealed, "endpoint-1") == "whsec_abc"
    with pytest.raises(SecretBoxError):
        box.open(sealed, "endpoint-2")  # moved to another row
    assert box.seal("whsec_abc", "endpoint-1") != sealed  # fresh nonce each time


def test_a_tampered_ciphertext_or_unknown_key_does_not_open():
    box = SecretBox(keys("k1"))
    sealed = box.seal("whsec_abc", "e")
    scheme, kid, data = sealed.split(":")
    raw = bytearray(base64.urlsafe_b64decode(data + "=" * (-len(data) % 4)))
    raw[-1] ^= 1
    with pytest.raises(SecretBoxError):
        box.open(f"{scheme}:{kid}:" + base64.urlsafe_b64encode(bytes(raw)).decode(), "e")
    with pytest.raises(SecretBoxError, match="no key"):
        SecretBox(keys("other")).open(sealed, "e")
    with pytest.raises(SecretBoxError):
        box.open("rot13:whatever", "e")


def test_key_rotation_opens_old_seals_and_reseals_with_the_new_key():
    old = keys("k1")
    sealed = SecretBox(old).seal("whsec_abc", "e")
    rotated = SecretBox(keys("k2") + old)
    assert rotated.open(sealed, "e") == "whsec_abc"
    assert rotated.needs_resealing(sealed)
    resealed = rotated.seal(rotated.open(sealed, "e"), "e")
    assert resealed.startswith("aesgcm:k2:") and not rotated.needs_resealing(resealed)


def test_without_keys_secrets_are_marked_plain():
    box = SecretBox(())
    assert not box.encrypts and box.seal("whsec_abc", "e") == "plain:whsec_abc"
    assert box.open("plain:whsec_abc", "e") == "whsec_abc"
    assert SecretBox(keys("k1")).needs_resealing("plain:whsec_abc")


@pytest.mark.parametrize("raw", ["nokey", "k1:" + base64.b64encode(b"short").decode(), f":{new_key()}",
                                 f"a:{new_key()},a:{new_key()}"])
def test_bad_key_configuration_is_refused(raw):
    with pytest.raises(ValueError):
        parse_keys(raw)
