"""The indicators' background jobs (dpf.jobs): the snapshot of a date (kind
``indicators.snapshot``, monthly by schedule or a recomputation from the dashboard), the
newest snapshot brought up to date with the persons changed since (kind
``indicators.refresh``) and an evaluation report's PDF or workbook (kind
``indicators.report``)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any

from dpf.accounts.models import User
from dpf.indicators import refresh, reports, selectors, services
from dpf.jobs.kinds import Output


def snapshot_job(
    *, params: dict[str, Any], progress: Callable[[str], None], actor: User | None, today: dt.date
) -> str:
    """Store the snapshot of the last month that has ended (or ``params["as_of"]``); run
    again, it replaces that date's snapshot with the same figures."""
    as_of = (
        dt.date.fromisoformat(params["as_of"])
        if params.get("as_of")
        else today.replace(day=1) - dt.timedelta(days=1)
    )
    plan = selectors.plan_by_code(params.get("plan"), drafts=True)
    progress(f"{plan.code} {as_of}")
    run = services.snapshot_store(plan=plan, as_of=as_of, actor=actor)
    return f"snapshot of {plan.code} as of {as_of}: {run.snapshots.count()} figures"


def refresh_job(
    *, params: dict[str, Any], progress: Callable[[str], None], actor: User | None, today: dt.date
) -> str:
    """Apply the persons changed since to every maintained snapshot (too many for the
    request that committed them: a roster); run again, it changes nothing more."""
    moved = refresh.snapshots_refresh()
    return (
        "; ".join(
            f"{run}: {'recomputed' if n < 0 else f'{n} figures moved'}" for run, n in moved.items()
        )
        or "no maintained snapshot"
    )


def report_job(
    *, params: dict[str, Any], progress: Callable[[str], None], actor: User | None, today: dt.date
) -> Output:
    """One evaluation report file, PDF or workbook, as the user who asked reads it (kind
    ``indicators.report``); run again after a crash it makes the same file."""
    progress(f"{params.get('region', '')} {params.get('as_of', '')} {params.get('format', '')}")
    filename, content_type, data = reports.report_document(actor, params)
    return Output(f"evaluation report {params.get('format', '')}", filename, content_type, data)
