"""Care services (issue 18 part 7, 托养): the county places a certified person in
residential, day or home-based care at a care institution for a number of months with a
monthly subsidy; the institution sees only its own placements and may end one early. The
subsidy is the catalogue's care benefit, paid by the monthly payment lists for the months
the placement covers, never twice."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

import pytest
import time_machine
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from dpf.accounts.permissions import PermissionRefused
from dpf.benefits import services as benefit_services
from dpf.benefits.models import BenefitItem, Entitlement
from dpf.core.dates import add_months
from dpf.core.errors import NotFound, ValidationFailed
from dpf.core.models import AuditEntry
from dpf.services import services
from dpf.services.models import CarePlacement
from dpf.workflow import services as workflow
from dpf.workflow.models import EntitlementEvent, PaymentLine
from dpf.workflow.services.payments import overpaid_months
from tests.factories import make_person, make_user
from tests.migrating import migrate_latest, migrate_to
from tests.services.conftest import Rehab, certified_person

pytestmark = pytest.mark.django_db
TODAY = dt.date(2025, 12, 31)


@pytest.fixture
def homes(rehab: Rehab):
    day = services.institution_register(
        actor=None,
        code="CARE-DAY",
        name="红山区日间照料中心",
        kind="care_day",
        township_code="150402001",
        capacity=30,
    )
    sunshine = services.institution_register(
        actor=None,
        code="CARE-SUN",
        name="红山区阳光家园",
        kind="sunshine_home",
        township_code="150402001",
        capacity=20,
    )
    return day, sunshine


def _place(rehab: Rehab, institution, person=None, **kw) -> CarePlacement:
    args: dict[str, Any] = {
        "kind": "day",
        "start": dt.date(2025, 1, 31),
        "months": 12,
        "monthly_subsidy": Decimal("300.00"),
    }
    args.update(kw)
    return services.care_placement_create(
        actor=rehab.officer,
        person_id=(person or rehab.needy).pk,
        institution_id=institution.pk,
        **args,
    )


def test_a_placement_runs_its_months_and_the_person_is_placed_once(rehab: Rehab, homes) -> None:
    day, sunshine = homes
    placement = _place(rehab, day)
    assert placement.end == dt.date(2026, 1, 30)
    placement = _place(rehab, day, person=rehab.also_needy, start=dt.date(2025, 1, 31), months=1)
    assert placement.end == dt.date(2025, 2, 27)  # 31 January + 1 month = 28 February, less a day
    with pytest.raises(ValidationFailed) as info:
        _place(rehab, sunshine, kind="residential", start=dt.date(2025, 6, 1), months=3)
    assert info.value.code == "care_overlap"
    assert "2025-01-31" in info.value.message_zh
    assert "2025-01-31" in info.value.message_en
    assert CarePlacement.objects.filter(person=rehab.needy).count() == 1


@pytest.mark.parametrize(
    ("kw", "code"),
    [
        ({"kind": "residential"}, "care_institution"),  # a day-care centre gives no beds
        ({"kind": "boarding"}, "care_kind"),
        ({"months": 0}, "care_months"),
        ({"months": 37}, "care_months"),
        ({"monthly_subsidy": Decimal("-1")}, "care_subsidy"),
        ({"monthly_subsidy": Decimal("0.001")}, "care_subsidy"),
    ],
)
def test_bad_placements_are_refused_and_nothing_written(rehab: Rehab, homes, kw, code) -> None:
    day, _sunshine = homes
    with pytest.raises(ValidationFailed) as info:
        _place(rehab, day, **kw)
    assert info.value.code == code
    assert not CarePlacement.objects.exists()


def test_an_uncertified_person_or_another_countys_is_refused(rehab: Rehab, homes) -> None:
    day, _sunshine = homes
    with pytest.raises(ValidationFailed) as info:
        _place(rehab, day, person=make_person(name="无证"))
    assert info.value.code == "not_certified"
    with pytest.raises(NotFound):
        _place(rehab, day, person=rehab.elsewhere)
    assert not CarePlacement.objects.exists()


def test_scope_attack_another_institution_cannot_read_or_end_a_placement(
    rehab: Rehab, homes
) -> None:
    day, _sunshine = homes
    ours = _place(rehab, day)
    day_staff = make_user("institution_staff", None, institution_code="CARE-DAY")
    sun_staff = make_user("institution_staff", None, institution_code="CARE-SUN")
    with pytest.raises(PermissionRefused):
        services.care_placement_end(
            actor=sun_staff,
            placement_id=ours.pk,
            ended_on=dt.date(2025, 6, 1),
            reason="越权",
            today=TODAY,
        )
    with pytest.raises(PermissionRefused):  # institution staff place nobody
        services.care_placement_create(
            actor=day_staff,
            person_id=rehab.also_needy.pk,
            institution_id=day.pk,
            kind="day",
            start=dt.date(2025, 1, 1),
            months=1,
            monthly_subsidy=Decimal(0),
        )
    client = Client()
    client.force_login(sun_staff)
    assert client.get(reverse("services:care_placement", args=[ours.pk])).status_code == 404
    ours.refresh_from_db()
    assert ours.ended_on is None
    services.care_placement_end(
        actor=day_staff,
        placement_id=ours.pk,
        ended_on=dt.date(2025, 6, 1),
        reason="迁往外市",
        today=TODAY,
    )
    ours.refresh_from_db()
    assert ours.ended_on == dt.date(2025, 6, 1)
    with pytest.raises(ValidationFailed) as info:
        services.care_placement_end(
            actor=day_staff,
            placement_id=ours.pk,
            ended_on=dt.date(2025, 7, 1),
            reason="再次",
            today=TODAY,
        )
    assert info.value.code == "care_ended"


@time_machine.travel(dt.datetime(2025, 6, 1, 10, 0, tzinfo=dt.UTC), tick=False)
def test_the_queue_shows_the_institutions_own_placements_in_constant_queries(
    rehab: Rehab, homes
) -> None:
    day, sunshine = homes
    _place(rehab, day)
    _place(rehab, sunshine, person=rehab.also_needy, kind="residential")
    client = Client()
    client.force_login(make_user("institution_staff", None, institution_code="CARE-DAY"))
    url = reverse("services:care_queue")
    client.get(url)
    with CaptureQueriesContext(connection) as few:
        page = client.get(url).content.decode()
    assert rehab.needy.name in page
    assert rehab.also_needy.name not in page
    for n in range(4):
        _place(rehab, day, person=certified_person(name=f"托养{n}", rehab_need=False))
    with CaptureQueriesContext(connection) as many:
        page = client.get(url).content.decode()
    assert "托养3" in page
    assert len(many) == len(few)


@time_machine.travel(dt.datetime(2025, 6, 1, 10, 0, tzinfo=dt.UTC), tick=False)
def test_the_county_places_a_person_on_the_page(rehab: Rehab, homes) -> None:
    day, _sunshine = homes
    client = Client()
    client.force_login(rehab.officer)
    url = reverse("services:care_placement_new", args=[rehab.needy.pk])
    assert client.get(url).status_code == 200
    refused = client.post(
        url,
        {
            "institution": day.pk,
            "kind": "residential",
            "start": "2025-06-01",
            "months": "6",
            "monthly_subsidy": "300",
        },
    )
    assert refused.status_code == 400
    assert "请选择提供该托养方式的托养机构" in refused.content.decode()
    done = client.post(
        url,
        {
            "institution": day.pk,
            "kind": "day",
            "start": "2025-06-01",
            "months": "6",
            "monthly_subsidy": "300",
        },
    )
    assert done.status_code == 302
    placement = CarePlacement.objects.get()
    assert placement.end == dt.date(2025, 11, 30)
    page = client.get(done["Location"]).content.decode()
    assert "红山区日间照料中心" in page
    assert "发放名册" in page
    entitlement_url = reverse("workflow:entitlement", args=[placement.entitlement_id])
    assert entitlement_url in page
    assert "核定金额，按此发放" in client.get(entitlement_url).content.decode()


# --- the subsidy paid through the monthly payment lists -----------------------------------


def _care_list(rehab: Rehab, month: dt.date) -> dict[int, Decimal]:
    """The county's care-benefit list of ``month``, as person → amount."""
    plist = workflow.payment_list_generate(
        actor=rehab.officer,
        county_code="150402",
        benefit=BenefitItem.objects.get(code=services.CARE_BENEFIT),
        month=month,
        today=TODAY,
    )
    return dict(PaymentLine.objects.filter(payment_list=plist).values_list("person_id", "amount"))


def _months(first: dt.date, last: dt.date) -> list[dt.date]:
    months, day = [], first
    while day <= last:
        months.append(day)
        day = add_months(day, 1)
    return months


def test_a_placements_subsidy_is_paid_for_its_months_and_not_after_it_ends(
    rehab: Rehab, homes
) -> None:
    """A placement from 15 March for 6 months at 450 yuan a month: the care benefit's list
    pays 450 (the decided subsidy, not the catalogue's standard) in each month whose first
    day it covers, April to September; ended on 20 June, nothing from July."""
    day, _sunshine = homes
    ended = _place(
        rehab, day, start=dt.date(2025, 3, 15), months=6, monthly_subsidy=Decimal("450.00")
    )
    runs = _place(
        rehab,
        day,
        person=rehab.also_needy,
        start=dt.date(2025, 3, 15),
        months=6,
        monthly_subsidy=Decimal("300.00"),
    )
    assert ended.entitlement_id is not None
    entitlement = Entitlement.objects.get(pk=ended.entitlement_id)
    assert (entitlement.valid_from, entitlement.valid_to) == (
        dt.date(2025, 3, 15),
        dt.date(2025, 9, 14),
    )
    assert entitlement.benefit.code == "care_service"
    assert (entitlement.monthly_amount, entitlement.amount_fixed) == (Decimal("450.00"), True)
    paid: dict[dt.date, dict[int, Decimal]] = {}
    for month in _months(dt.date(2025, 3, 1), dt.date(2025, 6, 1)):
        paid[month] = _care_list(rehab, month)
    services.care_placement_end(
        actor=make_user("institution_staff", None, institution_code="CARE-DAY"),
        placement_id=ended.pk,
        ended_on=dt.date(2025, 6, 20),
        reason="回家由家人照料",
        today=TODAY,
    )
    for month in _months(dt.date(2025, 7, 1), dt.date(2025, 11, 1)):
        paid[month] = _care_list(rehab, month)
    person, other = rehab.needy.pk, rehab.also_needy.pk
    assert {m: p.get(person) for m, p in paid.items() if person in p} == {
        dt.date(2025, m, 1): Decimal("450.00") for m in (4, 5, 6)
    }
    assert {m: p.get(other) for m, p in paid.items() if other in p} == {
        dt.date(2025, m, 1): Decimal("300.00") for m in range(4, 10)
    }
    entitlement.refresh_from_db()
    assert (entitlement.status, entitlement.valid_to) == ("terminated", dt.date(2025, 6, 20))
    events = list(
        EntitlementEvent.objects.filter(entitlement=entitlement)
        .order_by("pk")
        .values_list("kind", "on", "source")
    )
    source = f"care_placement:{ended.pk}"
    assert events == [
        ("created", dt.date(2025, 3, 15), source),
        ("terminated", dt.date(2025, 6, 21), source),
    ]
    assert runs.entitlement_id is not None


def test_ending_a_placement_back_dated_lists_the_months_paid_after_it(rehab: Rehab, homes) -> None:
    """Ended on 10 May when June was already paid: June is overpaid (recovered by the
    payment lists' own deduction from a later payment), May is not."""
    day, _sunshine = homes
    placement = _place(rehab, day, start=dt.date(2025, 3, 1), months=12)
    for month in _months(dt.date(2025, 3, 1), dt.date(2025, 6, 1)):
        _care_list(rehab, month)
    services.care_placement_end(
        actor=make_user("institution_staff", None, institution_code="CARE-DAY"),
        placement_id=placement.pk,
        ended_on=dt.date(2025, 5, 10),
        reason="迁往外市",
        today=TODAY,
    )
    care = BenefitItem.objects.get(code=services.CARE_BENEFIT)
    assert list(overpaid_months(care.pk).values_list("person_id", "month")) == [
        (rehab.needy.pk, dt.date(2025, 6, 1))
    ]


def test_a_person_who_already_receives_the_care_benefit_is_not_paid_twice(
    rehab: Rehab, homes
) -> None:
    """The person holds the care benefit from an approval (open-ended from 1 January): a
    placement with a subsidy over those days is refused in both languages and writes
    nothing; a placement without a subsidy is made, with no second entitlement."""
    day, _sunshine = homes
    care = BenefitItem.objects.get(code=services.CARE_BENEFIT)
    benefit_services.entitlement_create(
        actor=None, person=rehab.needy, benefit=care, valid_from=dt.date(2025, 1, 1)
    )
    audit_before = AuditEntry.objects.count()
    with pytest.raises(ValidationFailed) as info:
        _place(rehab, day, start=dt.date(2025, 6, 1), months=6)
    assert info.value.code == "entitlement_held"
    assert info.value.field == "monthly_subsidy"
    assert "2025-01-01" in info.value.message_zh
    assert "2025-01-01" in info.value.message_en
    assert not CarePlacement.objects.exists()
    assert Entitlement.objects.filter(person=rehab.needy).count() == 1
    assert not EntitlementEvent.objects.exists()
    assert AuditEntry.objects.count() == audit_before
    placement = _place(rehab, day, start=dt.date(2025, 6, 1), months=6, monthly_subsidy=Decimal(0))
    assert placement.entitlement_id is None
    assert _care_list(rehab, dt.date(2025, 7, 1)) == {rehab.needy.pk: Decimal("200.00")}


def test_placements_one_after_another_are_each_paid_once(rehab: Rehab, homes) -> None:
    day, sunshine = homes
    first = _place(rehab, day, start=dt.date(2025, 1, 1), months=12)
    services.care_placement_end(
        actor=make_user("institution_staff", None, institution_code="CARE-DAY"),
        placement_id=first.pk,
        ended_on=dt.date(2025, 4, 10),
        reason="转入阳光家园",
        today=TODAY,
    )
    second = _place(
        rehab,
        sunshine,
        kind="residential",
        start=dt.date(2025, 4, 11),
        months=3,
        monthly_subsidy=Decimal("600.00"),
    )
    assert second.entitlement_id != first.entitlement_id
    paid = {
        m: _care_list(rehab, m).get(rehab.needy.pk)
        for m in _months(dt.date(2025, 1, 1), dt.date(2025, 8, 1))
    }
    assert paid == {
        dt.date(2025, 1, 1): Decimal("300.00"),
        dt.date(2025, 2, 1): Decimal("300.00"),
        dt.date(2025, 3, 1): Decimal("300.00"),
        dt.date(2025, 4, 1): Decimal("300.00"),
        dt.date(2025, 5, 1): Decimal("600.00"),
        dt.date(2025, 6, 1): Decimal("600.00"),
        dt.date(2025, 7, 1): Decimal("600.00"),
        dt.date(2025, 8, 1): None,
    }


BEFORE_SUBSIDIES = [("services", "0007_renovation_photos_and_legacy_completion_note")]
AFTER_SUBSIDIES = [("services", "0009_pay_care_subsidies_recorded_before")]


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_placements_recorded_before_are_paid_from_the_migration_on(regions: None) -> None:
    """services/0009: a placement recorded with a subsidy before 0008 holds the care benefit
    for its days (ended early: terminated the day after); none for a subsidy of 0 or for a
    person who already holds the benefit then."""
    day = services.institution_register(
        actor=None,
        code="CARE-OLD",
        name="红山区日间照料中心",
        kind="care_day",
        township_code="150402001",
        capacity=30,
    )
    runs, ended, unpaid, holder = (
        certified_person(name=n, rehab_need=False) for n in ("按期", "提前", "无补贴", "已享受")
    )
    care = BenefitItem.objects.get(code=services.CARE_BENEFIT)
    benefit_services.entitlement_create(
        actor=None, person=holder, benefit=care, valid_from=dt.date(2024, 1, 1)
    )
    try:
        old = migrate_to(BEFORE_SUBSIDIES).get_model("services", "CarePlacement")

        def placed(person: Any, subsidy: str, ended_on: dt.date | None = None) -> int:
            return old.objects.create(
                person_id=person.pk,
                institution_id=day.pk,
                kind="day",
                start=dt.date(2025, 3, 15),
                months=6,
                end=dt.date(2025, 9, 14),
                monthly_subsidy=Decimal(subsidy),
                ended_on=ended_on,
                end_reason="回家照料" if ended_on else "",
                county_code=person.county_code,
                township_code=person.township_code,
                village_code=person.village_code,
            ).pk

        ids = {
            "runs": placed(runs, "300"),
            "ended": placed(ended, "450", dt.date(2025, 6, 20)),
            "unpaid": placed(unpaid, "0"),
            "holder": placed(holder, "300"),
        }
        migrate_to(AFTER_SUBSIDIES)
        rows = {
            k: CarePlacement.objects.select_related("entitlement").get(pk=v) for k, v in ids.items()
        }
        assert rows["unpaid"].entitlement is None
        assert rows["holder"].entitlement is None
        first, second = rows["runs"].entitlement, rows["ended"].entitlement
        assert first is not None
        assert second is not None
        assert (first.status, first.valid_from, first.valid_to, first.monthly_amount) == (
            "active",
            dt.date(2025, 3, 15),
            dt.date(2025, 9, 14),
            Decimal("300.00"),
        )
        assert (second.status, second.valid_to, second.amount_fixed) == (
            "terminated",
            dt.date(2025, 6, 20),
            True,
        )
        assert list(
            EntitlementEvent.objects.filter(entitlement=second)
            .order_by("pk")
            .values_list("kind", "on", "source")
        ) == [
            ("created", dt.date(2025, 3, 15), f"care_placement:{ids['ended']}"),
            ("terminated", dt.date(2025, 6, 21), f"care_placement:{ids['ended']}"),
        ]
        assert Entitlement.objects.filter(person=holder).count() == 1
    finally:
        migrate_latest()
