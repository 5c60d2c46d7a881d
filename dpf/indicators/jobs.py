"""The monthly indicator snapshot as a background job (dpf.jobs kind ``indicators.snapshot``)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any

from dpf.accounts.models import User
from dpf.indicators import selectors, services


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
