"""The monthly risk scan as a job (kind ``social.risk_scan``): the schedule shipped by the
migration, the tick starting it when due, cases opened over the whole city as of the run's
local date, and a second run opening none."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

import pytest

from dpf.core.models import AuditEntry
from dpf.jobs import runner
from dpf.jobs.models import Job, JobStatus, Schedule
from dpf.jobs.services import job_start
from dpf.registry import services as registry
from dpf.registry.models import NeedsSurvey
from dpf.social import monitoring
from dpf.social.models import RiskCase, RiskRule, RiskThreshold
from tests.factories import ensure_test_regions, make_person, make_user

pytestmark = pytest.mark.django_db
SHANGHAI = dt.timezone(dt.timedelta(hours=8))
# 2 June 2026, 05:30 in Chifeng is still 1 June in UTC: the scan's date is the local one.
DUE = dt.datetime(2026, 6, 2, 5, 30, tzinfo=SHANGHAI)
RULE = (
    "alive && certificate.valid && survey.income_per_capita >= 0"
    " && survey.income_per_capita < {monitoring_line}"
)


def _poor(village: str) -> Any:
    person = make_person(village_code=village)
    registry.certificate_issue(
        actor=None,
        person=person,
        category=4,
        level=2,
        issue_date=dt.date(2020, 1, 1),
        today=dt.date(2026, 5, 1),
    )
    NeedsSurvey.objects.create(
        person=person, year=2026, survey_date=dt.date(2026, 3, 1), income_per_capita=Decimal(100)
    )
    return person


@pytest.fixture
def rules() -> None:
    ensure_test_regions()
    RiskRule.objects.all().delete()
    RiskThreshold.objects.all().delete()
    admin = make_user("city_admin", "150400")
    monitoring.threshold_set(
        actor=admin, name="monitoring_line", value="6000", valid_from=dt.date(2025, 1, 1)
    )
    monitoring.rule_save(
        actor=admin,
        code="income_below_line",
        name_zh="家庭人均收入低于监测线",
        text=RULE,
        valid_from=dt.date(2025, 1, 1),
    )


def test_the_monthly_schedule_is_shipped_enabled() -> None:
    schedule = Schedule.objects.get(kind="social.risk_scan")
    assert (schedule.cadence, schedule.day_of_month, schedule.time_of_day) == (
        "monthly",
        2,
        dt.time(5, 30),
    )
    assert schedule.enabled


def test_the_tick_starts_the_scan_when_due_over_the_whole_city(
    rules: None, time_machine: Any
) -> None:
    time_machine.move_to(DUE, tick=False)
    one = _poor("150402001001")
    other = _poor("150404002001")  # another county: the schedule acts for the city
    Schedule.objects.exclude(kind="social.risk_scan").update(enabled=False)
    Schedule.objects.filter(kind="social.risk_scan").update(
        next_run_at=DUE - dt.timedelta(minutes=1)
    )

    assert runner.tick(now=DUE) == 1
    job = Job.objects.get(kind="social.risk_scan")
    assert job.status == JobStatus.DONE, job.error
    assert "1 rules, 2 households found, 2 new cases" in job.result
    cases = RiskCase.objects.order_by("county_code")
    assert [(c.household_id, c.detected_on) for c in cases] == [
        (one.household_id, dt.date(2026, 6, 2)),
        (other.household_id, dt.date(2026, 6, 2)),
    ]
    entry = AuditEntry.objects.filter(object_type="risk_scan").get()
    assert (entry.actor_id, entry.actor_name) == (None, "scheduler")
    schedule = Schedule.objects.get(kind="social.risk_scan")
    assert schedule.next_run_at == dt.datetime(2026, 7, 2, 5, 30, tzinfo=SHANGHAI)
    assert runner.tick(now=DUE + dt.timedelta(minutes=1)) == 0  # not due again this month


def test_a_second_run_opens_no_second_case(rules: None) -> None:
    _poor("150402001001")
    _poor("150402001002")
    on = {"on": "2026-06-02"}
    first, _ = job_start(actor=None, kind="social.risk_scan", key="t:1", params=on)
    second, _ = job_start(actor=None, kind="social.risk_scan", key="t:2", params=on)
    first.refresh_from_db()
    second.refresh_from_db()
    assert first.status == second.status == JobStatus.DONE
    assert "2 new cases, 0 in progress" in first.result
    assert "0 new cases, 2 in progress" in second.result
    assert RiskCase.objects.count() == 2
    # A job killed after its work committed is run again: still two cases.
    Job.objects.filter(pk=second.pk).update(status=JobStatus.RUNNING)
    assert runner.run_job(second.pk, today=dt.date(2026, 6, 2)) == JobStatus.DONE
    assert RiskCase.objects.count() == 2


def test_started_by_an_officer_the_job_scans_the_officer_region(rules: None) -> None:
    _poor("150402001001")
    _poor("150404002001")
    officer = make_user("county_officer", "150402")
    job, _ = job_start(
        actor=officer, kind="social.risk_scan", key="t:officer", params={"on": "2026-06-02"}
    )
    job.refresh_from_db()
    assert job.status == JobStatus.DONE, job.error
    assert list(RiskCase.objects.values_list("county_code", flat=True)) == ["150402"]
