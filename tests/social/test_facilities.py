"""The register of disability service facilities: kind, township, floor area, opening year
and state with the date each state began (in order, none in the future, none of a later
state); an open facility has an opening year; corrections and state changes audited with
before and after; another county's facility is not found and cannot be placed; the pages
(list filtered by county and kind, record and edit without JavaScript)."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

import pytest
from django.test import Client
from django.urls import reverse

from dpf.accounts.permissions import PermissionRefused
from dpf.core.errors import ValidationFailed
from dpf.core.models import AuditEntry
from dpf.social import facilities
from dpf.social.models import Facility
from tests.factories import ensure_test_regions, make_user

pytestmark = pytest.mark.django_db
TOWNSHIP, OTHER_TOWNSHIP = "150402001", "150404002"
TODAY = dt.date(2025, 6, 30)


@pytest.fixture
def officer() -> Any:
    ensure_test_regions()
    return make_user("county_officer", "150402")


def record(actor: Any, **kw: Any) -> Facility:
    values: dict[str, Any] = {
        "actor": actor,
        "today": TODAY,
        "name": "红山区残疾人康复中心",
        "kind": "rehabilitation",
        "township_code": TOWNSHIP,
        "floor_area": "2400",
        "state": "open",
        "opening_year": 2019,
    }
    values.update(kw)
    return facilities.facility_record(**values)


def change(actor: Any, facility: Facility, **kw: Any) -> Facility:
    values: dict[str, Any] = {
        "name": facility.name,
        "kind": facility.kind,
        "township_code": facility.township_code,
        "floor_area": str(facility.floor_area),
        "state": facility.state,
        "opening_year": facility.opening_year,
        "planned_on": facility.planned_on,
        "building_from": facility.building_from,
        "opened_on": facility.opened_on,
        "closed_on": facility.closed_on,
    }
    values.update(kw)
    return facilities.facility_change(actor=actor, facility_id=facility.pk, today=TODAY, **values)


@pytest.mark.parametrize(
    ("kw", "code"),
    [
        ({"kind": "school"}, "kind"),
        ({"state": "demolished"}, "state"),
        ({"floor_area": "0"}, "floor_area"),
        ({"floor_area": "abc"}, "floor_area"),
        ({"name": "  "}, "required"),
        ({"opening_year": None}, "opening_year_missing"),
        ({"opening_year": 2026}, "opening_year"),
        ({"state": "planned"}, "opening_year_early"),
        ({"state": "building", "opening_year": None}, "state_date_missing"),
        ({"state": "closed"}, "state_date_missing"),
        ({"opened_on": dt.date(2018, 5, 1)}, "opening_year_mismatch"),
        ({"opened_on": dt.date(2025, 7, 1), "opening_year": None}, "date_in_future"),
        (
            {"state": "planned", "opening_year": None, "building_from": dt.date(2020, 1, 1)},
            "state_date_ahead",
        ),
        (
            {
                "planned_on": dt.date(2019, 3, 1),
                "building_from": dt.date(2018, 1, 1),
            },
            "dates_out_of_order",
        ),
    ],
)
def test_bad_input_is_refused_in_both_languages(
    officer: Any, kw: dict[str, Any], code: str
) -> None:
    with pytest.raises(ValidationFailed) as refused:
        record(officer, **kw)
    assert refused.value.code == code
    assert refused.value.message_zh
    assert refused.value.message_en
    assert not Facility.objects.exists()
    assert not AuditEntry.objects.filter(object_type="facility").exists()


def test_a_facility_from_plan_to_opening(officer: Any) -> None:
    planned = record(
        officer,
        name="松山区残疾人托养中心",
        kind="care",
        state="planned",
        opening_year=None,
        planned_on=dt.date(2023, 2, 1),
        floor_area="1,200.55",
    )
    assert planned.floor_area == Decimal("1200.6")
    assert planned.county_code == "150402"
    building = change(officer, planned, state="building", building_from=dt.date(2024, 4, 1))
    assert building.state == "building"
    opened = change(officer, building, state="open", opened_on=dt.date(2025, 5, 20))
    opened.refresh_from_db()
    assert (opened.state, opened.opening_year) == ("open", 2025)  # the year of the date
    entries = list(
        AuditEntry.objects.filter(object_type="facility", object_id=str(planned.pk)).order_by("pk")
    )
    assert [e.action for e in entries] == ["create", "change", "change"]
    assert entries[-1].changes["state"] == ["building", "open"]
    assert entries[-1].changes["opened_on"] == [None, "2025-05-20"]
    # Saving the same values again changes nothing and audits nothing.
    change(officer, opened)
    assert AuditEntry.objects.filter(object_type="facility").count() == 3
    # A closure needs its date, not before the opening.
    with pytest.raises(ValidationFailed) as early:
        change(officer, opened, state="closed", closed_on=dt.date(2025, 5, 1))
    assert early.value.code == "dates_out_of_order"
    opened.refresh_from_db()
    assert opened.state == "open"


def test_list_filters_and_totals(officer: Any) -> None:
    record(officer)
    record(officer, name="阳光家园", kind="care", floor_area="300.5")
    record(officer, name="盲人按摩就业基地", kind="employment", state="planned", opening_year=None)
    city = make_user("city_admin", "150400")
    record(city, name="乙县文体中心", kind="culture_sport", township_code=OTHER_TOWNSHIP)
    assert facilities.facilities(officer).count() == 3
    assert [f.name for f in facilities.facilities(officer, kind="care")] == ["阳光家园"]
    assert facilities.facilities(city).count() == 4
    assert [f.name for f in facilities.facilities(city, county="150404")] == ["乙县文体中心"]
    totals = {
        t["state"]: (t["n"], t["area"])
        for t in facilities.facility_totals(facilities.facilities(officer))
    }
    assert totals["已投入使用"] == (2, Decimal("2700.5"))
    assert totals["规划中"] == (1, Decimal("2400.0"))
    assert totals["已停用"] == (0, Decimal(0))


def test_scope_attacks(officer: Any) -> None:
    own = record(officer)
    other_officer = make_user("county_officer", "150404")
    with pytest.raises(PermissionRefused):
        facilities.facility_for(other_officer, own.pk)
    with pytest.raises(PermissionRefused):
        change(other_officer, own, name="改名")
    # Placing a facility in another county, or moving one there, is refused as unknown.
    with pytest.raises(ValidationFailed) as outside:
        record(officer, township_code=OTHER_TOWNSHIP)
    assert outside.value.code == "region"
    with pytest.raises(ValidationFailed):
        change(officer, own, township_code=OTHER_TOWNSHIP)
    for role in ("township_officer", "village_worker", "volunteer", "viewer", "citizen"):
        with pytest.raises(PermissionRefused):
            facilities.facilities(make_user(role, TOWNSHIP))
    own.refresh_from_db()
    assert own.name == "红山区残疾人康复中心"
    assert own.township_code == TOWNSHIP
    assert Facility.objects.count() == 1


def test_the_pages(officer: Any) -> None:
    client = Client()
    client.force_login(officer)
    url = reverse("social:facilities")
    assert client.get(url).status_code == 200
    bad = client.post(url, {"name": "x", "kind": "care", "township_code": TOWNSHIP})
    assert bad.status_code == 400
    assert not Facility.objects.exists()
    refused = client.post(
        url,
        {
            "name": "康复中心",
            "kind": "rehabilitation",
            "township_code": TOWNSHIP,
            "floor_area": "800",
            "state": "open",
        },
    )
    assert refused.status_code == 400
    assert "投入使用年份" in refused.content.decode()
    done = client.post(
        url,
        {
            "name": "康复中心",
            "kind": "rehabilitation",
            "township_code": TOWNSHIP,
            "floor_area": "800",
            "state": "open",
            "opening_year": "2018",
        },
    )
    assert done.status_code == 302
    page = client.get(done["Location"])
    assert page.status_code == 200
    assert 'value="2018"' in page.content.decode()
    edit = client.post(
        done["Location"],
        {
            "name": "康复中心",
            "kind": "rehabilitation",
            "township_code": TOWNSHIP,
            "floor_area": "800",
            "state": "closed",
            "opening_year": "2018",
            "closed_on": "2025-01-10",
        },
    )
    assert edit.status_code == 302
    assert Facility.objects.get().state == "closed"
    listed = client.get(url, {"county": "150402", "kind": "rehabilitation"}).content.decode()
    assert "康复中心" in listed
    assert "康复中心" not in client.get(url, {"kind": "care"}).content.decode()
    other = Client()
    other.force_login(make_user("county_officer", "150404"))
    assert other.get(done["Location"]).status_code == 404
    assert other.post(done["Location"], {"name": "x"}).status_code == 404


def test_refusal_in_english_and_the_next_page_keeps_the_filter(officer: Any) -> None:
    client = Client()
    client.force_login(officer)
    client.cookies["django_language"] = "en"
    url = reverse("social:facilities")
    refused = client.post(
        url,
        {
            "name": "Centre",
            "kind": "rehabilitation",
            "township_code": TOWNSHIP,
            "floor_area": "800",
            "state": "closed",
            "opening_year": "2018",
        },
        HTTP_ACCEPT_LANGUAGE="en",
    )
    page = refused.content.decode()
    assert refused.status_code == 400
    assert "give the date the state closed began" in page
    assert not Facility.objects.exists()
    Facility.objects.bulk_create(
        Facility(
            name=f"阳光家园{n:02d}",
            kind="care",
            county_code="150402",
            township_code=TOWNSHIP,
            floor_area=Decimal(100),
            state="planned",
        )
        for n in range(51)
    )
    listed = client.get(url, {"kind": "care", "page": "1"}).content.decode()
    assert 'href="?kind=care&amp;page=2"' in listed
