"""Local secrets: the Django secret key and the personal-data keys.

Read from the environment when set (production), otherwise from ``<data>/secrets.json``,
which is generated on first run with fresh random keys and never committed.
"""

from __future__ import annotations

import base64
import json
import os
import secrets
from pathlib import Path
from typing import TypedDict


class Secrets(TypedDict):
    secret_key: str
    field_keys: dict[str, str]  # key id -> base64 AES-256 key
    field_key_current: str
    hash_key: str  # base64 HMAC-SHA256 key for look-up hashes


def _new_key() -> str:
    return base64.b64encode(secrets.token_bytes(32)).decode()


def _generate() -> Secrets:
    return {
        "secret_key": secrets.token_urlsafe(50),
        "field_keys": {"k1": _new_key()},
        "field_key_current": "k1",
        "hash_key": _new_key(),
    }


def load_secrets(data_dir: Path) -> Secrets:
    if os.environ.get("DPF_SECRET_KEY") and os.environ.get("DPF_FIELD_KEYS"):
        return {
            "secret_key": os.environ["DPF_SECRET_KEY"],
            "field_keys": json.loads(os.environ["DPF_FIELD_KEYS"]),
            "field_key_current": os.environ.get("DPF_FIELD_KEY_CURRENT", "k1"),
            "hash_key": os.environ["DPF_HASH_KEY"],
        }
    path = data_dir / "secrets.json"
    if not path.exists():
        data_dir.mkdir(parents=True, exist_ok=True)
        tmp = path.with_suffix(".tmp")
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "w") as fh:
            json.dump(_generate(), fh, indent=2)
        os.replace(tmp, path)
    loaded: Secrets = json.loads(path.read_text())
    return loaded


def save_secrets(data_dir: Path, value: Secrets) -> None:
    """Write the secrets file atomically (used by key rotation)."""
    path = data_dir / "secrets.json"
    tmp = path.with_suffix(".tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as fh:
        json.dump(value, fh, indent=2)
    os.replace(tmp, path)
