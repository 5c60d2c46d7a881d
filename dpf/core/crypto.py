"""Personal-data protection at rest: AES-GCM field encryption and keyed look-up hashes.

Ciphertext format (text, safe for any database): ``<key id>:<base64(nonce || ct || tag)>``.
The key id lets ``dpf keys rotate`` re-encrypt under a new key while readers still decrypt
values written under the old one.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import os
from functools import lru_cache

from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from django.conf import settings


class DecryptionError(Exception):
    """A stored value could not be decrypted (wrong key or tampered data)."""


@lru_cache(maxsize=8)
def _aead(key_b64: str) -> AESGCM:
    return AESGCM(base64.b64decode(key_b64))


def _keys() -> dict[str, str]:
    return settings.DPF_FIELD_KEYS


def keys_from_environment() -> bool:
    """Do the keys come from the environment (production) rather than the secrets file?"""
    return bool(os.environ.get("DPF_SECRET_KEY") and os.environ.get("DPF_FIELD_KEYS"))


def reload_keys() -> bool:
    """Re-read the key ring from the secrets file (another process rotated the keys).

    Returns False when the keys come from the environment (a restart is needed there).
    """
    if keys_from_environment():
        return False
    from config.secrets import load_secrets

    loaded = load_secrets(settings.DATA_DIR)
    settings.DPF_FIELD_KEYS = dict(loaded["field_keys"])
    settings.DPF_FIELD_KEY_CURRENT = loaded["field_key_current"]
    return True


def encrypt(plaintext: str, *, key_id: str | None = None, aad: bytes = b"dpf") -> str:
    kid = key_id or settings.DPF_FIELD_KEY_CURRENT
    nonce = os.urandom(12)
    ct = _aead(_keys()[kid]).encrypt(nonce, plaintext.encode("utf-8"), aad)
    return f"{kid}:{base64.b64encode(nonce + ct).decode('ascii')}"


def decrypt(token: str, *, aad: bytes = b"dpf") -> str:
    try:
        kid, body = token.split(":", 1)
        raw = base64.b64decode(body)
        key = _keys().get(kid)
        if key is None and reload_keys():
            # Written under a key added after this process started (``dpf keys rotate``).
            key = _keys().get(kid)
        if key is None:
            raise KeyError("unknown key id")
        return _aead(key).decrypt(raw[:12], raw[12:], aad).decode("utf-8")
    except Exception as exc:
        raise DecryptionError("stored value cannot be decrypted") from exc


def key_id_of(token: str) -> str:
    return token.split(":", 1)[0]


def lookup_hash(value: str, *, purpose: str = "id") -> str:
    """HMAC-SHA256 of a normalised value under the separate look-up key (hex, 64 chars)."""
    key = base64.b64decode(settings.DPF_HASH_KEY)
    msg = f"{purpose}:{value}".encode()
    return hmac.new(key, msg, hashlib.sha256).hexdigest()


def mask_phone(phone: str) -> str:
    """``138****5678``."""
    digits = phone.strip()
    if len(digits) < 7:
        return "*" * len(digits)
    return digits[:3] + "*" * (len(digits) - 7) + digits[-4:]


def mask_name(name: str) -> str:
    """``张*明`` / ``张*``: the surname and the last character kept."""
    if len(name) <= 1:
        return name
    if len(name) == 2:
        return name[0] + "*"
    return name[0] + "*" * (len(name) - 2) + name[-1]


def mask_text(text: str, keep: int = 6) -> str:
    """Addresses and accounts: the first ``keep`` characters, the rest hidden."""
    if len(text) <= keep:
        return "*" * len(text)
    return text[:keep] + "*" * min(8, len(text) - keep)
