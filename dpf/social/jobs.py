"""The monthly return-to-poverty risk scan as a background job (dpf.jobs kind
``social.risk_scan``), over the whole city."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any

from dpf.accounts.models import User
from dpf.social.monitoring import risk_scan


def risk_scan_job(
    *, params: dict[str, Any], progress: Callable[[str], None], actor: User | None, today: dt.date
) -> str:
    """Scan as of ``params["on"]`` (default: the run's local date, Asia/Shanghai, which the
    runner passes in). One transaction: a second run on the same date, or a run again after
    a crash, opens no second case for a household and rule (``monitoring.risk_scan``)."""
    on = dt.date.fromisoformat(params["on"]) if params.get("on") else today
    progress(f"risk scan {on}")
    result = risk_scan(actor=actor, on=on)
    return (
        f"risk scan as of {on}: {result.rules} rules, {result.found} households found,"
        f" {result.opened} new cases, {result.in_progress} in progress"
    )
