"""Writing and verifying the hash-chained audit log. The only code that creates entries."""

from __future__ import annotations

import hashlib
import json
from typing import Any

from django.db import connection, transaction
from django.http import HttpRequest
from django.utils import timezone

from dpf.core.models import AuditEntry

GENESIS = "0" * 64
_LOCK_KEY = 0x44504641  # "DPFA": advisory lock serialising the chain on PostgreSQL


def _content(entry: AuditEntry) -> str:
    return json.dumps(
        [
            entry.created_at.isoformat(),
            entry.actor_id,
            entry.actor_name,
            entry.role,
            entry.region_code,
            entry.action,
            entry.object_type,
            entry.object_id,
            entry.changes,
            entry.reason,
            entry.client_address,
        ],
        ensure_ascii=False,
        sort_keys=True,
        default=str,
    )


def compute_hash(prev_hash: str, entry: AuditEntry) -> str:
    return hashlib.sha256((prev_hash + _content(entry)).encode("utf-8")).hexdigest()


def _client_address(request: HttpRequest | None) -> str:
    if request is None:
        return ""
    return str(request.META.get("REMOTE_ADDR", ""))[:64]


def record(
    *,
    actor: Any,
    action: str,
    object_type: str = "",
    object_id: object = "",
    changes: dict[str, Any] | None = None,
    reason: str = "",
    request: HttpRequest | None = None,
) -> AuditEntry:
    """Append one entry. ``changes`` must already be masked (no personal data in clear)."""
    user = actor if getattr(actor, "is_authenticated", False) else None
    region = getattr(user, "region_id", None) or ""
    with transaction.atomic():
        if connection.vendor == "postgresql":
            with connection.cursor() as cur:
                cur.execute("SELECT pg_advisory_xact_lock(%s)", [_LOCK_KEY])
        last = AuditEntry.objects.order_by("-id").values_list("entry_hash", flat=True).first()
        entry = AuditEntry(
            created_at=timezone.now(),
            actor=user,
            actor_name=getattr(user, "username", "") if user else "",
            role=getattr(user, "role", "") or "",
            region_code=region,
            action=action,
            object_type=object_type,
            object_id=str(object_id),
            changes=changes or {},
            reason=reason[:300],
            client_address=_client_address(request),
            prev_hash=last or GENESIS,
        )
        entry.entry_hash = compute_hash(entry.prev_hash, entry)
        entry.save(force_insert=True)
    return entry


def verify() -> int | None:
    """Walk the chain; return the id of the first broken entry, or None when intact."""
    prev = GENESIS
    for entry in AuditEntry.objects.order_by("id").iterator(chunk_size=2000):
        if entry.prev_hash != prev or compute_hash(prev, entry) != entry.entry_hash:
            return entry.id
        prev = entry.entry_hash
    return None
