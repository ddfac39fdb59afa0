"""Personal data of the person referred: encrypted at rest with AES-256-GCM, and a keyed hash of the normalised
identity for counting unique persons without ever storing who they are in clear.

Keys come from configuration and are selected by key id:

  REFERRALS_ENCRYPTION_KEYS=2026a:<base64 32 bytes>,2025b:<base64 32 bytes>
  REFERRALS_ACTIVE_KEY_ID=2026a          (new data is encrypted with this key; older ids still decrypt)
  REFERRALS_IDENTITY_HMAC_KEY=<base64 32 bytes>

When no keys are configured (development), a key file is generated once under var/referrals-keys/ (never
committed: var/ is ignored). Rotation: add a new key, make it active, run `python -m services.referrals.reencrypt`.
The referral id is the associated data of every ciphertext, so a ciphertext copied to another row fails to open.
"""
from __future__ import annotations

import base64
import hashlib
import hmac
import json
import os
import re
import secrets
import unicodedata
from dataclasses import dataclass
from pathlib import Path

from services.servicekit.japanese_text import fold
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

REPO_ROOT = Path(__file__).resolve().parents[2]
NONCE_BYTES = 12


class KeyConfigurationError(RuntimeError):
    pass


@dataclass(frozen=True)
class Sealed:
    key_id: str
    nonce: bytes
    ciphertext: bytes


class Keyring:
    def __init__(self, keys: dict[str, bytes], active_key_id: str, identity_key: bytes):
        if active_key_id not in keys:
            raise KeyConfigurationError("the active key id is not among the configured keys")
        for kid, key in keys.items():
            if len(key) != 32:
                raise KeyConfigurationError(f"key {kid} must be 32 bytes (AES-256)")
        if len(identity_key) < 32:
            raise KeyConfigurationError("the identity HMAC key must be at least 32 bytes")
        self._aead = {kid: AESGCM(key) for kid, key in keys.items()}
        self.active_key_id = active_key_id
        self._identity_key = identity_key

    @property
    def key_ids(self) -> tuple[str, ...]:
        return tuple(self._aead)

    def seal(self, plaintext: dict, associated: str) -> Sealed:
        nonce = secrets.token_bytes(NONCE_BYTES)
        data = json.dumps(plaintext, ensure_ascii=False, separators=(",", ":"), sort_keys=True).encode()
        return Sealed(self.active_key_id, nonce,
                      self._aead[self.active_key_id].encrypt(nonce, data, associated.encode()))

    def open(self, sealed: Sealed, associated: str) -> dict:
        aead = self._aead.get(sealed.key_id)
        if aead is None:
            raise KeyConfigurationError(f"no key configured for key id {sealed.key_id}")
        return json.loads(aead.decrypt(bytes(sealed.nonce), bytes(sealed.ciphertext), associated.encode()))

    def identity_hash(self, person: dict) -> bytes | None:
        basis = identity_basis(person)
        return hmac.new(self._identity_key, basis.encode(), hashlib.sha256).digest() if basis else None

    def fingerprint(self, data: bytes) -> bytes:
        """A keyed digest (not a plain hash: request bodies contain personal data)."""
        return hmac.new(self._identity_key, b"request:" + data, hashlib.sha256).digest()


_SPACES = re.compile(r"[\s\u3000・･.\-]+")


def normalise_text(value: str | None) -> str:
    """The kit's Japanese folding (NFKC, katakana → hiragana, lower case, no spaces), separators removed too."""
    return _SPACES.sub("", fold(value))


def identity_basis(person: dict) -> str | None:
    """Name reading (or name) + date of birth; without a birth date, + phone digits or e-mail."""
    name = normalise_text(person.get("name_kana")) or normalise_text(person.get("name"))
    if not name:
        return None
    if person.get("date_of_birth"):
        return f"{name}|dob:{person['date_of_birth']}"
    digits = re.sub(r"\D", "", unicodedata.normalize("NFKC", person.get("phone") or ""))
    if digits:
        return f"{name}|tel:{digits}"
    if person.get("email"):
        return f"{name}|mail:{person['email'].strip().lower()}"
    return f"{name}|band:{person.get('age_band') or ''}"


def _decode(value: str, what: str) -> bytes:
    try:
        return base64.b64decode(value.strip(), validate=True)
    except ValueError as exc:
        raise KeyConfigurationError(f"{what} is not valid base64") from exc


def dev_key_file() -> Path:
    return Path(os.environ.get("REFERRALS_DEV_KEY_FILE", REPO_ROOT / "var" / "referrals-keys" / "dev-keys.json"))


def _dev_keys() -> dict:
    path = dev_key_file()
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        doc = {"keys": {"dev1": base64.b64encode(secrets.token_bytes(32)).decode()}, "active": "dev1",
               "identity": base64.b64encode(secrets.token_bytes(32)).decode()}
        tmp = path.with_suffix(f".{os.getpid()}.tmp")
        tmp.write_text(json.dumps(doc))
        os.chmod(tmp, 0o600)
        try:
            os.link(tmp, path)  # atomic "create if absent": concurrent starters agree on one key
        except FileExistsError:
            pass
        finally:
            tmp.unlink(missing_ok=True)
    return json.loads(path.read_text())


def keyring_from_environment(env=None) -> Keyring:
    env = os.environ if env is None else env
    spec = env.get("REFERRALS_ENCRYPTION_KEYS", "").strip()
    if not spec:
        dev = _dev_keys()
        return Keyring({k: _decode(v, "dev key") for k, v in dev["keys"].items()}, dev["active"],
                       _decode(dev["identity"], "dev identity key"))
    keys = {}
    for item in filter(None, (p.strip() for p in spec.split(","))):
        kid, sep, value = item.partition(":")
        if not sep or not kid:
            raise KeyConfigurationError("REFERRALS_ENCRYPTION_KEYS must look like kid:base64key,...")
        keys[kid] = _decode(value, f"key {kid}")
    active = env.get("REFERRALS_ACTIVE_KEY_ID") or next(iter(keys))
    identity = env.get("REFERRALS_IDENTITY_HMAC_KEY")
    if not identity:
        raise KeyConfigurationError("REFERRALS_IDENTITY_HMAC_KEY is required with REFERRALS_ENCRYPTION_KEYS")
    return Keyring(keys, active, _decode(identity, "identity key"))


def only_fields(person: dict, allowed) -> dict:
    return {k: v for k, v in person.items() if k in allowed}
