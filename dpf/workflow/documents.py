"""Uploaded files, the one owner of their checks and storage: type checked by content
(magic bytes), size-limited, stored with a random name under a folder of ``MEDIA_ROOT``
(outside the web root; ``documents`` unless the caller names its own), never trusted by
name, and encrypted at rest with the field key ring (``crypto.write_media_file``): ID-card
and bank-card scans, and photos of a person's home, are personal data. They are decrypted
only when served (``read``), by a scoped and audited view.

Application documents accept PDF, JPEG and PNG (``DOCUMENT_TYPES``); a renovation's
completion photos only JPEG and PNG (``PHOTO_TYPES``, ``dpf.services``): the caller says
which, and the limit of bytes.
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
FOLDER = "documents"
PDF, JPEG, PNG = "application/pdf", "image/jpeg", "image/png"

# content type -> (magic prefix, extensions a name may carry)
KINDS: dict[str, tuple[bytes, tuple[str, ...]]] = {
    PDF: (b"%PDF-", (".pdf",)),
    JPEG: (b"\xff\xd8\xff", (".jpg", ".jpeg")),
    PNG: (b"\x89PNG\r\n\x1a\n", (".png",)),
}
EXTENSION = {PDF: ".pdf", JPEG: ".jpg", PNG: ".png"}
TYPE_NAMES = {PDF: "PDF", JPEG: "JPEG", PNG: "PNG"}
DOCUMENT_TYPES = (PDF, JPEG, PNG)
PHOTO_TYPES = (JPEG, PNG)


@dataclass(frozen=True)
class CheckedFile:
    content_type: str
    size: int
    sha256: str
    safe_name: str


def documents_dir(folder: str = FOLDER) -> Path:
    """The folder of ``MEDIA_ROOT`` the files of one kind live in (made when missing)."""
    path = Path(settings.MEDIA_ROOT) / os.path.basename(folder)
    path.mkdir(parents=True, exist_ok=True)
    return path


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


def _either(names: list[str], joiner: str, last: str) -> str:
    return names[0] if len(names) == 1 else joiner.join(names[:-1]) + last + names[-1]


def accepted_types_text(accept: tuple[str, ...]) -> tuple[str, str]:
    """The accepted types named in both languages ("PDF、JPEG或PNG", "PDF, JPEG or PNG")."""
    names = [TYPE_NAMES[t] for t in accept]
    return _either(names, "、", "或"), _either(names, ", ", " or ")


def check(
    name: str,
    data: bytes,
    *,
    accept: tuple[str, ...] = DOCUMENT_TYPES,
    max_bytes: int = MAX_BYTES,
    field: str = "file",
) -> CheckedFile:
    """Refuse an empty, too large or mistyped file (one of ``accept`` by its content); the
    name's extension must agree with the content."""
    if not data:
        raise refuse("document_empty", "文件为空", "the file is empty", field)
    if len(data) > max_bytes:
        raise refuse(
            "document_too_large",
            f"文件超过{max_bytes // (1024 * 1024)}MB",
            f"the file is larger than {max_bytes // (1024 * 1024)} MB",
            field,
        )
    content_type = detect(data[:16])
    if content_type is None or content_type not in accept:
        zh, en = accepted_types_text(accept)
        raise refuse(
            "document_type",
            f"只接受{zh}文件（按文件内容判断）",
            f"only {en} files are accepted (judged by their content)",
            field,
        )
    safe = safe_display_name(name)
    extension = Path(safe).suffix.lower()
    if extension and extension not in KINDS[content_type][1]:
        raise refuse(
            "document_mismatch",
            "文件内容与扩展名不符",
            "the file's content does not match its extension",
            field,
        )
    return CheckedFile(
        content_type=content_type,
        size=len(data),
        sha256=hashlib.sha256(data).hexdigest(),
        safe_name=safe,
    )


def store(checked: CheckedFile, data: bytes, *, folder: str = FOLDER) -> str:
    """Write the file encrypted under a random name; return that name."""
    stored = secrets.token_hex(20) + EXTENSION[checked.content_type]
    crypto.write_media_file(documents_dir(folder) / stored, data)
    return stored


def read(stored_name: str, *, folder: str = FOLDER) -> bytes:
    """The file's content, decrypted; ``NotFound`` when the file is gone."""
    try:
        return crypto.read_media_file(path_of(stored_name, folder=folder))
    except FileNotFoundError:
        raise NotFound("document") from None


def remove(stored_name: str, *, folder: str = FOLDER) -> None:
    path_of(stored_name, folder=folder).unlink(missing_ok=True)


def path_of(stored_name: str, *, folder: str = FOLDER) -> Path:
    return documents_dir(folder) / os.path.basename(stored_name)
