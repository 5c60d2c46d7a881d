"""The proactive scan as a background job (dpf.jobs kind ``benefits.scan``)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any

from dpf.accounts.models import User
from dpf.benefits.scanning import scan

# A full scan of a million persons takes a few minutes (docs/benchmarks.md).
INCREMENTAL_WAIT_SECONDS = 30 * 60


def scan_job(
    *, params: dict[str, Any], progress: Callable[[str], None], actor: User | None, today: dt.date
) -> str:
    """Scan as of ``params["as_of"]`` (default: today); a crashed scan resumes (``scan``).

    ``params["incremental"]``: only the persons whose facts changed since the last scan,
    after waiting up to ``INCREMENTAL_WAIT_SECONDS`` for a scan already running (the
    rescan a roster commit could not run at once)."""
    as_of = dt.date.fromisoformat(params["as_of"]) if params.get("as_of") else today
    incremental = bool(params.get("incremental"))
    run = scan(
        as_of=as_of,
        progress=progress,
        actor=actor,
        incremental=incremental,
        wait_seconds=INCREMENTAL_WAIT_SECONDS if incremental else 0,
    )
    proposed = sum(c["proposed"] for c in run.counts.values())
    to_review = sum(c["to_review"] for c in run.counts.values())
    mode = "incremental " if incremental else ""
    return f"{mode}scan #{run.pk} as of {as_of}: proposed {proposed}, to review {to_review}"
