"""The transition at 8 (issue 18 part 4): the daily job ends a child's rehabilitation
assistance the day before the 8th birthday (never earlier than the day before it runs, so a
past day's figure stays as it was) and opens the hand-over, which an adult plan or a note
closes. Dates are passed in, never read from the clock."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from dpf.accounts.permissions import PermissionRefused
from dpf.benefits.models import BenefitItem, Entitlement, EntitlementStatus
from dpf.benefits.services.entitlements import entitlement_create
from dpf.core.errors import ValidationFailed
from dpf.indicators import compute
from dpf.indicators.models import Plan
from dpf.jobs.models import Job, JobStatus, Schedule
from dpf.jobs.services import job_start
from dpf.registry import services as registry
from dpf.registry.models import NeedsSurvey
from dpf.services import child_rehab, services
from dpf.services.models import ChildTransition
from dpf.workflow.models import EntitlementEvent
from tests.factories import make_person, make_user
from tests.services.conftest import Rehab

pytestmark = pytest.mark.django_db

BIRTH = dt.date(2017, 6, 15)
EIGHTH = dt.date(2025, 6, 15)


def _child(name: str = "小转", birth: dt.date = BIRTH, village: str = "150402001001"):
    person = make_person(name=name, birth=birth, village_code=village)
    registry.certificate_issue(
        actor=None, person=person, category=4, level=2, issue_date=dt.date(2023, 6, 1)
    )
    NeedsSurvey.objects.create(
        person=person, year=2025, survey_date=dt.date(2025, 2, 1), rehab_need=True
    )
    return person


def _approve(person, valid_to: dt.date | None = None) -> Entitlement:
    return entitlement_create(
        actor=None,
        person=person,
        benefit=BenefitItem.objects.get(code="child_rehab"),
        valid_from=dt.date(2025, 1, 1),
        valid_to=valid_to,
        monthly_amount=Decimal("1500.00"),
    )


def _t0303_served(on: dt.date) -> Decimal:
    plan = Plan.objects.get(code="P14")
    row = next(
        r
        for r in compute.compute(plan, on)
        if r.indicator.code == "T0303" and r.region_code == "150402"
    )
    return row.numerator or Decimal(0)


def test_the_assistance_ends_the_day_before_the_eighth_birthday(regions) -> None:
    child = _child()
    entitlement = _approve(child)
    assert child_rehab.child_rehab_transition(today=EIGHTH - dt.timedelta(days=1)) == (
        child_rehab.TransitionRun(0, 0)
    )
    before = _t0303_served(EIGHTH - dt.timedelta(days=1))
    assert before == 1
    run = child_rehab.child_rehab_transition(today=EIGHTH)
    assert run == child_rehab.TransitionRun(ended=1, opened=1)
    entitlement.refresh_from_db()
    assert (entitlement.valid_to, entitlement.status) == (
        EIGHTH - dt.timedelta(days=1),
        EntitlementStatus.TERMINATED,
    )
    event = EntitlementEvent.objects.get(entitlement=entitlement, kind="terminated")
    assert (event.on, event.reason_code, event.actor_id) == (EIGHTH, "not_eligible", None)
    assert event.source == child_rehab.TRANSITION_SOURCE
    # The day before the birthday reads as it did; the birthday no longer counts.
    assert _t0303_served(EIGHTH - dt.timedelta(days=1)) == before
    assert not Entitlement.objects.filter(Entitlement.as_of_q(EIGHTH), person=child).exists()
    handover = ChildTransition.objects.get()
    assert (handover.person, handover.entitlement, handover.turned_eight_on) == (
        child,
        entitlement,
        EIGHTH,
    )
    assert handover.county_code == "150402"
    assert handover.handed_over_on is None
    # Run again: nothing more.
    assert child_rehab.child_rehab_transition(today=EIGHTH) == child_rehab.TransitionRun(0, 0)
    assert EntitlementEvent.objects.filter(kind="terminated").count() == 1


def test_a_late_run_never_shortens_a_period_into_the_past(regions) -> None:
    child = _child()
    entitlement = _approve(child)
    late = dt.date(2025, 7, 1)
    served_meanwhile = Entitlement.objects.filter(
        Entitlement.as_of_q(dt.date(2025, 6, 20)), person=child
    ).count()
    run = child_rehab.child_rehab_transition(today=late)
    assert run == child_rehab.TransitionRun(ended=1, opened=1)
    entitlement.refresh_from_db()
    assert entitlement.valid_to == late - dt.timedelta(days=1)
    assert (
        Entitlement.objects.filter(Entitlement.as_of_q(dt.date(2025, 6, 20)), person=child).count()
        == served_meanwhile
        == 1
    )


def test_a_period_with_a_fixed_end_at_eight_opens_the_hand_over_only(regions) -> None:
    child = _child()
    entitlement = _approve(child, valid_to=EIGHTH - dt.timedelta(days=1))
    assert child_rehab.child_rehab_transition(today=EIGHTH) == child_rehab.TransitionRun(0, 1)
    entitlement.refresh_from_db()
    assert entitlement.status == EntitlementStatus.ACTIVE  # its fixed end stands
    assert ChildTransition.objects.get().entitlement == entitlement


def test_a_child_whose_assistance_ended_before_eight_is_not_handed_over(regions) -> None:
    child = _child()
    _approve(child, valid_to=dt.date(2025, 3, 31))
    assert child_rehab.child_rehab_transition(today=EIGHTH) == child_rehab.TransitionRun(0, 0)


def test_the_job_is_scheduled_daily_and_runs_for_the_day_given(regions) -> None:
    schedule = Schedule.objects.get(kind="services.child_rehab_transition")
    assert schedule.cadence == "daily"
    _approve(_child())
    job, _started = job_start(
        actor=None, kind="services.child_rehab_transition", key="t", params={"on": "2025-06-15"}
    )
    job = Job.objects.get(pk=job.pk)
    assert job.status == JobStatus.DONE, job.error
    assert job.result == "2025-06-15: 1 child assistance periods ended at 8, 1 hand-overs opened"


def test_an_adult_plan_completes_the_hand_over(rehab: Rehab) -> None:
    child = _child()
    _approve(child)
    child_rehab.child_rehab_transition(today=EIGHTH)
    plan = services.rehab_plan_create(
        actor=rehab.officer,
        person_id=child.pk,
        institution_id=rehab.ours.pk,
        kind="training",
        start=dt.date(2025, 7, 1),
        end=dt.date(2025, 12, 31),
        planned_sessions=20,
    )
    handover = ChildTransition.objects.get()
    assert (handover.handed_over_on, handover.plan) == (dt.date(2025, 7, 1), plan)


def test_a_hand_over_closed_with_a_note(regions) -> None:
    officer = make_user("county_officer", "150402")
    _approve(_child())
    child_rehab.child_rehab_transition(today=EIGHTH)
    handover = ChildTransition.objects.get()

    def close(actor, **kw):
        values: dict[str, Any] = {"closed_on": dt.date(2025, 7, 1), "note": "复评无康复需求"}
        values |= kw
        return child_rehab.child_transition_close(
            actor=actor, transition_id=handover.pk, today=dt.date(2025, 7, 2), **values
        )

    with pytest.raises(PermissionRefused):
        close(make_user("township_officer", "150402001"))
    with pytest.raises(PermissionRefused):
        close(make_user("county_officer", "150404"))
    for changes, code in (
        ({"closed_on": dt.date(2025, 6, 1)}, "transition_before_birthday"),
        ({"closed_on": dt.date(2025, 7, 3)}, "date_in_future"),
        ({"note": " "}, "required"),
    ):
        with pytest.raises(ValidationFailed) as info:
            close(officer, **changes)
        assert info.value.code == code
        assert info.value.message_en
    handover.refresh_from_db()
    assert handover.handed_over_on is None
    close(officer)
    handover.refresh_from_db()
    assert (handover.handed_over_on, handover.note) == (dt.date(2025, 7, 1), "复评无康复需求")
    with pytest.raises(ValidationFailed) as info:
        close(officer)
    assert info.value.code == "transition_closed"


def test_the_hand_over_list_in_constant_queries_and_the_page(regions) -> None:
    officer = make_user("county_officer", "150402")
    _approve(_child("小一"))
    child_rehab.child_rehab_transition(today=EIGHTH)
    client = Client()
    client.force_login(officer)
    url = reverse("services:child_transitions")
    client.get(url)
    with CaptureQueriesContext(connection) as few:
        page = client.get(url).content.decode()
    assert "小一" in page
    for n in range(4):
        _approve(_child(f"小多{n}", birth=dt.date(2017, 6, 20 + n)))
    child_rehab.child_rehab_transition(today=dt.date(2025, 6, 30))
    with CaptureQueriesContext(connection) as many:
        page = client.get(url).content.decode()
    assert "小多3" in page
    assert len(many) == len(few)
    handover = ChildTransition.objects.get(person__name="小一")
    detail = reverse("services:child_transition", args=[handover.pk])
    assert "制定康复服务计划" in client.get(detail).content.decode()
    stranger = Client()
    stranger.force_login(make_user("county_officer", "150404"))
    assert stranger.get(detail).status_code == 404
    done = client.post(detail, {"t-closed_on": "2025-07-01", "t-note": "随家庭迁往外省"})
    assert done.status_code == 302
    assert "随家庭迁往外省" in client.get(url + "?done=1").content.decode()
