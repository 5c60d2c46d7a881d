"""Jobs started, joined (never doubled), run once, run again after a crash; failures kept."""

from __future__ import annotations

import datetime as dt

import pytest
from django.db import IntegrityError, transaction
from django.utils import timezone

from dpf.accounts.permissions import PermissionRefused
from dpf.core.errors import ValidationFailed
from dpf.jobs import runner, services
from dpf.jobs.models import Job, JobStatus, Schedule
from dpf.portal.models import RateEvent

pytestmark = pytest.mark.django_db

NOW = dt.datetime(2026, 3, 10, 12, 0, tzinfo=dt.UTC)


def _events() -> None:
    RateEvent.objects.bulk_create(
        [
            RateEvent(kind="code_addr", key_hash="a" * 64, at=NOW - dt.timedelta(days=90)),
            RateEvent(kind="code_addr", key_hash="b" * 64, at=NOW - dt.timedelta(days=40)),
            RateEvent(kind="code_addr", key_hash="c" * 64, at=NOW - dt.timedelta(days=2)),
        ]
    )


def test_a_job_runs_through_django_q2_and_keeps_its_result(city_admin, time_machine) -> None:
    time_machine.move_to(NOW, tick=False)
    _events()
    schedule = Schedule.objects.get(kind="portal.rate_event_retention")

    job, started = services.schedule_run_now(actor=city_admin, schedule=schedule)

    assert started
    job.refresh_from_db()
    assert job.status == JobStatus.DONE
    assert job.attempts == 1
    assert job.result.startswith("2 rate events")
    assert RateEvent.objects.count() == 1  # the 2-day-old event is still inside a window
    from django_q.models import Success

    assert Success.objects.filter(func="dpf.jobs.runner.run_job").count() == 1
    schedule.refresh_from_db()
    assert schedule.last_job == job


def test_a_second_start_while_the_first_is_queued_joins_it(city_admin, settings) -> None:
    settings.DPF_JOBS_RUN = "worker"  # queued, not run: the first stays active
    schedule = Schedule.objects.get(kind="benefits.scan")

    first, started_first = services.schedule_run_now(actor=city_admin, schedule=schedule)
    second, started_second = services.schedule_run_now(actor=city_admin, schedule=schedule)

    assert started_first
    assert not started_second
    assert first.pk == second.pk
    assert Job.objects.filter(kind="benefits.scan").count() == 1


def test_the_database_refuses_two_active_jobs_with_one_key(city_admin) -> None:
    Job.objects.create(kind="benefits.scan", key="k", created_at=NOW)
    with pytest.raises(IntegrityError), transaction.atomic():
        Job.objects.create(kind="benefits.scan", key="k", created_at=NOW, status="running")
    Job.objects.filter(key="k").update(status=JobStatus.DONE)
    Job.objects.create(kind="benefits.scan", key="k", created_at=NOW)  # after it finished: ok


def test_a_job_delivered_again_after_it_finished_is_not_run_twice(city_admin) -> None:
    _events()
    job = Job.objects.create(
        kind="portal.rate_event_retention", key="r", created_at=NOW, status=JobStatus.DONE
    )
    assert runner.run_job(job.pk) == JobStatus.DONE
    job.refresh_from_db()
    assert job.attempts == 0
    assert RateEvent.objects.count() == 3


def test_a_job_left_running_by_a_dead_worker_runs_again_and_finishes_once(time_machine) -> None:
    time_machine.move_to(NOW, tick=False)
    _events()
    job = Job.objects.create(
        kind="portal.rate_event_retention",
        key="r",
        created_at=NOW,
        status=JobStatus.RUNNING,
        attempts=1,
        started_at=NOW,
    )
    assert runner.run_job(job.pk) == JobStatus.DONE
    assert runner.run_job(job.pk) == JobStatus.DONE  # the queue delivering it once more
    job.refresh_from_db()
    assert job.status == JobStatus.DONE
    assert job.attempts == 2
    assert RateEvent.objects.count() == 1


def test_a_failing_job_is_recorded_with_its_code(city_admin, settings, tmp_path) -> None:
    # A checkpoint file that is not one: the audit job refuses, the job shows the code.
    settings.DPF_AUDIT_CHECKPOINTS = tmp_path / "checkpoints.log"
    settings.DPF_AUDIT_CHECKPOINTS.write_text("not a checkpoint\n")
    schedule = Schedule.objects.get(kind="core.audit_checkpoint")

    job, _ = services.schedule_run_now(actor=city_admin, schedule=schedule)

    job.refresh_from_db()
    assert job.status == JobStatus.FAILED
    assert job.error.startswith("audit_chain_broken")
    assert "no checkpoint written" in job.error


def test_an_unknown_kind_is_refused(city_admin) -> None:
    with pytest.raises(ValidationFailed) as refused:
        services.job_start(actor=city_admin, kind="nothing.such", key="x")
    assert refused.value.code == "job_kind_unknown"
    assert not Job.objects.exists()


def test_only_the_city_admin_runs_a_schedule(county_officer) -> None:
    schedule = Schedule.objects.get(kind="benefits.scan")
    with pytest.raises(PermissionRefused):
        services.schedule_run_now(actor=county_officer, schedule=schedule)
    assert not Job.objects.exists()


def test_the_jobs_now_is_not_the_wall_clock(city_admin, settings) -> None:
    settings.DPF_JOBS_RUN = "worker"
    schedule = Schedule.objects.get(kind="benefits.scan")
    job, _ = services.schedule_run_now(actor=city_admin, schedule=schedule, now=NOW)
    assert job.created_at == NOW
    assert timezone.is_aware(job.created_at)
