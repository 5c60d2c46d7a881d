"""Writes of the job system: start a job (or join the one already running), change a
schedule, run a schedule now."""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.db import IntegrityError, transaction
from django.utils import timezone

from dpf.accounts.models import User
from dpf.accounts.permissions import require_permission
from dpf.core import audit
from dpf.core.errors import ValidationFailed
from dpf.jobs.kinds import KINDS
from dpf.jobs.models import ACTIVE, Cadence, Job, Schedule
from dpf.jobs.schedule import next_run

RUN_MODES = ("worker", "immediate")
_TIME = re.compile(r"^([01]\d|2[0-3]):([0-5]\d)$")


def _run_mode() -> str:
    mode = getattr(settings, "DPF_JOBS_RUN", "worker")
    if mode not in RUN_MODES:
        raise ImproperlyConfigured(f"DPF_JOBS_RUN must be one of {', '.join(RUN_MODES)}")
    return str(mode)


def _enqueue(job_id: int) -> None:
    from django_q.tasks import async_task  # local: django-q2 reads its settings on import

    if _run_mode() == "immediate":
        # django-q2's synchronous mode: the same worker code, in this process, now.
        async_task("dpf.jobs.runner.run_job", job_id, sync=True)
    else:
        transaction.on_commit(lambda: async_task("dpf.jobs.runner.run_job", job_id))


def job_start(
    *,
    actor: User | None,
    kind: str,
    key: str,
    params: dict[str, Any] | None = None,
    schedule: Schedule | None = None,
    now: dt.datetime | None = None,
) -> tuple[Job, bool]:
    """Queue one job; returns ``(job, started)``. While a job with the same ``key`` is queued
    or running, a second start joins it (``started`` False) instead of doubling the work."""
    if kind not in KINDS:
        raise ValidationFailed(
            "job_kind_unknown", "未知的作业类型", "unknown job kind", field="kind"
        )
    now = now or timezone.now()
    user = actor if getattr(actor, "is_authenticated", False) else None
    with transaction.atomic():
        running = Job.objects.filter(key=key, status__in=ACTIVE).first()
        if running is not None:
            return running, False
        try:
            with transaction.atomic():
                job = Job.objects.create(
                    kind=kind,
                    key=key[:200],
                    params=params or {},
                    started_by=user,
                    schedule=schedule,
                    created_at=now,
                )
        except IntegrityError:
            # Another start won the race between the look-up and the insert: join it.
            return Job.objects.get(key=key, status__in=ACTIVE), False
        if schedule is not None:
            Schedule.objects.filter(pk=schedule.pk).update(last_job=job)
        audit.record(
            actor=user,
            actor_name="" if user else "scheduler",
            action="create",
            object_type="job",
            object_id=job.pk,
            changes={"kind": kind},
        )
    _enqueue(job.pk)
    job.refresh_from_db()
    return job, True


def parse_time(text: str) -> dt.time:
    match = _TIME.match((text or "").strip())
    if match is None:
        raise ValidationFailed(
            "schedule_time_invalid",
            "时间无效：请填写 00:00 至 23:59 之间的“时:分”，如 02:30",
            "invalid time: give hours and minutes between 00:00 and 23:59, such as 02:30",
            field="time_of_day",
        )
    return dt.time(int(match.group(1)), int(match.group(2)))


@transaction.atomic
def schedule_update(
    *,
    actor: User | None,
    schedule: Schedule,
    time_of_day: str,
    day_of_month: int | None,
    enabled: bool,
    now: dt.datetime | None = None,
) -> Schedule:
    """Change when a schedule runs; refuses an invalid time or day and writes nothing."""
    require_permission(actor, "manage", "schedule", schedule.pk)
    at = parse_time(time_of_day)
    if schedule.cadence == Cadence.MONTHLY:
        if day_of_month is None or not 1 <= day_of_month <= 28:
            raise ValidationFailed(
                "schedule_day_invalid",
                "每月的日期无效：请填写 1 至 28 之间的日",
                "invalid day of the month: give a day from 1 to 28",
                field="day_of_month",
            )
    else:
        day_of_month = None
    before = {
        "time": schedule.time_of_day.strftime("%H:%M"),
        "day": schedule.day_of_month,
        "enabled": schedule.enabled,
    }
    schedule = Schedule.objects.select_for_update().get(pk=schedule.pk)
    schedule.time_of_day = at
    schedule.day_of_month = day_of_month
    schedule.enabled = enabled
    schedule.next_run_at = next_run(schedule, now or timezone.now()) if enabled else None
    schedule.save(update_fields=["time_of_day", "day_of_month", "enabled", "next_run_at"])
    audit.record(
        actor=actor,
        action="change",
        object_type="schedule",
        object_id=schedule.pk,
        changes={
            "before": before,
            "after": {"time": time_of_day.strip(), "day": day_of_month, "enabled": enabled},
        },
    )
    return schedule


def schedule_run_now(
    *, actor: User | None, schedule: Schedule, now: dt.datetime | None = None
) -> tuple[Job, bool]:
    """Start a schedule's job now (joins the run already going, if any)."""
    require_permission(actor, "manage", "schedule", schedule.pk)
    return job_start(
        actor=actor,
        kind=schedule.kind,
        key=f"schedule:{schedule.kind}",
        schedule=schedule,
        now=now,
    )
