"""Demo generation as a job (kind demo.generate, ``dpf demo generate --background``): run
again after a crash it leaves the same registry (issue 22 part 1)."""

from __future__ import annotations

import io

import pytest
from django.core.management import call_command

from dpf.jobs import runner
from dpf.jobs.models import Job, JobStatus
from dpf.registry.models import Person

pytestmark = pytest.mark.django_db


def _registry() -> list[tuple]:
    return list(Person.objects.order_by("pk").values_list("pk", "name", "village_code"))


def test_the_generation_job_run_again_after_a_crash_leaves_the_same_registry() -> None:
    out = io.StringIO()
    call_command(
        "demo",
        "generate",
        *("--persons", "30", "--seed", "3", "--as-of", "2021-03-31", "--background"),
        stdout=out,
    )

    job = Job.objects.get(kind="demo.generate")
    assert f"job #{job.pk}" in out.getvalue()
    assert job.status == JobStatus.DONE, job.error  # DPF_JOBS_RUN=immediate in tests
    registry, result = _registry(), job.result
    assert Person.objects.filter(synthetic=True).count() >= 30
    assert "synthetic persons" in result
    Job.objects.filter(pk=job.pk).update(status=JobStatus.RUNNING, finished_at=None)
    runner.run_job(job.pk)
    job.refresh_from_db()
    assert job.status == JobStatus.DONE
    assert job.attempts == 2
    assert job.result == result
    assert _registry() == registry
