"""Uploaded documents: type checked by content (magic bytes), size-limited, stored with a
random name under ``MEDIA_ROOT/documents`` (outside the web root), never trusted by name,
and encrypted at rest with the field key ring (``crypto.write_media_file``): ID-card and
bank-card scans are personal data. They are decrypted only when served (``read``).
"""

from __future__ import annotations

import hashlib
import os
import re
import secrets
from dataclasses import dataclass
from pathlib import Path

from django.conf import settings

from dpf.core import crypto
from dpf.core.errors import NotFound
from dpf.core.inputs import refuse

MAX_BYTES = 10 * 1024 * 1024

# content type -> (magic prefix, extensions a name may carry)
KINDS: dict[str, tuple[bytes, tuple[str, ...]]] = {
    "application/pdf": (b"%PDF-", (".pdf",)),
    "image/jpeg": (b"\xff\xd8\xff", (".jpg", ".jpeg")),
    "image/png": (b"\x89PNG\r\n\x1a\n", (".png",)),
}
EXTENSION = {"application/pdf": ".pdf", "image/jpeg": ".jpg", "image/png": ".png"}


@dataclass(frozen=True)
class CheckedFile:
    content_type: str
    size: int
    sha256: str
    safe_name: str


def documents_dir() -> Path:
    folder = Path(settings.MEDIA_ROOT) / "documents"
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def safe_display_name(name: str) -> str:
    """The file's own name for display: no folders, no control characters, at most 200."""
    base = os.path.basename((name or "").replace("\\", "/"))
    base = re.sub(r"[\x00-\x1f\x7f]", "", base).strip()
    return base[:200] or "document"


def detect(head: bytes) -> str | None:
    for content_type, (magic, _) in KINDS.items():
        if head.startswith(magic):
            return content_type
    return None


def check(name: str, data: bytes) -> CheckedFile:
    """Refuse an empty, too large or mistyped file; the name's extension must agree."""
    if not data:
        raise refuse("document_empty", "文件为空", "the file is empty", "file")
    if len(data) > MAX_BYTES:
        raise refuse(
            "document_too_large",
            f"文件超过{MAX_BYTES // (1024 * 1024)}MB",
            f"the file is larger than {MAX_BYTES // (1024 * 1024)} MB",
            "file",
        )
    content_type = detect(data[:16])
    if content_type is None:
        raise refuse(
            "document_type",
            "只接受PDF、JPEG或PNG文件（按文件内容判断）",
            "only PDF, JPEG or PNG files are accepted (judged by their content)",
            "file",
        )
    safe = safe_display_name(name)
    extension = Path(safe).suffix.lower()
    if extension and extension not in KINDS[content_type][1]:
        raise refuse(
            "document_mismatch",
            "文件内容与扩展名不符",
            "the file's content does not match its extension",
            "file",
        )
    return CheckedFile(
        content_type=content_type,
        size=len(data),
        sha256=hashlib.sha256(data).hexdigest(),
        safe_name=safe,
    )


def store(checked: CheckedFile, data: bytes) -> str:
    """Write the file encrypted under a random name; return that name."""
    stored = secrets.token_hex(20) + EXTENSION[checked.content_type]
    crypto.write_media_file(documents_dir() / stored, data)
    return stored


def read(stored_name: str) -> bytes:
    """The document's content, decrypted; ``NotFound`` when the file is gone."""
    try:
        return crypto.read_media_file(path_of(stored_name))
    except FileNotFoundError:
        raise NotFound("document") from None


def remove(stored_name: str) -> None:
    path = documents_dir() / os.path.basename(stored_name)
    path.unlink(missing_ok=True)


def path_of(stored_name: str) -> Path:
    return documents_dir() / os.path.basename(stored_name)
