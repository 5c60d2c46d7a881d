"""What the worker runs: one job (``run_job``) and the scheduler's tick (``tick``).

django-q2 delivers ``run_job(job_id)`` at least once: a worker killed mid-job leaves the
queue row locked, and after ``Q_CLUSTER["retry"]`` seconds another worker takes it again.
A job already finished is never run twice; one left running by a dead worker is run again
from the start, which the handlers allow (they are idempotent).
"""

from __future__ import annotations

import datetime as dt
import logging
import os
import socket
from typing import Any

from django.db import transaction
from django.utils import timezone
from django.utils.module_loading import import_string

from dpf.core.errors import DomainError
from dpf.jobs.kinds import KINDS, Handler, Output
from dpf.jobs.models import Heartbeat, Job, JobStatus, Schedule
from dpf.jobs.outputs import store
from dpf.jobs.schedule import next_run

log = logging.getLogger(__name__)


def _progress(job_id: int) -> Any:
    def say(message: str) -> None:
        Job.objects.filter(pk=job_id).update(progress=str(message)[:300])

    return say


def _finish(job_id: int, **fields: Any) -> None:
    Job.objects.filter(pk=job_id).update(finished_at=timezone.now(), **fields)


def run_job(job_id: int, *, today: dt.date | None = None) -> str:
    """Run one job to its end; returns its status (django-q2 stores it as the task result)."""
    with transaction.atomic():
        job = Job.objects.select_for_update().filter(pk=job_id).first()
        if job is None:
            return "missing"
        if job.status in (JobStatus.DONE, JobStatus.FAILED):
            return str(job.status)  # delivered again after it finished: nothing to do
        job.status = JobStatus.RUNNING
        job.attempts += 1
        job.started_at = timezone.now()
        job.save(update_fields=["status", "attempts", "started_at"])
    handler: Handler = import_string(KINDS[job.kind].handler)
    try:
        result = handler(
            params=job.params,
            progress=_progress(job.pk),
            actor=job.started_by,
            today=today or timezone.localdate(),
        )
        if isinstance(result, Output):
            store(job, result)  # a file that cannot be stored fails the job like the work
            result = result.summary
    except DomainError as exc:
        _finish(job.pk, status=JobStatus.FAILED, error=f"{exc.code}: {exc.bilingual}"[:300])
        return JobStatus.FAILED
    except Exception as exc:
        # The top of a job, like the top of a request: record the failure where the page and
        # the schedule list show it (only the exception's type: messages may hold data).
        log.exception("job %s (%s) failed", job.pk, job.kind)
        _finish(job.pk, status=JobStatus.FAILED, error=type(exc).__name__[:300])
        return JobStatus.FAILED
    _finish(job.pk, status=JobStatus.DONE, result=str(result)[:500], progress="")
    return JobStatus.DONE


def worker_name() -> str:
    return f"{socket.gethostname()}:{os.environ.get('DPF_WORKER_NAME', 'worker')}"[:100]


def beat(now: dt.datetime | None = None) -> None:
    """Record that the worker is alive (``/health/`` reads it)."""
    Heartbeat.objects.update_or_create(
        name=worker_name(), defaults={"beat_at": now or timezone.now()}
    )


def tick(now: dt.datetime | None = None) -> int:
    """Start every schedule that is due, and retry the ones whose last run failed.

    Run every minute by django-q2's scheduler (the worker command installs it). Returns how
    many jobs it started."""
    from dpf.jobs.services import job_start  # local: services enqueue through django-q2

    now = now or timezone.now()
    beat(now)
    started = 0
    for schedule in Schedule.objects.filter(enabled=True).select_related("last_job"):
        due = schedule.next_run_at is not None and schedule.next_run_at <= now
        if schedule.next_run_at is None:
            Schedule.objects.filter(pk=schedule.pk).update(next_run_at=next_run(schedule, now))
        retry = not due and _retry_due(schedule, now)
        if not (due or retry):
            continue
        _job, new = job_start(
            actor=None, kind=schedule.kind, key=f"schedule:{schedule.kind}", schedule=schedule
        )
        started += int(new)
        if due:
            Schedule.objects.filter(pk=schedule.pk).update(next_run_at=next_run(schedule, now))
    return started


def _retry_due(schedule: Schedule, now: dt.datetime) -> bool:
    last = schedule.last_job
    if last is None or last.status != JobStatus.FAILED or last.finished_at is None:
        return False
    if last.finished_at + dt.timedelta(minutes=schedule.retry_minutes) > now:
        return False
    # Failed runs in a row since the last success (this one included).
    since = (
        Job.objects.filter(schedule=schedule, status=JobStatus.DONE)
        .order_by("-created_at")
        .values_list("created_at", flat=True)
        .first()
    )
    failures = Job.objects.filter(schedule=schedule, status=JobStatus.FAILED)
    if since is not None:
        failures = failures.filter(created_at__gt=since)
    return failures.count() < schedule.max_attempts
