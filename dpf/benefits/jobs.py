"""The proactive scan as a background job (dpf.jobs kind ``benefits.scan``)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any

from dpf.accounts.models import User
from dpf.benefits.scanning import scan


def scan_job(
    *, params: dict[str, Any], progress: Callable[[str], None], actor: User | None, today: dt.date
) -> str:
    """Scan as of ``params["as_of"]`` (default: today); a crashed scan resumes (``scan``)."""
    as_of = dt.date.fromisoformat(params["as_of"]) if params.get("as_of") else today
    run = scan(as_of=as_of, progress=progress, actor=actor)
    proposed = sum(c["proposed"] for c in run.counts.values())
    to_review = sum(c["to_review"] for c in run.counts.values())
    return f"scan #{run.pk} as of {as_of}: proposed {proposed}, to review {to_review}"
