"""Background validation of staged rosters through the job system (dpf.jobs, django-q2).

``run_validation`` validates one batch; it can be run again on the same batch at any time
(after a crash, by the worker taking the job again, or by hand with ``dpf exchange validate
<batch>``) and gives the same result. ``DPF_IMPORT_WORKER`` says how a validation starts:
``queue`` (default) puts a job on the queue the worker takes; ``manual`` leaves the batch
waiting (an operator or a test runs it).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured

from dpf.accounts.models import User
from dpf.core.errors import NotFound
from dpf.exchange.models import BatchStatus, ImportBatch
from dpf.exchange.validation import Progress, batch_validate
from dpf.jobs.services import job_start

WORKERS = ("queue", "manual")


def run_validation(
    batch_id: int, *, on_progress: Progress | None = None, today: dt.date | None = None
) -> ImportBatch:
    """Validate one staged batch in this process (what the job runs)."""
    batch = ImportBatch.objects.select_related("uploaded_by").filter(pk=batch_id).first()
    if batch is None:
        raise NotFound("import_batch")
    return batch_validate(batch, on_progress=on_progress, today=today)


def validate_job(
    *, params: dict[str, Any], progress: Callable[[str], None], actor: User | None, today: dt.date
) -> str:
    """The job's handler (kind ``exchange.validate``); the batch page shows its progress."""
    batch = run_validation(int(params["batch_id"]), today=today)
    return f"batch {batch.pk}: {batch.status}"


def commit_job(
    *, params: dict[str, Any], progress: Callable[[str], None], actor: User | None, today: dt.date
) -> str:
    """The job's handler (kind ``exchange.commit``): apply a previewed batch, then rescan.

    Run again after a crash it gives the same result: the commit is one transaction (a crash
    inside it leaves the batch previewed, and the next run commits it), and a batch already
    committed is reported as it stands, nothing written twice. The rescan a crash skipped
    is not lost: the changed people stay queued for the next scan."""
    from dpf.exchange import services  # local: the services import this module

    batch = (
        ImportBatch.objects.select_related("uploaded_by").filter(pk=int(params["batch_id"])).first()
    )
    if batch is None:
        raise NotFound("import_batch")
    if batch.status != BatchStatus.COMMITTED:
        progress(f"batch {batch.pk}: committing")
        batch = services.batch_commit(actor=actor, batch=batch)
    return commit_summary(batch)


def commit_summary(batch: ImportBatch) -> str:
    counts = batch.counts or {}
    return (
        f"batch {batch.pk}: committed, {counts.get('facts_changed', 0)} changed, "
        f"{counts.get('persons_queued', 0)} queued for the scan"
    )


def launch_validation(batch_id: int) -> None:
    """Queue the validation of ``batch_id``; a second launch while one is queued or running
    joins it (one job per batch at a time)."""
    worker = getattr(settings, "DPF_IMPORT_WORKER", "queue")
    if worker not in WORKERS:
        raise ImproperlyConfigured(f"DPF_IMPORT_WORKER must be one of {', '.join(WORKERS)}")
    if worker == "manual":
        return
    batch = ImportBatch.objects.select_related("uploaded_by").get(pk=batch_id)
    job_start(
        actor=batch.uploaded_by,
        kind="exchange.validate",
        key=f"exchange.validate:{int(batch_id)}",
        params={"batch_id": int(batch_id)},
    )
