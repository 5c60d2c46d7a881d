"""Jobs (one long piece of work started from a page or a schedule) and schedules as data.

The queue itself is django-q2's (``django_q.OrmQ``, in the same database); a ``Job`` is what
a person sees: what runs, its progress, result or error. ``Schedule`` says when each
recurring job runs; the scheduler tick (``dpf.jobs.runner.tick``) starts the due ones.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _


class JobStatus(models.TextChoices):
    QUEUED = "queued", _("排队中")
    RUNNING = "running", _("运行中")
    DONE = "done", _("已完成")
    FAILED = "failed", _("失败")


ACTIVE = (JobStatus.QUEUED, JobStatus.RUNNING)


class Job(models.Model):
    kind = models.CharField(max_length=50)
    params = models.JSONField(default=dict, blank=True)
    # Two starts of the same work (same kind and subject) share one key; while one is queued
    # or running a second start joins it instead of doubling it (constraint below).
    key = models.CharField(max_length=200)
    status = models.CharField(max_length=10, choices=JobStatus.choices, default=JobStatus.QUEUED)
    progress = models.CharField(max_length=300, blank=True)
    result = models.CharField(max_length=500, blank=True)
    error = models.CharField(max_length=300, blank=True)
    attempts = models.PositiveSmallIntegerField(default=0)
    started_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    schedule = models.ForeignKey(
        "jobs.Schedule", on_delete=models.SET_NULL, null=True, blank=True, related_name="jobs"
    )
    created_at = models.DateTimeField()
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["key"],
                condition=Q(status__in=["queued", "running"]),
                name="one_active_job_per_key",
            )
        ]
        indexes = [models.Index(fields=["kind", "-created_at"], name="job_kind_created")]

    def __str__(self) -> str:
        return f"{self.kind} #{self.pk} {self.status}"

    @property
    def duration_seconds(self) -> float | None:
        if self.started_at is None or self.finished_at is None:
            return None
        return (self.finished_at - self.started_at).total_seconds()


class JobOutput(models.Model):
    """The file a document job made, stored encrypted under ``MEDIA_ROOT/job-outputs``
    (``dpf.jobs.outputs``); deleted with its file after ``DPF_JOB_OUTPUT_DAYS``."""

    job = models.OneToOneField(
        Job, on_delete=models.CASCADE, primary_key=True, related_name="output"
    )
    filename = models.CharField(max_length=200)
    content_type = models.CharField(max_length=100)
    size = models.PositiveBigIntegerField()
    stored_name = models.CharField(max_length=100, unique=True)
    created_at = models.DateTimeField()

    def __str__(self) -> str:
        return f"{self.job_id} {self.filename}"


class Cadence(models.TextChoices):
    DAILY = "daily", _("每天")
    MONTHLY = "monthly", _("每月")


class Schedule(models.Model):
    """When one recurring job runs (local time, Asia/Shanghai)."""

    kind = models.CharField(max_length=50, unique=True)
    cadence = models.CharField(max_length=10, choices=Cadence.choices)
    day_of_month = models.PositiveSmallIntegerField(null=True, blank=True)  # monthly: 1-28
    time_of_day = models.TimeField()
    enabled = models.BooleanField(default=True)
    next_run_at = models.DateTimeField(null=True, blank=True)
    # A failed run is started again up to this many times, ``retry_minutes`` apart.
    max_attempts = models.PositiveSmallIntegerField(default=3)
    retry_minutes = models.PositiveSmallIntegerField(default=15)
    last_job = models.ForeignKey(
        Job, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )

    class Meta:
        ordering = ["kind"]
        constraints = [
            models.CheckConstraint(
                condition=(Q(cadence="daily", day_of_month__isnull=True))
                | Q(cadence="monthly", day_of_month__gte=1, day_of_month__lte=28),
                name="schedule_day_matches_cadence",
            )
        ]

    def __str__(self) -> str:
        return f"{self.kind} {self.cadence} {self.time_of_day:%H:%M}"


class Heartbeat(models.Model):
    """The worker's last sign of life (one row per worker name), read by ``/health/``."""

    name = models.CharField(max_length=100, unique=True)
    beat_at = models.DateTimeField()

    def __str__(self) -> str:
        return f"{self.name} {self.beat_at:%Y-%m-%d %H:%M:%S}"
