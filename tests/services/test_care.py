"""Care services (issue 18 part 7, 托养): the county places a certified person in
residential, day or home-based care at a care institution for a number of months with a
monthly subsidy; the institution sees only its own placements and may end one early."""

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
from dpf.core.errors import NotFound, ValidationFailed
from dpf.services import services
from dpf.services.models import CarePlacement
from tests.factories import make_person, make_user
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
    assert "红山区日间照料中心" in client.get(done["Location"]).content.decode()
