"""Payment lists as jobs: started from the page (progress and result on the page), the
monthly drafts of every county (a schedule), each run again after a crash with the same
result (issue 22 parts 1 and 2)."""

from __future__ import annotations

import datetime as dt

import pytest
from django.urls import reverse

from dpf.benefits import services as benefit_services
from dpf.jobs import runner
from dpf.jobs.models import Job, JobStatus, Schedule
from dpf.jobs.services import job_start
from dpf.workflow.models import PaymentLine, PaymentList
from tests.benefits.conftest import person_with
from tests.workflow.conftest import benefit

pytestmark = pytest.mark.django_db

MONTH = dt.date(2025, 10, 1)
TODAY = dt.date(2025, 10, 20)


def _entitled(n: int = 3) -> None:
    for _ in range(n):
        benefit_services.entitlement_create(
            actor=None,
            person=person_with(level=2, household="dibao"),
            benefit=benefit("living_allowance"),
            valid_from=dt.date(2025, 1, 1),
        )


def _lists() -> list[tuple]:
    return list(
        PaymentList.objects.order_by("county_code", "benefit__code", "month").values_list(
            "county_code", "benefit__code", "month", "line_count", "total_amount"
        )
    )


def _crash_and_run_again(job: Job) -> Job:
    """As if the worker died after the work but before marking the job done: the queue
    delivers it again and the runner runs the handler once more."""
    Job.objects.filter(pk=job.pk).update(status=JobStatus.RUNNING, finished_at=None, result="")
    runner.run_job(job.pk, today=TODAY)
    job.refresh_from_db()
    return job


def test_a_list_generated_as_a_job_run_again_after_a_crash_is_the_same_list(
    county_officer, regions
) -> None:
    _entitled()
    job, started = job_start(
        actor=county_officer,
        kind="workflow.payment_list",
        key="test-list",
        params={"county_code": "150402", "benefit": "living_allowance", "month": "2025-10-01"},
    )
    job.refresh_from_db()
    assert started, job.error
    assert job.status == JobStatus.DONE, job.error
    first, first_result = _lists(), job.result
    lines = PaymentLine.objects.count()
    assert first[0][3] == 3
    assert lines == 3

    again = _crash_and_run_again(job)

    assert again.status == JobStatus.DONE
    assert again.attempts == 2
    assert again.result == first_result
    assert _lists() == first
    assert PaymentLine.objects.count() == lines


def test_the_page_starts_the_job_and_shows_its_progress_while_it_waits(
    client, county_officer, regions, settings
) -> None:
    _entitled(2)
    settings.DPF_JOBS_RUN = "worker"  # queued for a worker that is busy: the page follows it
    client.force_login(county_officer)
    form = {"county_code": "150402", "benefit": "living_allowance", "month": "2025-10"}

    response = client.post(reverse("workflow:payment_lists"), form, follow=True)

    job = Job.objects.get(kind="workflow.payment_list")
    assert job.status == JobStatus.QUEUED
    assert PaymentList.objects.count() == 0
    page = response.content.decode()
    assert "生成作业" in page
    assert "排队中" in page
    assert "红山区" in page
    # a second click while it waits joins the same job
    client.post(reverse("workflow:payment_lists"), form)
    assert Job.objects.filter(kind="workflow.payment_list").count() == 1

    runner.run_job(job.pk, today=TODAY)  # what the worker does

    page = client.get(reverse("workflow:payment_lists")).content.decode()
    assert "已完成" in page
    assert "2 lines" in page
    assert PaymentList.objects.get().line_count == 2


def test_a_failed_generation_shows_its_error_on_the_page(
    client, county_officer, approver, regions, settings
) -> None:
    _entitled(1)
    settings.DPF_JOBS_RUN = "worker"
    client.force_login(county_officer)
    form = {"county_code": "150402", "benefit": "living_allowance", "month": "2025-10"}
    client.post(reverse("workflow:payment_lists"), form)
    job = Job.objects.get(kind="workflow.payment_list")
    # meanwhile another officer generated the same list: the job is refused, in words
    job_start(
        actor=approver,
        kind="workflow.payment_list",
        key="the other officer's",
        params={"county_code": "150402", "benefit": "living_allowance", "month": "2025-10-01"},
    )
    runner.run_job(Job.objects.get(key="the other officer's").pk, today=TODAY)
    runner.run_job(job.pk, today=TODAY)

    job.refresh_from_db()
    assert job.status == JobStatus.FAILED
    assert job.error.startswith("list_exists")
    page = client.get(reverse("workflow:payment_lists")).content.decode()
    assert "失败" in page
    assert "已生成" in page
    assert PaymentList.objects.count() == 1


def test_the_monthly_draft_schedule_drafts_every_county_once(city_admin, regions) -> None:
    _entitled(2)
    schedule = Schedule.objects.get(kind="workflow.payment_lists_draft")
    assert schedule.cadence == "monthly"
    assert schedule.day_of_month == 1
    job, _ = job_start(
        actor=None,
        kind="workflow.payment_lists_draft",
        key="schedule:workflow.payment_lists_draft",
        params={"month": MONTH.isoformat()},
        schedule=schedule,
    )
    job.refresh_from_db()
    assert job.status == JobStatus.DONE, job.error
    drafted = _lists()
    assert [(c, b, n) for c, b, _m, n, _t in drafted] == [("150402", "living_allowance", 2)]
    plist = PaymentList.objects.get()
    assert plist.generated_by is None
    assert plist.status == PaymentList.Status.DRAFT
    assert job.result.endswith("1 drafted, 0 already there")

    again = _crash_and_run_again(job)

    assert again.status == JobStatus.DONE
    assert _lists() == drafted
    assert again.result.endswith("0 drafted, 1 already there")


def test_a_drafted_list_is_approved_by_any_officer_of_the_county(county_officer, regions) -> None:
    from dpf.workflow.services import payment_list_approve, payment_lists_draft

    _entitled(1)
    payment_lists_draft(month=MONTH, today=TODAY)
    plist = PaymentList.objects.get()

    payment_list_approve(actor=county_officer, list_id=plist.pk)

    assert PaymentList.objects.get().status == PaymentList.Status.APPROVED
