"""The core's background jobs (dpf.jobs): the audit chain's checkpoint
(``core.audit_checkpoint``), the audit log's retention (``core.audit_retention``) and the
nightly backup (``core.backup``)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any

from django.conf import settings
from django.utils import timezone

from dpf.core import audit, backup
from dpf.core.audit_checkpoint import verify_and_checkpoint
from dpf.core.errors import ValidationFailed


def audit_checkpoint_job(
    *, params: dict[str, Any], progress: Callable[[str], None], actor: Any, today: dt.date
) -> str:
    """Verify the chain; append a signed checkpoint when it holds, fail loudly when not."""
    outcome = verify_and_checkpoint()
    if not outcome.ok:
        raise ValidationFailed(
            "audit_chain_broken",
            "审计日志校验失败，未写入校验点",
            "the audit log failed verification; no checkpoint written",
        )
    return f"{outcome.verification.entries} entries verified, checkpoint written"


def audit_retention_job(
    *, params: dict[str, Any], progress: Callable[[str], None], actor: Any, today: dt.date
) -> str:
    """Delete audit entries older than ``DPF_AUDIT_KEEP_DAYS`` (dpf.jobs kind
    ``core.audit_retention``, monthly); never younger than six months (``audit.prune``
    refuses), and the chain still verifies (an anchor keeps the last hash removed). Run
    again, it finds nothing more to delete."""
    keep = max(int(getattr(settings, "DPF_AUDIT_KEEP_DAYS", 1095)), audit.RETENTION_DAYS)
    before = today - dt.timedelta(days=keep)
    count = audit.prune(actor="scheduler", before=before, today=today)
    return f"{count} audit entries older than {before} deleted (kept {keep} days)"


def backup_job(
    *, params: dict[str, Any], progress: Callable[[str], None], actor: Any, today: dt.date
) -> str:
    """Write the night's encrypted backup into ``DPF_BACKUP_DIR`` and delete the files the
    keeping rule no longer holds (dpf.jobs kind ``core.backup``, daily). Without
    ``DPF_BACKUP_PASSPHRASE`` it fails, and the failed schedule is shown to the city admin:
    no backup is being made. Run again after a crash it writes one whole new file (the
    half-written one is deleted)."""
    passphrase = backup.passphrase_from_env()
    folder = settings.DPF_BACKUP_DIR
    progress("writing the backup")
    result = backup.backup_into(folder=folder, passphrase=passphrase, now=timezone.localtime())
    deleted = backup.prune_backups(
        folder=folder,
        today=today,
        keep_days=settings.DPF_BACKUP_KEEP_DAYS,
        keep_months=settings.DPF_BACKUP_KEEP_MONTHS,
    )
    size = result.path.stat().st_size
    return (
        f"{result.path.name}: {result.engine}, {len(result.tables)} tables, "
        f"{size / 1_048_576:.1f} MB; {len(deleted)} old files deleted"
    )
