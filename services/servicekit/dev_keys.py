"""Development-only secrets: when no production key is configured, a random 32-byte key is created once in
var/dev-keys/ (never committed; `var/` is ignored) so data is still sealed at rest on a developer's machine.
Creation is atomic: processes starting at the same moment agree on one key."""
from __future__ import annotations

import base64
import os
import secrets
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[2]


def dev_key(name: str, directory: Path | None = None) -> bytes:
    directory = directory or Path(os.environ.get("TSUNAGU_DEV_KEYS_DIR", REPO_ROOT / "var" / "dev-keys"))
    path = directory / f"{name}.key"
    if not path.exists():
        directory.mkdir(parents=True, exist_ok=True)
        tmp = directory / f".{name}.{os.getpid()}.tmp"
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "w") as fh:
            fh.write(base64.b64encode(secrets.token_bytes(32)).decode())
        try:
            os.link(tmp, path)  # fails if another process created it first; then that key is used
        except FileExistsError:
            pass
        finally:
            tmp.unlink(missing_ok=True)
    return base64.b64decode(path.read_text().strip())
