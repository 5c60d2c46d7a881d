"""Demo generation as a background job (dpf.jobs kind ``demo.generate``): what
``dpf demo generate --background`` queues for the worker instead of running in the
command's own process."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any

from dpf.accounts.models import User
from dpf.demo import population, services
from dpf.registry.models import Person


def demo_generate_job(
    *, params: dict[str, Any], progress: Callable[[str], None], actor: User | None, today: dt.date
) -> str:
    """Generate ``params["persons"]`` synthetic persons with ``params["seed"]`` (and the
    history to ``params["as_of"]`` unless ``params["history"]`` is false).

    Run again after a crash it gives the same registry: the generation is one transaction
    (a crash inside it leaves nothing, and the next run generates all of it), and a run
    that finds persons already there adds none (``if_empty``)."""
    from dpf.demo.management.commands.demo import STEPS  # local: the command imports us

    as_of = dt.date.fromisoformat(params["as_of"]) if params.get("as_of") else None
    result = services.demo_generate(
        persons=int(params["persons"]),
        seed=int(params["seed"]),
        if_empty=True,
        as_of=as_of or population.REFERENCE_DATE,
        steps=STEPS if params.get("history", True) else (),
        progress=lambda done, total, _s: progress(f"{done:,} / {total:,} persons"),
        step_done=lambda name, seconds, _cpu: progress(f"{name}: {seconds:,.1f} s"),
    )
    del result  # skipped or not, the registry it leaves is what the job reports
    return f"registry holds {Person.objects.filter(synthetic=True).count():,} synthetic persons"
