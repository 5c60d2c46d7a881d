"""Personal-data protection at rest: AES-GCM field and file encryption, keyed look-up hashes.

Ciphertext format (text, safe for any database): ``<key id>:<base64(nonce || ct || tag)>``.
The key id lets ``dpf keys rotate`` re-encrypt under a new key while readers still decrypt
values written under the old one. Files under ``MEDIA_ROOT`` (documents, roster files) use
the same key ring in a binary layout (``encrypt_bytes``).
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import os
import secrets
from functools import lru_cache
from pathlib import Path

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
    from dpf.core.secrets import load_secrets

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


# Files ------------------------------------------------------------------------------------

FILE_MAGIC = b"DPF-ENC1"


def _file_header(kid: str) -> bytes:
    raw = kid.encode("ascii")
    return FILE_MAGIC + bytes([len(raw)]) + raw


def encrypt_bytes(data: bytes, *, context: str, key_id: str | None = None) -> bytes:
    """A file's content encrypted under the field key ring.

    Layout: ``DPF-ENC1 || len(key id) || key id || nonce (12) || ciphertext || tag (16)``.
    The header and ``context`` (where the file lives, e.g. ``documents/<name>``) are
    authenticated: a file copied over another name, or with its key id edited, is refused.
    """
    kid = key_id or settings.DPF_FIELD_KEY_CURRENT
    header = _file_header(kid)
    nonce = os.urandom(12)
    aad = header + b"|" + context.encode("utf-8")
    return header + nonce + _aead(_keys()[kid]).encrypt(nonce, data, aad)


def file_key_id(blob: bytes) -> str | None:
    """The key id of an encrypted file's content (its first bytes suffice); None when the
    content does not start with the encrypted-file header (a file stored in clear)."""
    if not blob.startswith(FILE_MAGIC) or len(blob) <= len(FILE_MAGIC):
        return None
    size = blob[len(FILE_MAGIC)]
    raw = blob[len(FILE_MAGIC) + 1 : len(FILE_MAGIC) + 1 + size]
    if len(raw) != size:
        return None
    try:
        return raw.decode("ascii")
    except UnicodeDecodeError:
        return None


def decrypt_bytes(blob: bytes, *, context: str) -> bytes:
    """The content ``encrypt_bytes`` protected; :class:`DecryptionError` when the file is not
    encrypted, was written for another ``context``, tampered with, or under an unknown key."""
    try:
        kid = file_key_id(blob)
        if kid is None:
            raise ValueError("not an encrypted file")
        header = _file_header(kid)
        key = _keys().get(kid)
        if key is None and reload_keys():
            key = _keys().get(kid)
        if key is None:
            raise KeyError("unknown key id")
        body = blob[len(header) :]
        aad = header + b"|" + context.encode("utf-8")
        return _aead(key).decrypt(body[:12], body[12:], aad)
    except Exception as exc:
        raise DecryptionError("stored file cannot be decrypted") from exc


def media_context(path: Path) -> str:
    """A stored file's authenticated context: its path under ``MEDIA_ROOT``."""
    return Path(path).resolve().relative_to(Path(settings.MEDIA_ROOT).resolve()).as_posix()


def write_media_file(path: Path, data: bytes, *, key_id: str | None = None) -> None:
    """Write ``data`` encrypted to ``path`` (under ``MEDIA_ROOT``), atomically, mode 0600.

    The plain content never touches the disk: it is encrypted in memory, written to a
    temporary name beside the target and renamed over it.
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    blob = encrypt_bytes(data, context=media_context(path), key_id=key_id)
    temporary = path.with_name(f".{path.name}.{secrets.token_hex(6)}.tmp")
    try:
        fd = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "wb") as fh:
            fh.write(blob)
        os.replace(temporary, path)
    finally:
        temporary.unlink(missing_ok=True)


def read_media_file(path: Path) -> bytes:
    """The plain content of a file under ``MEDIA_ROOT``. A file stored before encryption
    existed (no header) is returned as it is; ``dpf keys reencrypt`` encrypts it."""
    path = Path(path)
    blob = path.read_bytes()
    if file_key_id(blob[: len(FILE_MAGIC) + 256]) is None:
        return blob
    return decrypt_bytes(blob, context=media_context(path))


@lru_cache(maxsize=4)
def _hash_key(key_b64: str) -> bytes:
    return base64.b64decode(key_b64)


def lookup_hash(value: str, *, purpose: str = "id") -> str:
    """HMAC-SHA256 of a normalised value under the separate look-up key (hex, 64 chars)."""
    msg = f"{purpose}:{value}".encode()
    return hmac.digest(_hash_key(settings.DPF_HASH_KEY), msg, hashlib.sha256).hex()


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
