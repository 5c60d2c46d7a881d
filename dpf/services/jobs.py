"""The services' scheduled work (``dpf.jobs`` kind ``services.child_rehab_transition``, daily):
children's rehabilitation assistance ended at 8 and their hand-overs opened."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any

from dpf.accounts.models import User
from dpf.services.child_rehab import child_rehab_transition


def child_rehab_transition_job(
    *, params: dict[str, Any], progress: Callable[[str], None], actor: User | None, today: dt.date
) -> str:
    """End the assistance of the children who turned 8 by the day (``params["on"]``,
    YYYY-MM-DD, or today) and open their hand-overs; run again, it changes nothing."""
    on = dt.date.fromisoformat(params["on"]) if params.get("on") else today
    run = child_rehab_transition(today=on)
    return f"{on}: {run.ended} child assistance periods ended at 8, {run.opened} hand-overs opened"
