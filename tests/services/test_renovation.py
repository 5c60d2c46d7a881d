"""Home accessibility renovation (issue 18 part 6, I11): assessment, plan of items, completion,
acceptance; a household counts once, in the year of acceptance; the plan's count stops at
its end; region scope on the services and the pages."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
import time_machine
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from dpf.accounts.permissions import PermissionRefused
from dpf.core.errors import NotFound, ValidationFailed
from dpf.core.models import Region
from dpf.indicators import compute
from dpf.indicators.models import Indicator, Plan, Status
from dpf.indicators.selectors import drilldown_persons
from dpf.registry import services as registry
from dpf.services import services
from dpf.services.models import HomeRenovation, RenovationItem
from tests.factories import make_person, make_user
from tests.services.conftest import Rehab, certified_person

pytestmark = pytest.mark.django_db
TODAY = dt.date(2026, 3, 1)
ITEMS = [("ramp", "入户坡道", Decimal("1200.00")), ("handrails", "", Decimal("800.50"))]


def _accepted(
    rehab: Rehab,
    person,
    accepted_on: dt.date,
    *,
    assessed_on: dt.date | None = None,
    actor=None,
) -> HomeRenovation:
    start = assessed_on or accepted_on - dt.timedelta(days=30)
    actor = actor or rehab.officer
    r = services.renovation_assess(
        actor=actor,
        person_id=person.pk,
        assessed_on=start,
        assessment="入户台阶高，卫生间无扶手",
        today=TODAY,
    )
    services.renovation_plan_approve(
        actor=actor,
        renovation_id=r.pk,
        items=ITEMS,
        contractor="赤峰安居装饰公司",
        approved_on=start + dt.timedelta(days=5),
        today=TODAY,
    )
    services.renovation_complete(
        actor=actor,
        renovation_id=r.pk,
        completed_on=start + dt.timedelta(days=20),
        note="照片 3 张",
        today=TODAY,
    )
    return services.renovation_accept(
        actor=actor, renovation_id=r.pk, accepted_on=accepted_on, today=TODAY
    )


def test_a_renovation_goes_from_assessment_to_acceptance(rehab: Rehab) -> None:
    r = _accepted(rehab, rehab.needy, dt.date(2025, 6, 30))
    assert r.accepted_on == dt.date(2025, 6, 30)
    assert r.household_id == rehab.needy.household_id
    assert sorted(RenovationItem.objects.filter(renovation=r).values_list("kind", "cost")) == [
        ("handrails", Decimal("800.50")),
        ("ramp", Decimal("1200.00")),
    ]
    from dpf.core.models import AuditEntry

    actions = list(
        AuditEntry.objects.filter(object_type="home_renovation", object_id=str(r.pk))
        .order_by("pk")
        .values_list("action", flat=True)
    )
    assert actions == ["create", "approve", "change", "approve"]


def test_accepting_before_the_plan_is_approved_is_refused(rehab: Rehab) -> None:
    r = services.renovation_assess(
        actor=rehab.officer,
        person_id=rehab.needy.pk,
        assessed_on=dt.date(2025, 5, 1),
        assessment="需改造",
        today=TODAY,
    )
    with pytest.raises(ValidationFailed) as info:
        services.renovation_accept(
            actor=rehab.officer, renovation_id=r.pk, accepted_on=dt.date(2025, 6, 1), today=TODAY
        )
    assert info.value.code == "not_completed"
    assert info.value.message_zh
    assert info.value.message_en
    with pytest.raises(ValidationFailed) as info:
        services.renovation_complete(
            actor=rehab.officer, renovation_id=r.pk, completed_on=dt.date(2025, 6, 1), today=TODAY
        )
    assert info.value.code == "plan_not_approved"
    r.refresh_from_db()
    assert r.accepted_on is None
    assert r.completed_on is None


@pytest.mark.parametrize(
    ("items", "approved_on", "code"),
    [
        ([], dt.date(2025, 5, 2), "renovation_items"),
        ([("pool", "", Decimal(1))], dt.date(2025, 5, 2), "renovation_item_kind"),
        ([("ramp", "", Decimal(-1))], dt.date(2025, 5, 2), "renovation_item_cost"),
        (ITEMS, dt.date(2025, 4, 30), "approved_before_assessment"),
        (ITEMS, dt.date(2026, 3, 2), "date_in_future"),
    ],
)
def test_bad_plans_are_refused_and_nothing_written(rehab: Rehab, items, approved_on, code) -> None:
    r = services.renovation_assess(
        actor=rehab.officer,
        person_id=rehab.needy.pk,
        assessed_on=dt.date(2025, 5, 1),
        assessment="需改造",
        today=TODAY,
    )
    with pytest.raises(ValidationFailed) as info:
        services.renovation_plan_approve(
            actor=rehab.officer,
            renovation_id=r.pk,
            items=items,
            contractor="施工队",
            approved_on=approved_on,
            today=TODAY,
        )
    assert info.value.code == code
    assert not RenovationItem.objects.exists()
    r.refresh_from_db()
    assert r.approved_on is None


def test_a_household_is_renovated_and_counted_once(rehab: Rehab) -> None:
    _accepted(rehab, rehab.needy, dt.date(2025, 6, 30))
    # A second disabled member of the same household.
    member = make_person(name="王家人", household=rehab.needy.household)
    registry.certificate_issue(
        actor=None, person=member, category=4, level=2, issue_date=dt.date(2021, 6, 1)
    )
    with pytest.raises(ValidationFailed) as info:
        services.renovation_assess(
            actor=rehab.officer,
            person_id=member.pk,
            assessed_on=dt.date(2025, 9, 1),
            assessment="再次改造",
            today=TODAY,
        )
    assert info.value.code == "household_renovated"
    assert "2025-06-30" in info.value.message_zh
    assert "2025-06-30" in info.value.message_en
    assert HomeRenovation.objects.count() == 1


def test_an_uncertified_person_or_one_outside_the_region_is_refused(rehab: Rehab) -> None:
    plain = make_person(name="无证者")
    with pytest.raises(ValidationFailed) as info:
        services.renovation_assess(
            actor=rehab.officer,
            person_id=plain.pk,
            assessed_on=dt.date(2025, 5, 1),
            assessment="需改造",
            today=TODAY,
        )
    assert info.value.code == "not_certified"
    with pytest.raises(NotFound):  # the other county's person: as if unknown
        services.renovation_assess(
            actor=rehab.officer,
            person_id=rehab.elsewhere.pk,
            assessed_on=dt.date(2025, 5, 1),
            assessment="需改造",
            today=TODAY,
        )
    assert not HomeRenovation.objects.exists()


def test_scope_attack_on_another_countys_renovation(rehab: Rehab) -> None:
    """An officer of another county, a township officer (view only) and institution staff
    can neither write nor read a renovation of 红山区."""
    r = services.renovation_assess(
        actor=rehab.officer,
        person_id=rehab.needy.pk,
        assessed_on=dt.date(2025, 5, 1),
        assessment="需改造",
        today=TODAY,
    )
    other = make_user("county_officer", "150404")
    for actor in (other, make_user("township_officer", "150402001"), rehab.our_staff):
        with pytest.raises(PermissionRefused):
            services.renovation_plan_approve(
                actor=actor,
                renovation_id=r.pk,
                items=ITEMS,
                contractor="施工队",
                approved_on=dt.date(2025, 5, 2),
                today=TODAY,
            )
    client = Client()
    client.force_login(other)
    assert client.get(reverse("services:renovation", args=[r.pk])).status_code == 404
    assert "王康复" not in client.get(reverse("services:renovation_queue")).content.decode()
    r.refresh_from_db()
    assert r.approved_on is None


def _i11(as_of: dt.date) -> dict[str, compute.Result]:
    plan = Plan.objects.get(code="P14")
    return {r.region_code: r for r in compute.compute(plan, as_of) if r.indicator.code == "I11"}


def test_i11_counts_households_in_the_year_of_acceptance_until_the_plans_end(
    rehab: Rehab,
) -> None:
    _accepted(rehab, rehab.needy, dt.date(2022, 3, 1))
    _accepted(rehab, rehab.also_needy, dt.date(2025, 12, 31))
    _accepted(
        rehab, rehab.elsewhere, dt.date(2024, 7, 1), actor=make_user("county_officer", "150404")
    )
    late = certified_person(name="周迟到", rehab_need=False)
    _accepted(rehab, late, dt.date(2026, 1, 5), assessed_on=dt.date(2025, 11, 20))
    # Under way (not accepted): not counted.
    services.renovation_assess(
        actor=rehab.officer,
        person_id=rehab.no_need.pk,
        assessed_on=dt.date(2025, 5, 1),
        assessment="需改造",
        today=TODAY,
    )
    mid = _i11(dt.date(2023, 12, 31))
    assert mid["150402"].value == 1
    assert mid["150404"].value == 0
    assert mid["150400"].value == 1
    end = _i11(dt.date(2025, 12, 31))
    assert (end["150402"].value, end["150404"].value, end["150400"].value) == (2, 1, 3)
    # Accepted in 2026, after the plan's end: the plan's cumulative count stops at its end.
    after = _i11(dt.date(2026, 2, 28))
    assert after["150400"].value == 3
    # Counties have no target of their own in the shipped plan: no status, not "failing".
    assert end["150402"].target is None
    assert end["150402"].status == Status.NO_TARGET
    assert end["150400"].status == Status.NOT_ACHIEVED
    # The persons behind the figure (drill-down), for the same window.
    indicator = Indicator.objects.get(plan__code="P14", code="I11")
    county = Region.objects.get(code="150402")
    listed = drilldown_persons(rehab.officer, indicator, dt.date(2026, 2, 28), county, "numerator")
    assert sorted(p.pk for p in listed) == sorted([rehab.needy.pk, rehab.also_needy.pk])


@time_machine.travel(dt.datetime(2025, 6, 1, 10, 0, tzinfo=dt.UTC), tick=False)
def test_the_county_records_each_step_on_the_pages(rehab: Rehab) -> None:
    client = Client()
    client.force_login(rehab.officer)
    new = reverse("services:renovation_new", args=[rehab.needy.pk])
    assert client.get(new).status_code == 200
    created = client.post(new, {"assessed_on": "2025-05-01", "assessment": "卫生间无扶手"})
    assert created.status_code == 302
    r = HomeRenovation.objects.get()
    url = reverse("services:renovation", args=[r.pk])
    refused = client.post(
        url,
        {"action": "approve", "p-contractor": "施工队", "p-approved_on": "2025-04-01"},
    )
    assert refused.status_code == 400
    assert "改造方案须有1至20个项目" in refused.content.decode()
    approved = client.post(
        url,
        {
            "action": "approve",
            "p-contractor": "施工队",
            "p-approved_on": "2025-05-03",
            "p-cost_handrails": "650",
            "p-note_handrails": "卫生间两侧",
        },
    )
    assert approved.status_code == 302
    client.post(url, {"action": "complete", "c-completed_on": "2025-05-20"})
    early = client.post(url, {"action": "accept", "a-accepted_on": "2025-05-19"})
    assert early.status_code == 400
    assert client.post(url, {"action": "accept", "a-accepted_on": "2025-05-25"}).status_code == 302
    r.refresh_from_db()
    assert r.accepted_on == dt.date(2025, 5, 25)
    assert list(r.items.values_list("kind", "cost")) == [("handrails", Decimal("650.00"))]
    page = client.get(url).content.decode()
    assert "已验收" in page
    assert "卫生间两侧" in page


def test_the_queue_runs_in_constant_queries(rehab: Rehab) -> None:
    client = Client()
    client.force_login(rehab.officer)
    url = reverse("services:renovation_queue")
    services.renovation_assess(
        actor=rehab.officer,
        person_id=rehab.needy.pk,
        assessed_on=dt.date(2025, 5, 1),
        assessment="需改造",
        today=TODAY,
    )
    client.get(url)
    with CaptureQueriesContext(connection) as few:
        client.get(url)
    for n in range(4):
        person = certified_person(name=f"改造户{n}", rehab_need=False)
        services.renovation_assess(
            actor=rehab.officer,
            person_id=person.pk,
            assessed_on=dt.date(2025, 5, 1),
            assessment="需改造",
            today=TODAY,
        )
    with CaptureQueriesContext(connection) as many:
        page = client.get(url).content.decode()
    assert "改造户3" in page
    assert len(many) == len(few)
