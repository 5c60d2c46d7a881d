"""Writing, verifying and pruning the hash-chained audit log.

The only code that creates or deletes entries; nothing in the platform updates one (no
admin, no service), and on PostgreSQL a trigger refuses UPDATE and DELETE except a prune's
own transaction. Entries are kept at least ``RETENTION_DAYS`` (Cybersecurity Law: network
logs at least six months).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any
from zoneinfo import ZoneInfo

from django.conf import settings
from django.db import connection, transaction
from django.http import HttpRequest
from django.utils import timezone

from dpf.core.errors import ValidationFailed
from dpf.core.logging import redact
from dpf.core.models import AuditAnchor, AuditEntry

GENESIS = "0" * 64
_LOCK_KEY = 0x44504641  # "DPFA": advisory lock serialising the chain on PostgreSQL
RETENTION_DAYS = 183  # at least six months

# The actions the platform writes (the audit page filters by them).
ACTIONS = (
    "view",
    "create",
    "change",
    "export",
    "reveal",
    "login",
    "login_failure",
    "logout",
    "permission_denied",
    "prune",
    "key_rotation",
    "approve",
    "import",
    "import_upload",
    "import_cancel",
    "merge",
    "token_create",
    "token_revoke",
    "possible_probe",
    "submit",
    "return",
    "complete",
    "enrol",
    "credit_flag",
    "credit_lift",
    "download",
)


_HASHED_FIELDS = (
    "created_at",
    "actor_id",
    "actor_name",
    "role",
    "region_code",
    "action",
    "object_type",
    "object_id",
    "changes",
    "reason",
    "client_address",
)


def _content_of(values: tuple[Any, ...]) -> str:
    """The hashed text of an entry, from its ``_HASHED_FIELDS`` values in that order."""
    created_at, *rest = values
    return json.dumps(
        [created_at.isoformat(), *rest], ensure_ascii=False, sort_keys=True, default=str
    )


def _content(entry: AuditEntry) -> str:
    return _content_of(tuple(getattr(entry, name) for name in _HASHED_FIELDS))


def _hash(prev_hash: str, content: str) -> str:
    return hashlib.sha256((prev_hash + content).encode("utf-8")).hexdigest()


def compute_hash(prev_hash: str, entry: AuditEntry) -> str:
    return _hash(prev_hash, _content(entry))


def _client_address(request: HttpRequest | None) -> str:
    """The client's address, resolved the way the lock-out resolves it (proxy settings)."""
    if request is None:
        return ""
    from axes.helpers import get_client_ip_address  # local: needs settings loaded

    address = get_client_ip_address(request) or request.META.get("REMOTE_ADDR", "")
    return str(address)[:64]


def record(
    *,
    actor: Any,
    action: str,
    object_type: str = "",
    object_id: object = "",
    changes: dict[str, Any] | None = None,
    reason: str = "",
    request: HttpRequest | None = None,
    actor_name: str = "",
) -> AuditEntry:
    """Append one entry. ``changes`` must already be masked (no personal data in clear).

    ``actor_name`` names an actor that is not a logged-in user (a failed login's username,
    a command); it is ignored when ``actor`` is a user.
    """
    user = actor if getattr(actor, "is_authenticated", False) else None
    region = getattr(user, "region_id", None) or ""
    with transaction.atomic():
        _lock_chain()
        last = _chain_head()
        entry = AuditEntry(
            created_at=timezone.now(),
            actor=user,
            actor_name=(getattr(user, "username", "") if user else actor_name)[:150],
            role=getattr(user, "role", "") or "",
            region_code=region,
            action=action,
            object_type=object_type,
            object_id=str(object_id),
            changes=changes or {},
            reason=redact(reason)[:300],
            client_address=_client_address(request),
            prev_hash=last,
        )
        entry.entry_hash = compute_hash(entry.prev_hash, entry)
        entry.save(force_insert=True)
    return entry


def record_view(
    request: HttpRequest,
    object_type: str,
    object_id: object = "",
    *,
    changes: dict[str, Any] | None = None,
) -> AuditEntry:
    """Record that the request's user read ``object_type`` ``object_id`` (a person's record,
    a case, a list of names): what every page showing personal data calls once. ``changes``
    (already masked) says which part, page or date was read."""
    return record(
        actor=request.user,
        action="view",
        object_type=object_type,
        object_id=object_id,
        changes=changes,
        request=request,
    )


def _lock_chain() -> None:
    if connection.vendor == "postgresql":
        with connection.cursor() as cur:
            cur.execute("SELECT pg_advisory_xact_lock(%s)", [_LOCK_KEY])


def _chain_head() -> str:
    """The hash the next entry links to: the last entry's, else the last anchor's."""
    last = AuditEntry.objects.order_by("-id").values_list("entry_hash", flat=True).first()
    if last:
        return last
    anchor = AuditAnchor.objects.order_by("-id").values_list("last_pruned_hash", flat=True)
    return anchor.first() or GENESIS


def _start_hash(first_id: int) -> str:
    """What the first kept entry must link to: the newest anchor before it, or genesis."""
    anchor = (
        AuditAnchor.objects.filter(last_pruned_id__lt=first_id)
        .order_by("-last_pruned_id")
        .values_list("last_pruned_hash", flat=True)
        .first()
    )
    return anchor or GENESIS


@dataclass(frozen=True)
class Verification:
    broken_id: int | None
    entries: int
    head_hash: str
    last_id: int = 0  # the newest entry walked (0: none)

    @property
    def ok(self) -> bool:
        return self.broken_id is None


def verify_chain() -> Verification:
    """Walk the chain from its (anchored) start; report the first broken entry."""
    first = AuditEntry.objects.order_by("id").values_list("id", flat=True).first()
    if first is None:
        return Verification(None, 0, _chain_head())
    prev = _start_hash(first)
    count = 0
    last_id = 0
    rows = (
        AuditEntry.objects.order_by("id")
        .values_list("id", "prev_hash", "entry_hash", *_HASHED_FIELDS)
        .iterator(chunk_size=5000)
    )
    for entry_id, prev_hash, entry_hash, *values in rows:
        if prev_hash != prev or _hash(prev, _content_of(tuple(values))) != entry_hash:
            return Verification(entry_id, count, prev, last_id)
        prev = entry_hash
        count += 1
        last_id = entry_id
    return Verification(None, count, prev, last_id)


def head_of(cursor: Any) -> dict[str, Any]:
    """The log's size and newest entry read through a raw DB-API ``cursor`` (a backup's
    snapshot connection or copied file): ``{"entries", "last_id", "head_hash"}``."""
    table = AuditEntry._meta.db_table
    cursor.execute(f"SELECT COUNT(*), MAX(id) FROM {table}")  # noqa: S608 - model's table
    entries, last_id = cursor.fetchone()
    head = ""
    if last_id is not None:
        cursor.execute(f"SELECT entry_hash FROM {table} WHERE id = {int(last_id)}")  # noqa: S608
        head = cursor.fetchone()[0]
    return {"entries": int(entries), "last_id": int(last_id or 0), "head_hash": head}


def recorded(object_type: str) -> bool:
    """Whether the log holds any entry of ``object_type`` (a step that marks its work done
    by one entry, such as a demo step, asks here: only this module reads the rows)."""
    return AuditEntry.objects.filter(object_type=object_type).exists()


def stored_hash(entry_id: int) -> str | None:
    """The stored hash of one entry, or None when no such entry is in the table."""
    return AuditEntry.objects.filter(pk=entry_id).values_list("entry_hash", flat=True).first()


def pruned_through() -> tuple[int, str] | None:
    """``(id, hash)`` of the newest entry a prune removed, or None if none ever was."""
    return (
        AuditAnchor.objects.order_by("-last_pruned_id")
        .values_list("last_pruned_id", "last_pruned_hash")
        .first()
    )


def verify() -> int | None:
    """Walk the chain; return the id of the first broken entry, or None when intact."""
    return verify_chain().broken_id


def prune_limit(today: dt.date | None = None) -> dt.date:
    """The latest ``--before`` date a prune accepts (entries younger are always kept)."""
    return (today or timezone.localdate()) - dt.timedelta(days=RETENTION_DAYS)


@transaction.atomic
def prune(*, actor: Any, before: dt.date, today: dt.date | None = None) -> int:
    """Delete the entries older than ``before`` (a date at least six months ago).

    The oldest entries form a prefix of the chain: everything before the first entry dated
    ``before`` or later goes, and an anchor records the hash of the last one deleted so
    the chain still verifies. The prune itself is audited.
    """
    limit = prune_limit(today)
    if before > limit:
        raise ValidationFailed(
            "audit_retention",
            f"审计日志至少保留{RETENTION_DAYS}天：日期不得晚于{limit.isoformat()}",
            f"audit entries are kept at least {RETENTION_DAYS} days: "
            f"the date must be {limit.isoformat()} or earlier",
            field="before",
        )
    cutoff = dt.datetime.combine(before, dt.time.min, tzinfo=ZoneInfo(settings.TIME_ZONE))
    _lock_chain()
    first_kept = (
        AuditEntry.objects.filter(created_at__gte=cutoff)
        .order_by("id")
        .values_list("id", flat=True)
        .first()
    )
    doomed = AuditEntry.objects.all()
    if first_kept is not None:
        doomed = doomed.filter(id__lt=first_kept)
    last = doomed.order_by("-id").values_list("id", "entry_hash").first()
    if last is None:
        return 0
    if connection.vendor == "postgresql":
        with connection.cursor() as cur:
            cur.execute("SET LOCAL dpf.audit_prune = 'on'")
    count, _ = doomed.delete()
    if connection.vendor == "postgresql":
        with connection.cursor() as cur:
            cur.execute("SET LOCAL dpf.audit_prune = 'off'")
    AuditAnchor.objects.create(
        created_at=timezone.now(),
        pruned_before=before,
        last_pruned_id=last[0],
        last_pruned_hash=last[1],
        entries_pruned=count,
        actor_name=getattr(actor, "username", "") or str(actor or ""),
    )
    record(
        actor=actor,
        actor_name=str(actor or "")[:150],
        action="prune",
        object_type="audit_log",
        changes={"before": before.isoformat(), "entries": count},
    )
    return count


def changed_fields(
    before: Mapping[str, Any],
    after: Mapping[str, Any],
    *,
    masks: Mapping[str, Callable[[str], str]] | None = None,
) -> dict[str, list[Any]]:
    """``{field: [old, new]}`` for the fields whose value changed, personal ones masked.

    ``masks`` maps a personal field to its masking function (``mask_phone``,
    ``mask_id_number`` …); a personal field missing from ``masks`` must not be passed.
    """
    masks = masks or {}
    out: dict[str, list[Any]] = {}
    for name, new in after.items():
        old = before.get(name)
        if old == new:
            continue
        mask = masks.get(name)
        if mask is not None:
            out[name] = [mask(str(old)) if old else old, mask(str(new)) if new else new]
        else:
            out[name] = [_plain(old), _plain(new)]
    return out


def _plain(value: Any) -> Any:
    if value is None or isinstance(value, bool | int | str):
        return value
    return str(value)
