"""The audit chain's checkpoint as a background job (dpf.jobs kind ``core.audit_checkpoint``)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any

from django.conf import settings

from dpf.core import audit
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
