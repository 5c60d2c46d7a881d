"""Schedules as data: the city admin's page, an invalid time refused in both languages with
nothing written, the tick starting what is due, a failed run shown and retried."""

from __future__ import annotations

import datetime as dt

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from dpf.core.errors import ValidationFailed
from dpf.jobs import runner, services
from dpf.jobs.models import Job, JobStatus, Schedule
from dpf.jobs.schedule import next_run

pytestmark = pytest.mark.django_db

SHANGHAI = dt.timezone(dt.timedelta(hours=8))
NOW = dt.datetime(2026, 3, 10, 12, 0, tzinfo=SHANGHAI)


@pytest.mark.parametrize("text", ["24:00", "7:5", "12:60", "noon", "", "02:30:00", "０２:３０"])
def test_an_invalid_time_is_refused_in_both_languages_and_nothing_changes(city_admin, text) -> None:
    schedule = Schedule.objects.get(kind="benefits.scan")
    with pytest.raises(ValidationFailed) as refused:
        services.schedule_update(
            actor=city_admin, schedule=schedule, time_of_day=text, day_of_month=None, enabled=True
        )
    assert refused.value.code == "schedule_time_invalid"
    assert refused.value.field == "time_of_day"
    assert "时:分" in refused.value.message_zh
    assert "HH:MM" not in refused.value.message_en
    assert "between 00:00 and 23:59" in refused.value.message_en
    schedule.refresh_from_db()
    assert schedule.time_of_day == dt.time(2, 0)


@pytest.mark.parametrize("day", [None, 0, 29, 31])
def test_a_monthly_day_outside_1_to_28_is_refused(city_admin, day) -> None:
    schedule = Schedule.objects.get(kind="indicators.snapshot")
    with pytest.raises(ValidationFailed) as refused:
        services.schedule_update(
            actor=city_admin, schedule=schedule, time_of_day="03:00", day_of_month=day, enabled=True
        )
    assert refused.value.code == "schedule_day_invalid"
    schedule.refresh_from_db()
    assert schedule.day_of_month == 1


def test_the_form_shows_the_refusal_next_to_the_field(client, city_admin) -> None:
    client.force_login(city_admin)
    url = reverse("jobs:schedule_edit", args=["benefits.scan"])
    response = client.post(url, {"time_of_day": "25:00", "enabled": "on"})
    assert response.status_code == 400
    assert "00:00 至 23:59" in response.content.decode()
    client.cookies["django_language"] = "en"
    response = client.post(
        url, {"time_of_day": "25:00", "enabled": "on"}, HTTP_ACCEPT_LANGUAGE="en"
    )
    assert response.status_code == 400


def test_a_valid_change_is_saved_audited_and_moves_the_next_run(city_admin) -> None:
    schedule = Schedule.objects.get(kind="indicators.snapshot")
    services.schedule_update(
        actor=city_admin,
        schedule=schedule,
        time_of_day="05:15",
        day_of_month=3,
        enabled=True,
        now=NOW,
    )
    schedule.refresh_from_db()
    assert (schedule.time_of_day, schedule.day_of_month) == (dt.time(5, 15), 3)
    assert schedule.next_run_at == dt.datetime(2026, 4, 3, 5, 15, tzinfo=SHANGHAI)
    from dpf.core.models import AuditEntry

    assert AuditEntry.objects.filter(object_type="schedule", action="change").count() == 1


def test_next_run_daily_and_monthly_in_local_time() -> None:
    daily = Schedule(kind="x", cadence="daily", time_of_day=dt.time(2, 0))
    assert next_run(daily, NOW) == dt.datetime(2026, 3, 11, 2, 0, tzinfo=SHANGHAI)
    early = dt.datetime(2026, 3, 10, 1, 0, tzinfo=SHANGHAI)
    assert next_run(daily, early) == dt.datetime(2026, 3, 10, 2, 0, tzinfo=SHANGHAI)
    monthly = Schedule(kind="y", cadence="monthly", day_of_month=28, time_of_day=dt.time(3, 0))
    leap = dt.datetime(2028, 2, 28, 4, 0, tzinfo=SHANGHAI)
    assert next_run(monthly, leap) == dt.datetime(2028, 3, 28, 3, 0, tzinfo=SHANGHAI)


def test_the_tick_starts_what_is_due_once_and_moves_its_next_run(settings) -> None:
    settings.DPF_JOBS_RUN = "worker"  # queued only: the tick's own bookkeeping is under test
    Schedule.objects.exclude(kind="benefits.scan").update(enabled=False)
    Schedule.objects.filter(kind="benefits.scan").update(next_run_at=NOW - dt.timedelta(minutes=1))

    assert runner.tick(now=NOW) == 1
    assert runner.tick(now=NOW) == 0  # not due any more

    job = Job.objects.get()
    assert job.kind == "benefits.scan"
    assert job.schedule is not None
    schedule = Schedule.objects.get(kind="benefits.scan")
    assert schedule.next_run_at == dt.datetime(2026, 3, 11, 2, 0, tzinfo=SHANGHAI)
    assert schedule.last_job == job


def _failed_run(schedule: Schedule, finished: dt.datetime) -> Job:
    job = Job.objects.create(
        kind=schedule.kind,
        key=f"schedule:{schedule.kind}",
        schedule=schedule,
        status=JobStatus.FAILED,
        error="OperationalError",
        created_at=finished,
        finished_at=finished,
    )
    Schedule.objects.filter(pk=schedule.pk).update(last_job=job)
    return job


def test_a_failed_run_is_retried_after_its_pause_up_to_the_limit(settings) -> None:
    settings.DPF_JOBS_RUN = "worker"
    Schedule.objects.exclude(kind="benefits.scan").update(enabled=False)
    schedule = Schedule.objects.get(kind="benefits.scan")
    Schedule.objects.filter(pk=schedule.pk).update(next_run_at=NOW + dt.timedelta(hours=10))
    _failed_run(schedule, NOW - dt.timedelta(minutes=5))

    assert runner.tick(now=NOW) == 0  # 15 minutes between attempts
    assert runner.tick(now=NOW + dt.timedelta(minutes=11)) == 1
    retry = Job.objects.filter(status=JobStatus.QUEUED).get()
    assert retry.schedule_id == schedule.pk

    # Three failures in a row: no fourth attempt until the next scheduled run.
    Job.objects.filter(pk=retry.pk).update(status=JobStatus.FAILED, finished_at=NOW)
    _failed_run(Schedule.objects.get(pk=schedule.pk), NOW + dt.timedelta(minutes=1))
    assert runner.tick(now=NOW + dt.timedelta(hours=2)) == 0


def test_a_failed_run_shows_on_the_city_admin_s_pages_only(
    client, city_admin, county_officer
) -> None:
    schedule = Schedule.objects.get(kind="core.audit_checkpoint")
    _failed_run(schedule, NOW)
    client.force_login(city_admin)
    page = client.get(reverse("registry:search")).content.decode()
    assert "审计日志校验点" in page
    assert "将自动重试" in page
    client.force_login(county_officer)
    assert "将自动重试" not in client.get(reverse("registry:search")).content.decode()


def test_the_schedules_page_lists_every_schedule_in_a_fixed_number_of_queries(
    client, city_admin
) -> None:
    client.force_login(city_admin)
    url = reverse("jobs:schedules")
    client.get(url)
    with CaptureQueriesContext(connection) as few:
        client.get(url)
    for schedule in Schedule.objects.all():
        _failed_run(schedule, NOW)
    with CaptureQueriesContext(connection) as many:
        response = client.get(url)
    assert response.status_code == 200
    assert len(many) == len(few)
    text = response.content.decode()
    for label in ("主动发现扫描", "月度指标快照", "审计日志校验点", "清理过期的频率限制记录"):
        assert label in text


def test_run_now_from_the_page_shows_the_job(client, city_admin) -> None:
    client.force_login(city_admin)
    response = client.post(reverse("jobs:schedule_run", args=["portal.rate_event_retention"]))
    job = Job.objects.get()
    assert response.status_code == 302
    assert response["Location"] == reverse("jobs:job", args=[job.pk])
    page = client.get(response["Location"]).content.decode()
    assert 'data-status="done"' in page
    assert "rate events" in page


def test_other_roles_cannot_see_or_run_schedules(client, county_officer) -> None:
    client.force_login(county_officer)
    assert client.get(reverse("jobs:schedules")).status_code == 404
    url = reverse("jobs:schedule_run", args=["benefits.scan"])
    assert client.post(url).status_code == 404
    assert not Job.objects.exists()
