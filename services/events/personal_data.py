"""Personal data of named participants, encrypted at rest with AES-256-GCM.

Keys come from configuration by key id: `EVENTS_ENCRYPTION_KEYS="kid1:<base64 32 bytes>,kid2:…"` and
`EVENTS_ENCRYPTION_ACTIVE_KID=kid2` (new data is sealed with the active key; older key ids stay readable,
so keys can be rotated). Without configuration a development key is generated once into
`var/events-dev-encryption.key` (never committed; `var/` is not in git) — production must configure keys.

A sealed value is bound to its registration id (associated data), so a ciphertext copied onto another
row does not decrypt. Only the minimum is kept: name, optional kana and an optional contact.
"""
from __future__ import annotations

import base64
import json
import logging
import os
import threading
from dataclasses import dataclass
from pathlib import Path

from cryptography.hazmat.primitives.ciphers.aead import AESGCM

log = logging.getLogger(__name__)
KEYS_ENV = "EVENTS_ENCRYPTION_KEYS"
ACTIVE_ENV = "EVENTS_ENCRYPTION_ACTIVE_KID"
DEV_KEY_FILE_ENV = "EVENTS_DEV_KEY_FILE"
REPO_ROOT = Path(__file__).resolve().parents[2]
NONCE_BYTES = 12
PERSONAL_FIELDS = ("name", "name_kana", "contact")


class KeyRingError(RuntimeError):
    pass


@dataclass(frozen=True)
class Sealed:
    key_id: str
    blob: bytes  # nonce || ciphertext+tag


class KeyRing:
    def __init__(self, keys: dict[str, bytes], active_kid: str):
        if active_kid not in keys:
            raise KeyRingError("the active encryption key id is not among the configured keys")
        for kid, key in keys.items():
            if len(key) != 32:
                raise KeyRingError(f"encryption key '{kid}' is not 32 bytes (AES-256)")
        self._keys = {kid: AESGCM(key) for kid, key in keys.items()}
        self.active_kid = active_kid

    @classmethod
    def parse(cls, spec: str, active_kid: str | None) -> "KeyRing":
        keys = {}
        for item in filter(None, (part.strip() for part in spec.split(","))):
            kid, sep, encoded = item.partition(":")
            if not sep or not kid:
                raise KeyRingError("EVENTS_ENCRYPTION_KEYS items look like kid:base64key")
            keys[kid] = base64.b64decode(encoded)
        if not keys:
            raise KeyRingError("no encryption keys configured")
        return cls(keys, active_kid or list(keys)[-1])

    @classmethod
    def from_environment(cls) -> "KeyRing":
        spec = os.environ.get(KEYS_ENV, "").strip()
        if spec:
            return cls.parse(spec, os.environ.get(ACTIVE_ENV))
        path = Path(os.environ.get(DEV_KEY_FILE_ENV) or REPO_ROOT / "var" / "events-dev-encryption.key")
        log.warning("no %s configured: personal data is sealed with the development key in var/ "
                    "(configure real keys outside development)", KEYS_ENV)
        return cls.parse(_dev_key(path), "dev")

    def seal(self, data: dict, bound_to: str) -> Sealed:
        nonce = os.urandom(NONCE_BYTES)
        plaintext = json.dumps(data, ensure_ascii=False, separators=(",", ":")).encode()
        ciphertext = self._keys[self.active_kid].encrypt(nonce, plaintext, bound_to.encode())
        return Sealed(self.active_kid, nonce + ciphertext)

    def open(self, sealed: Sealed, bound_to: str) -> dict:
        aead = self._keys.get(sealed.key_id)
        if aead is None:
            raise KeyRingError(f"no key '{sealed.key_id}' configured to read this data")
        blob = bytes(sealed.blob)
        plaintext = aead.decrypt(blob[:NONCE_BYTES], blob[NONCE_BYTES:], bound_to.encode())
        return json.loads(plaintext)


_lock = threading.Lock()


def _dev_key(path: Path) -> str:
    """Create the development key once, atomically (several processes may start at the same moment)."""
    with _lock:
        if not path.exists():
            path.parent.mkdir(parents=True, exist_ok=True)
            tmp = path.with_name(f".{path.name}.{os.getpid()}")
            fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
            with os.fdopen(fd, "w") as fh:
                fh.write("dev:" + base64.b64encode(AESGCM.generate_key(bit_length=256)).decode())
            try:
                os.link(tmp, path)  # fails if another process won the race; then its key is used
            except FileExistsError:
                pass
            finally:
                os.unlink(tmp)
        return path.read_text().strip()


_default: KeyRing | None = None


def default_keyring() -> KeyRing:
    global _default
    if _default is None:
        _default = KeyRing.from_environment()
    return _default


def minimal(person: dict) -> dict:
    """Only the fields we keep about a named participant, stripped; empty ones dropped."""
    return {k: str(person[k]).strip() for k in PERSONAL_FIELDS if person.get(k) and str(person[k]).strip()}
