"""The demo's casework and applications by channel (issue 20 parts 3 and 4): one small demo
built with the command's steps (all but the monthly snapshots, which ``dpf kpi`` does not
need), its date passed in, the machine's clock frozen years later.

Checked: ``dpf kpi`` gives T0704, T0604, T0506, T0507 and T0508 as figures counted from the
records (the test counts them again itself); the requests and applications have the shapes
the services write, the services take them up where the demo left them (an open request
closed, an application waiting at its last step approved); the portal accounts the history
used cannot sign in; a second run adds nothing.
"""

from __future__ import annotations

import datetime as dt
import io
import json
from collections.abc import Iterator
from typing import Any

import pytest
import time_machine
from django.core.management import call_command
from django.db import transaction
from django.utils import timezone

from dpf.accounts.models import User
from dpf.accounts.selectors import demo_accounts
from dpf.benefits.models import Entitlement, WorkItem, WorkItemStatus
from dpf.core.roles import Role
from dpf.demo import monthly, services
from dpf.demo.applications import applications
from dpf.demo.casework import casework
from dpf.demo.context import DemoContext
from dpf.demo.management.commands.demo import STEPS
from dpf.portal import casework as portal_casework
from dpf.portal import selectors as portal_selectors
from dpf.portal.models import CitizenAccount, CitizenRequest, RequestEvent, RequestStatus
from dpf.registry.models import Person
from dpf.social.models import SocialOrganisation, Volunteer, VolunteerTeam
from dpf.workflow import services as workflow
from dpf.workflow.models import (
    Application,
    ApplicationItem,
    Channel,
    ItemStatus,
    PaymentLine,
    Transition,
)
from dpf.workflow.procedures import procedures
from tests.factories import make_user

PERSONS = 400
SEED = 5
AS_OF = dt.date(2025, 12, 31)
CLOCK = dt.datetime(2031, 1, 1, 4, 0, tzinfo=dt.UTC)
YEAR_START = dt.date(2025, 1, 1)


@pytest.fixture(scope="module")
def demo(django_db_setup: Any, django_db_blocker: Any) -> Iterator[services.GenerationResult]:
    steps = [step for step in STEPS if step is not monthly.snapshots]
    with django_db_blocker.unblock():
        atomic = transaction.atomic()
        atomic.__enter__()
        try:
            with time_machine.travel(CLOCK, tick=False):
                yield services.demo_generate(persons=PERSONS, seed=SEED, as_of=AS_OF, steps=steps)
        finally:
            transaction.set_rollback(True)
            atomic.__exit__(None, None, None)


pytestmark = pytest.mark.usefixtures("demo", "db")


def kpi() -> dict[str, dict[str, Any]]:
    out = io.StringIO()
    call_command("kpi", "--as-of", AS_OF.isoformat(), "--json", stdout=out)
    return {row["code"]: row for row in json.loads(out.getvalue())["indicators"]}


def local_day(moment: dt.datetime) -> dt.date:
    return timezone.localdate(moment)


def test_kpi_gives_the_casework_and_online_figures_counted_from_the_records() -> None:
    figures = kpi()
    # T0704: first complaints due this year, and of them those closed by their deadline.
    due = [
        (r.due_on, r.closed_at)
        for r in CitizenRequest.objects.filter(kind="complaint", repeat_of__isnull=True)
        if r.due_on is not None and YEAR_START <= r.due_on <= AS_OF
    ]
    in_time = [1 for day, closed in due if closed is not None and local_day(closed) <= day]
    t0704 = figures["T0704"]
    assert (t0704["numerator"], t0704["denominator"]) == (len(in_time), len(due))
    assert 0 < t0704["numerator"] < t0704["denominator"]  # some late or still open
    assert t0704["status"] != "no_data"
    # T0604: benefit items of applications submitted this year, and those online or proactive.
    items = [
        i
        for i in ApplicationItem.objects.select_related("application")
        if i.application.submitted_at is not None
        and YEAR_START <= local_day(i.application.submitted_at) <= AS_OF
    ]
    online = [i for i in items if i.application.channel in (Channel.ONLINE, Channel.PROACTIVE)]
    t0604 = figures["T0604"]
    assert (t0604["numerator"], t0604["denominator"]) == (len(online), len(items))
    assert 0 < t0604["numerator"] < t0604["denominator"]
    assert 40 < float(t0604["value"]) < 95  # plausible: most online, not all
    # The social counts, from their records.
    counts = {
        "T0506": VolunteerTeam.objects.filter(founded_on__lte=AS_OF).count(),
        "T0507": Volunteer.objects.filter(registered_on__lte=AS_OF).count(),
        "T0508": SocialOrganisation.objects.filter(incubated_on__lte=AS_OF).count(),
    }
    for code, n in counts.items():
        assert figures[code]["numerator"] == figures[code]["value"] == n > 0, code
        assert figures[code]["status"] != "no_data"


def test_requests_come_from_every_channel_with_their_deadlines_and_closures() -> None:
    rows = list(CitizenRequest.objects.select_related("repeat_of", "created_by"))
    assert {r.channel for r in rows} == {"portal", "window", "hotline"}
    assert {r.kind for r in rows} == {"complaint", "home_visit", "other"}
    counties = set(Person.objects.filter(certificates__isnull=False).values_list("county_code"))
    assert {(r.county_code,) for r in rows} == counties
    roles = {"portal": Role.CITIZEN, "window": Role.TOWNSHIP_OFFICER}
    roles["hotline"] = Role.COUNTY_OFFICER
    for r in rows:
        received = local_day(r.created_at)
        assert received <= AS_OF
        assert r.created_by.role == roles[r.channel]
        if r.repeat_of is None:
            assert r.due_on == portal_casework.due_on(r.kind, received)
        else:  # linked to the first while it was open, with its deadline
            first = r.repeat_of
            assert (r.person_id, r.kind, r.category) == (
                first.person_id,
                first.kind,
                first.category,
            )
            assert r.due_on == first.due_on
            assert first.created_at < r.created_at
            assert first.closed_at is None or r.created_at < first.closed_at
        if r.status == RequestStatus.CLOSED:
            assert r.reply
            assert r.satisfaction
            assert r.closed_at is not None
            assert r.created_at < r.closed_at
            assert local_day(r.closed_at) <= AS_OF
        else:
            assert r.closed_at is None
            assert not r.satisfaction
        if r.escalation:
            assert r.status != RequestStatus.CLOSED
            assert r.due_on is not None
            assert r.due_on < AS_OF
            assert r.escalated_at is not None
            assert local_day(r.escalated_at) <= AS_OF
    assert any(r.repeat_of_id for r in rows)
    late = [r for r in rows if r.closed_at and r.due_on and local_day(r.closed_at) > r.due_on]
    assert late
    # The history of each request, in order, ending in its status.
    for r in rows:
        events = list(RequestEvent.objects.filter(request=r).order_by("at", "id"))
        assert events[0].from_status == ""
        assert events[0].actor_id == r.created_by_id
        assert [e.at for e in events] == sorted(e.at for e in events)
        assert events[-1].to_status == r.status
        assert local_day(events[-1].at) <= AS_OF


def test_the_escalated_requests_are_counted_in_the_queues() -> None:
    escalated = CitizenRequest.objects.exclude(escalation="")
    assert escalated.exists()
    # The escalation the daily job would make on the demo's date: already made.
    assert portal_casework.escalate_overdue(on=AS_OF) == (0, 0)
    city = make_user("city_admin", "150400")
    assert portal_selectors.escalated_count(city) == escalated.filter(escalation="city").count()
    overdue = portal_selectors.overdue_counts(city, AS_OF)
    assert sum(o.count for o in overdue) >= escalated.count()


def test_the_services_close_an_open_request_of_the_demo() -> None:
    request = CitizenRequest.objects.exclude(status=RequestStatus.CLOSED).first()
    assert request is not None
    officer = make_user("township_officer", request.township_code)
    now = timezone.make_aware(dt.datetime.combine(AS_OF, dt.time(17, 0)))
    closed = portal_casework.request_act(
        actor=officer,
        request_id=request.pk,
        action="close",
        note="已电话答复。",
        satisfaction="satisfied",
        now=now,
    )
    assert closed.status == RequestStatus.CLOSED


def test_applications_by_channel_in_the_services_shape() -> None:
    apps = list(Application.objects.select_related("created_by", "work_item"))
    channels = {a.channel for a in apps}
    assert {"online", "proactive", "window"} <= channels
    accounts = dict(CitizenAccount.objects.values_list("user_id", "person_id"))
    for a in apps:
        assert a.application_date is not None
        assert a.application_date <= AS_OF
        if a.channel == Channel.ONLINE:  # by the person's own portal account
            assert accounts[a.created_by_id] == a.person_id
        if a.channel == Channel.PROACTIVE:  # the scan's proposal, confirmed with consent
            assert a.work_item is not None
            assert a.work_item.status == WorkItemStatus.DONE
            assert a.consent_at == a.submitted_at
            assert a.consent_method
            assert a.created_by.role == Role.VILLAGE_WORKER
            assert a.submitted_at is not None
            assert a.created_at < a.submitted_at
    items = ApplicationItem.objects.select_related("application", "entitlement")
    for item in items.filter(status=ItemStatus.APPROVED):
        assert item.entitlement is not None
        day = item.application.application_date
        assert day is not None
        assert item.entitlement.valid_from == day.replace(day=1)
        assert item.decided_at is not None
        assert local_day(item.decided_at) <= AS_OF
    assert items.filter(status=ItemStatus.REJECTED).exists()
    assert items.filter(status=ItemStatus.IN_PROGRESS).exists()
    assert not Transition.objects.filter(on_date__gt=AS_OF).exists()
    proposed = Transition.objects.filter(to_step="proposed").values_list("item_id", flat=True)
    confirmed = Transition.objects.filter(from_step="proposed", to_step="window")
    assert set(proposed) == set(confirmed.values_list("item_id", flat=True))
    assert not WorkItem.objects.filter(closed_at__date__gt=AS_OF).exists()


def test_the_payment_lists_pay_no_arrears_for_the_history_s_approved_periods() -> None:
    # The demo records no payments before its last quarter's lists: were a period linked to
    # its approval before the lists were made, each would be paid up to 24 months again.
    linked = ApplicationItem.objects.filter(entitlement__source="demo:history")
    assert linked.exists()
    lines = PaymentLine.objects.filter(entitlement__in=linked.values("entitlement"))
    assert lines.exists()
    assert not lines.filter(arrears_months__gt=0).exists()


def test_the_services_approve_an_application_waiting_at_its_last_step() -> None:
    item = (
        ApplicationItem.objects.filter(status=ItemStatus.IN_PROGRESS, step_code="civil_affairs")
        .select_related("application", "benefit")
        .first()
    )
    assert item is not None
    step = procedures().step(item.benefit.code, item.step_code)
    assert step is not None
    officer = make_user(step.role, item.county_code)
    now = timezone.make_aware(dt.datetime.combine(AS_OF, dt.time(17, 0)))
    decided = workflow.item_decide(
        actor=officer,
        item_id=item.pk,
        expected_step=item.step_code,
        decision=workflow.ADVANCE,
        waiver_reason="原件已核验",
        today=AS_OF,
        now=now,
    )
    assert decided.status == ItemStatus.APPROVED
    assert decided.entitlement is not None
    entitlement = Entitlement.objects.get(application_item=decided)
    assert entitlement.person_id == item.application.person_id
    applied = item.application.application_date
    assert applied is not None
    assert entitlement.valid_from == applied.replace(day=1)


def test_the_portal_accounts_of_the_history_cannot_sign_in() -> None:
    users = User.objects.filter(username__startswith="demo_portal_")
    assert users.exists()
    for user in users:
        assert user.role == Role.CITIZEN
        assert user.demo
        assert not user.is_active
        assert not user.has_usable_password()
        assert local_day(user.date_joined) <= AS_OF
    assert not {row.username for row in demo_accounts()} & set(
        users.values_list("username", flat=True)
    )
    for account in CitizenAccount.objects.filter(user__in=users):
        assert local_day(account.created_at) <= AS_OF


def test_a_second_run_adds_nothing() -> None:
    tables = (User, CitizenAccount, CitizenRequest, RequestEvent, Application)
    tables += (ApplicationItem, Transition, WorkItem)  # type: ignore[assignment]
    before = [m.objects.count() for m in tables]
    ctx = DemoContext(seed=SEED, as_of=AS_OF)
    with time_machine.travel(CLOCK, tick=False):
        applications(ctx)
        casework(ctx)
    assert [m.objects.count() for m in tables] == before
