"""Reads of the job system (no personal data: jobs hold kinds, counts and error codes)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from django.db.models import QuerySet

from dpf.accounts.permissions import require_permission
from dpf.core.errors import NotFound
from dpf.jobs.kinds import KINDS
from dpf.jobs.models import Heartbeat, Job, JobStatus, Schedule


def job_for(user: Any, job_id: int) -> Job:
    require_permission(user, "view", "schedule", job_id)
    job = Job.objects.select_related("schedule", "started_by").filter(pk=job_id).first()
    if job is None:
        raise NotFound("job")
    return job


def schedule_by_kind(user: Any, kind: str) -> Schedule:
    require_permission(user, "view", "schedule", kind)
    schedule = Schedule.objects.filter(kind=kind).first()
    if schedule is None:
        raise NotFound("schedule")
    return schedule


@dataclass(frozen=True)
class ScheduleRow:
    schedule: Schedule
    label: str
    last: Job | None


def schedules(user: Any) -> list[ScheduleRow]:
    """Every schedule with its last run (one query)."""
    require_permission(user, "view", "schedule")
    rows = Schedule.objects.select_related("last_job").order_by("kind")
    return [ScheduleRow(s, str(KINDS[s.kind].label), s.last_job) for s in rows if s.kind in KINDS]


def kind_label(kind: str) -> str:
    return str(KINDS[kind].label) if kind in KINDS else kind


def recent_jobs(user: Any, limit: int = 20) -> QuerySet[Job]:
    require_permission(user, "view", "schedule")
    return Job.objects.select_related("started_by")[:limit]


def failed_schedules() -> list[Schedule]:
    """Schedules whose last run failed (shown on the city admin's pages until one succeeds)."""
    return list(
        Schedule.objects.filter(enabled=True, last_job__status=JobStatus.FAILED).order_by("kind")
    )


def last_heartbeat() -> dt.datetime | None:
    beat = Heartbeat.objects.order_by("-beat_at").values_list("beat_at", flat=True).first()
    return beat


def latest_job(key: str) -> Job | None:
    """The newest job of one subject (``key``, as ``job_start`` was given it), for the page
    that started it: the caller has checked the subject's permission; a job holds no
    personal data (kind, counts, error codes)."""
    return Job.objects.filter(key=key[:200]).order_by("-created_at", "-id").first()


def jobs_started_by(user: Any, kind: str, limit: int = 5) -> list[Job]:
    """The user's own newest jobs of one kind (the page that starts them lists them)."""
    if not getattr(user, "is_authenticated", False):
        return []
    return list(Job.objects.filter(kind=kind, started_by=user)[:limit])
