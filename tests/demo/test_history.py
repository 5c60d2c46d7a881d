"""The demo's history (issue 15 part 9): one small demo built with the command's steps,
its date passed in, the machine's clock frozen years later (the history must not read it).

Checked: allowance periods that never overlap and end as the services end them,
applications taken through the approval chain by the right officers, approved payment
lists whose lines are the payable entitlements, a monthly snapshot series from January
2021 to the demo's date whose coverage figures move, and a dashboard showing figures.
"""

from __future__ import annotations

import datetime as dt
import io
import itertools
from collections import defaultdict
from collections.abc import Iterator
from typing import Any

import pytest
import time_machine
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import transaction
from django.db.models import Q
from django.urls import reverse

from dpf.accounts.backends import DEMO_PASSWORD
from dpf.accounts.models import User
from dpf.accounts.selectors import demo_accounts
from dpf.benefits.models import Entitlement, EntitlementStatus
from dpf.core.errors import ValidationFailed
from dpf.core.models import AuditEntry, EffectiveDated
from dpf.demo import services
from dpf.demo.history import plan_periods
from dpf.demo.management.commands.demo import STEPS
from dpf.demo.monthly import PAYMENT_MONTHS
from dpf.indicators import refresh
from dpf.indicators.models import Plan, Snapshot, SnapshotRun
from dpf.indicators.refresh import roll_forward
from dpf.indicators.services import month_ends
from dpf.registry.models import Person
from dpf.workflow.models import (
    Application,
    ApplicationItem,
    EntitlementEvent,
    ItemStatus,
    PaymentLine,
    PaymentList,
    Transition,
)
from dpf.workflow.services.payments import payable_entitlements
from tests.factories import make_user
from tests.indicators.test_refresh import stored
from tests.indicators.test_roll_forward import computed_on

PERSONS = 400
SEED = 11
AS_OF = dt.date(2022, 12, 31)
# The machine's clock during generation: years after the demo's date.
CLOCK = dt.datetime(2031, 1, 1, 4, 0, tzinfo=dt.UTC)


# The month ends whose snapshot the generation rolled forward from the month before
# (``refresh.roll_forward`` returned a run) rather than computed in full.
ROLLED: list[dt.date] = []


@pytest.fixture(scope="module")
def demo(django_db_setup: Any, django_db_blocker: Any) -> Iterator[services.GenerationResult]:
    def rolling(**kwargs: Any) -> SnapshotRun | None:
        run = roll_forward(**kwargs)
        if run is not None:
            ROLLED.append(run.as_of)
        return run

    with django_db_blocker.unblock(), pytest.MonkeyPatch.context() as patch:
        patch.setattr(refresh, "roll_forward", rolling)
        atomic = transaction.atomic()
        atomic.__enter__()
        try:
            with time_machine.travel(CLOCK, tick=False):
                yield services.demo_generate(persons=PERSONS, seed=SEED, as_of=AS_OF, steps=STEPS)
        finally:
            transaction.set_rollback(True)
            atomic.__exit__(None, None, None)


pytestmark = pytest.mark.usefixtures("demo", "db")


def test_the_run_reports_the_history_it_wrote(demo: services.GenerationResult) -> None:
    assert demo.as_of == AS_OF
    # the allowance history and the care placements' subsidies are bulk-written
    # (applications through the workflow are not counted among the rows)
    bulk = Q(source="demo:history") | Q(source__startswith="care_placement:")
    assert demo.rows["benefits_entitlement"] == Entitlement.objects.filter(bulk).count()
    assert demo.rows["workflow_paymentlist"] > 0
    assert demo.rows["indicators_snapshotrun"] == len(month_ends(dt.date(2021, 1, 1), AS_OF))
    assert AuditEntry.objects.filter(object_type="demo_entitlements").count() == 1


def test_both_allowances_with_suspensions_and_terminations() -> None:
    rows = Entitlement.objects.values_list("benefit__code", "status")
    kinds = {(code, status) for code, status in rows}
    for code in ("living_allowance", "nursing_allowance"):
        assert (code, EntitlementStatus.ACTIVE) in kinds
        assert (code, EntitlementStatus.TERMINATED) in kinds
    assert any(status == EntitlementStatus.SUSPENDED for _, status in kinds)
    # A suspended or terminated period is closed (its last day), as the services close it.
    assert (
        not Entitlement.objects.exclude(status=EntitlementStatus.ACTIVE)
        .filter(valid_to__isnull=True)
        .exists()
    )
    assert not Entitlement.objects.filter(valid_from__gt=AS_OF).exists()
    # (a care placement's subsidy is granted to the placement's planned end, a decided period)
    assert (
        not Entitlement.objects.filter(valid_to__gt=AS_OF)
        .exclude(source__startswith="care_placement:")
        .exists()
    )


def test_periods_of_one_person_and_benefit_never_overlap() -> None:
    spans: dict[tuple[int, int], list[tuple[dt.date, dt.date]]] = defaultdict(list)
    for person, benefit, start, end in Entitlement.objects.values_list(
        "person_id", "benefit_id", "valid_from", "valid_to"
    ):
        spans[person, benefit].append((start, end or dt.date.max))
    assert spans
    for key, rows in spans.items():
        rows.sort()
        for (_, end), (start, _) in itertools.pairwise(rows):
            assert start > end, f"overlapping periods for {key}"


def test_every_period_has_its_events_and_a_resumption_points_back() -> None:
    events = EntitlementEvent.objects.values_list("entitlement_id", "kind")
    kinds: dict[int, set[str]] = defaultdict(set)
    for entitlement, kind in events:
        kinds[entitlement].add(kind)
    for pk, status in Entitlement.objects.values_list("pk", "status"):
        assert kinds[pk] & {"created", "resumed"}, pk
        if status == EntitlementStatus.SUSPENDED:
            assert "suspended" in kinds[pk]
        if status == EntitlementStatus.TERMINATED:
            assert "terminated" in kinds[pk]
    resumed = EntitlementEvent.objects.filter(kind="resumed").select_related("previous")
    assert resumed.exists()
    for event in resumed:
        assert event.previous is not None
        assert event.previous.status == EntitlementStatus.SUSPENDED
        assert event.previous.person_id == event.entitlement.person_id
        assert event.previous.valid_to is not None
        assert event.previous.valid_to < event.on
    # A death ends a period only for a person who died.
    for event in EntitlementEvent.objects.filter(reason_code="death").select_related("person"):
        assert event.person.death_date is not None


def test_no_one_dead_starts_a_period_and_periods_need_a_certificate() -> None:
    for start, death in Entitlement.objects.values_list("valid_from", "person__death_date"):
        assert death is None or start <= death
    assert not Entitlement.objects.filter(person__certificates__isnull=True).exists()


def test_applications_went_through_the_approval_chain() -> None:
    items = ApplicationItem.objects.select_related("application", "entitlement")
    approved = [i for i in items if i.status == ItemStatus.APPROVED]
    assert len(approved) >= 10
    for item in approved:
        day = item.application.application_date
        assert item.entitlement is not None
        assert day is not None
        assert item.entitlement.valid_from == day.replace(day=1)
        steps = list(
            Transition.objects.filter(item=item)
            .order_by("pk")
            .values_list("from_step", "to_step", "actor__role")
        )
        if steps[0][1] == "proposed":  # a proactive proposal, confirmed by the village
            assert steps[1] == ("proposed", "window", "village_worker")
        else:
            assert steps[0][1] == "window"
        assert steps[-1][1] == ""
        # Each step decided by the role its procedure names.
        assert ("window", "township_report", "township_officer") in steps
        assert ("civil_affairs", "", "county_officer") in steps
    # Some were rejected at the county, appealed, and overturned by the city.
    actions = set(Transition.objects.values_list("action", "actor__role"))
    assert ("reject", "county_officer") in actions
    assert ("overturn", "city_admin") in actions
    # Dated in the history, never on the machine's clock.
    assert Application.objects.filter(application_date__gte=dt.date(2021, 1, 1)).exists()
    assert not Application.objects.filter(application_date__gt=AS_OF).exists()
    assert not Transition.objects.filter(on_date__gt=AS_OF).exists()


def test_journeys_suspend_resume_and_terminate_through_the_services() -> None:
    sources = set(
        EntitlementEvent.objects.exclude(source="demo:history").values_list("kind", flat=True)
    )
    assert {"created", "suspended", "resumed"} <= sources


def test_the_clerks_who_recorded_the_history_cannot_sign_in_and_are_not_listed(
    client: Any, settings: Any
) -> None:
    settings.DPF_DEMO = True
    clerks = User.objects.filter(username__startswith="demo_clerk_")
    assert {u.role for u in clerks} >= {"township_officer", "county_officer", "city_admin"}
    for user in clerks:
        assert user.demo
        assert not user.is_active
        assert not user.has_usable_password()
    listed = {row.username for row in demo_accounts()}
    assert not any(name.startswith("demo_clerk_") for name in listed)
    page = client.get(reverse("accounts:login")).content.decode()
    assert "demo_clerk_" not in page
    clerk = clerks.first()
    assert clerk is not None
    refused = client.post(
        reverse("accounts:login"), {"username": clerk.username, "password": DEMO_PASSWORD}
    )
    assert refused.status_code == 200
    assert "_auth_user_id" not in client.session


def test_payment_lists_of_the_last_months_are_approved_and_complete() -> None:
    months = sorted(set(PaymentList.objects.values_list("month", flat=True)))
    assert len(months) == PAYMENT_MONTHS
    assert months[-1] == AS_OF.replace(day=1)
    assert not PaymentList.objects.exclude(status=PaymentList.Status.APPROVED).exists()
    first = PaymentList.objects.filter(month=months[0]).select_related("benefit")
    lines = 0
    for plist in first:
        # The list holds every entitlement of the county in force on the month's 1st, of
        # persons alive then, and nothing is left unpaid.
        in_force = Entitlement.objects.filter(
            EffectiveDated.as_of_q(plist.month),
            Q(person__death_date__isnull=True) | Q(person__death_date__gte=plist.month),
            benefit=plist.benefit,
            person__county_code=plist.county_code,
        )
        in_list = set(
            PaymentLine.objects.filter(payment_list=plist).values_list("entitlement_id", flat=True)
        )
        assert in_list == set(in_force.values_list("pk", flat=True))
        assert not payable_entitlements(plist.benefit, plist.county_code, plist.month).exists()
        lines += len(in_list)
    assert lines > 0


def test_a_monthly_snapshot_series_from_2021_to_the_demos_date() -> None:
    dates = list(SnapshotRun.objects.order_by("as_of").values_list("as_of", flat=True))
    assert dates == month_ends(dt.date(2021, 1, 1), AS_OF)
    coverage = list(
        Snapshot.objects.filter(indicator__code="I04", region_code="150400")
        .order_by("as_of")
        .values_list("value", flat=True)
    )
    assert len(coverage) == len(dates)
    assert all(v is not None and v > 0 for v in coverage)
    assert len(set(coverage)) > 1  # the figures move


def test_the_series_is_rolled_month_by_month_and_equals_full_computations() -> None:
    days = month_ends(dt.date(2021, 1, 1), AS_OF)
    assert len(ROLLED) >= len(days) // 2  # most months rolled from the one before
    plan = Plan.objects.get(code="P14")
    runs = {run.as_of: run for run in SnapshotRun.objects.filter(plan=plan)}
    # the first (computed), a rolled month in the middle, and the newest (maintained)
    for day in (days[0], ROLLED[len(ROLLED) // 2], days[-1]):
        assert stored(runs[day]) == computed_on(plan, day), day
    assert [day for day, run in runs.items() if run.maintained_since] == [days[-1]]


def test_the_dashboard_shows_figures_not_no_snapshot_yet(client: Any) -> None:
    client.force_login(make_user("city_admin", "150400"))
    html = client.get(reverse("indicators:dashboard")).content.decode()
    assert "尚无指标快照" not in html
    assert "I04" in html
    assert AS_OF.isoformat() in html


def test_plan_periods_never_start_before_eligibility_nor_overlap() -> None:
    import random

    rng = random.Random(5)
    eligible = [(dt.date(2016, 3, 5), dt.date(2019, 1, 31)), (dt.date(2019, 2, 2), dt.date.max)]
    for _ in range(200):
        periods = plan_periods(rng, eligible, as_of=AS_OF, death=None)
        last: dt.date | None = None
        for start, end, status, _ in periods:
            assert start >= dt.date(2016, 3, 1)
            assert last is None or start > last
            assert (end is None) == (status == EntitlementStatus.ACTIVE)
            last = end or dt.date.max


@pytest.mark.parametrize(
    ("as_of", "words"),
    [("2020-12-31", "2021-01-31"), ("2026-01-01", "2025-12-31"), ("2024-02-30", "not a date")],
)
def test_a_bad_demo_date_is_refused_and_nothing_written(as_of: str, words: str) -> None:
    people = Person.objects.count()
    with pytest.raises(CommandError) as info:
        call_command(
            "demo", "generate", "--persons", "5", "--seed", "1", "--as-of", as_of,
            stdout=io.StringIO(),
        )  # fmt: skip
    assert words in str(info.value)
    assert Person.objects.count() == people


def test_the_service_refuses_a_bad_demo_date() -> None:
    for bad in (dt.date(2020, 12, 31), dt.date(2026, 1, 1), "2022-01-01", None):
        with pytest.raises(ValidationFailed) as info:
            services.check_as_of(bad)
        assert info.value.code == "demo_as_of"
        assert info.value.message_en
