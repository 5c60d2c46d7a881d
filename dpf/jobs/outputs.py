"""Files made by document jobs: stored encrypted (``core.crypto.write_media_file``) under
``MEDIA_ROOT/job-outputs``, read back for the user who started the job, and deleted after
``DPF_JOB_OUTPUT_DAYS`` days (kind ``jobs.output_retention``, daily).

A bank workbook holds full ID and account numbers: the file is never stored in clear, never
named after its content, and only its owner may read it (the page of the work it belongs to
decides that, ``output_for``)."""

from __future__ import annotations

import datetime as dt
import secrets
from collections.abc import Callable
from pathlib import Path
from typing import Any

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from dpf.accounts.models import User
from dpf.core.crypto import read_media_file, write_media_file
from dpf.core.errors import NotFound
from dpf.jobs.kinds import Output
from dpf.jobs.models import Job, JobOutput, JobStatus

FOLDER = "job-outputs"


def _path(stored_name: str) -> Path:
    return Path(settings.MEDIA_ROOT) / FOLDER / stored_name


def keep_days() -> int:
    return int(getattr(settings, "DPF_JOB_OUTPUT_DAYS", 7))


def store(job: Job, output: Output, *, now: dt.datetime | None = None) -> JobOutput:
    """Write the file and its row; a run again after a crash replaces the earlier file."""
    stored_name = f"{job.pk}-{secrets.token_hex(8)}.bin"
    write_media_file(_path(stored_name), output.data)
    earlier = JobOutput.objects.filter(job=job).first()
    with transaction.atomic():
        JobOutput.objects.filter(job=job).delete()
        row = JobOutput.objects.create(
            job=job,
            filename=output.filename[:200],
            content_type=output.content_type[:100],
            size=len(output.data),
            stored_name=stored_name,
            created_at=now or timezone.now(),
        )
    if earlier is not None:
        _path(earlier.stored_name).unlink(missing_ok=True)
    return row


def output_for(
    user: Any, job_id: int, *, kinds: tuple[str, ...], belongs: Callable[[Job], bool]
) -> tuple[Job, JobOutput]:
    """The finished job's file, for the user who started it, when the job is of one of
    ``kinds`` and ``belongs`` to the page asking (its params name that page's record).
    Anything else is not found: another user's file, another list's, an expired one."""
    job = (
        Job.objects.select_related("output")
        .filter(pk=job_id, kind__in=kinds, status=JobStatus.DONE)
        .first()
    )
    if job is None or job.started_by_id is None or job.started_by_id != getattr(user, "pk", None):
        raise NotFound("file")
    output = getattr(job, "output", None)
    if output is None or not belongs(job) or not _path(output.stored_name).exists():
        raise NotFound("file")
    return job, output


def read(output: JobOutput) -> bytes:
    return read_media_file(_path(output.stored_name))


def recent_outputs(
    user: Any, *, kinds: tuple[str, ...], belongs: Callable[[Job], bool]
) -> list[Job]:
    """The user's document jobs of ``kinds`` for one page (newest first, at most ten),
    finished or not, with their files."""
    jobs = (
        Job.objects.select_related("output")
        .filter(kind__in=kinds, started_by_id=getattr(user, "pk", None))
        .order_by("-created_at", "-id")[:50]
    )
    return [j for j in jobs if belongs(j)][:10]


def retention_job(
    *, params: dict[str, Any], progress: Callable[[str], None], actor: User | None, today: dt.date
) -> str:
    """Delete the files older than ``DPF_JOB_OUTPUT_DAYS`` and their rows; run again, it
    finds nothing more."""
    keep = keep_days()
    cutoff = timezone.make_aware(dt.datetime.combine(today - dt.timedelta(days=keep), dt.time()))
    old = list(JobOutput.objects.filter(created_at__lt=cutoff).values_list("job_id", "stored_name"))
    for job_id, stored_name in old:
        _path(stored_name).unlink(missing_ok=True)
        JobOutput.objects.filter(job_id=job_id).delete()
    return f"{len(old)} job files older than {keep} days deleted"
