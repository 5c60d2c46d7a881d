"""Overdue requests escalated by the daily job: to the county the day after the deadline,
to the city 15 days later; the county's and the city's queues show the count. Run again,
the job changes nothing more (issue 22 part 2)."""

from __future__ import annotations

import datetime as dt

import pytest
from django.urls import reverse

from dpf.jobs import runner
from dpf.jobs.models import Job, JobStatus, Schedule
from dpf.jobs.services import job_start
from dpf.portal import casework
from dpf.portal.models import CitizenRequest
from tests.factories import make_user
from tests.portal.conftest import certified, citizen_for, client_for
from tests.portal.test_casework import close, submit

pytestmark = pytest.mark.django_db


def _escalate(on: dt.date) -> Job:
    job, _ = job_start(
        actor=None,
        kind="portal.casework_escalation",
        key=f"test-escalation-{on}",
        params={"on": on.isoformat()},
    )
    job.refresh_from_db()
    assert job.status == JobStatus.DONE, job.error
    return job


def _state() -> list[tuple]:
    return list(
        CitizenRequest.objects.order_by("pk").values_list("pk", "escalation", "escalated_at")
    )


def test_overdue_requests_go_to_the_county_then_the_city_and_the_queues_count_them(
    person, citizen, regions, time_machine
) -> None:
    time_machine.move_to(dt.datetime(2025, 9, 9, 7, tzinfo=dt.UTC), tick=False)
    assert Schedule.objects.get(kind="portal.casework_escalation").cadence == "daily"
    elsewhere = certified(name="赵丽", village="150404002001")
    late = submit(citizen, person, dt.date(2025, 9, 1), kind="other")  # due 2025-09-08
    submit(citizen_for(elsewhere), elsewhere, dt.date(2025, 9, 1), kind="other")
    closed = submit(citizen, person, dt.date(2025, 9, 1), kind="other", category="rights")
    close(make_user("township_officer", "150402001"), closed, dt.date(2025, 9, 5))
    on_time = submit(citizen, person, dt.date(2025, 9, 8), kind="complaint")

    job = _escalate(dt.date(2025, 9, 9))

    assert job.result.endswith("2 to the county, 0 to the city")
    levels = dict(CitizenRequest.objects.values_list("pk", "escalation"))
    assert levels[late.pk] == "county"
    assert levels[closed.pk] == ""
    assert levels[on_time.pk] == ""
    county = make_user("county_officer", "150402")
    page = client_for(county).get(reverse("portal:staff_requests")).content.decode()
    assert "已升级至旗县区：1 件" in page
    # Run again after a crash (the worker died before marking it done): nothing more changes.
    before = _state()
    Job.objects.filter(pk=job.pk).update(status=JobStatus.RUNNING, finished_at=None)
    runner.run_job(job.pk)
    job.refresh_from_db()
    assert job.status == JobStatus.DONE
    assert job.result.endswith("0 to the county, 0 to the city")
    assert _state() == before

    # 15 days past the deadline: the city's attention.
    _escalate(dt.date(2025, 9, 24))

    assert CitizenRequest.objects.filter(escalation="city").count() == 2
    city = make_user("city_admin", "150400")
    page = client_for(city).get(reverse("portal:staff_requests")).content.decode()
    assert "已升级至市：2 件" in page


def test_escalation_on_the_deadline_day_escalates_nothing(person, citizen, regions) -> None:
    submit(citizen, person, dt.date(2025, 9, 1), kind="other")  # due 2025-09-08

    assert casework.escalate_overdue(on=dt.date(2025, 9, 8)) == (0, 0)
    assert not CitizenRequest.objects.exclude(escalation="").exists()
