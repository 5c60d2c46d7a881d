"""Training bases (残疾人职业培训基地) and skills-master studios (技能大师工作室): registered and
corrected through the services within the officer's county, refused with both languages and
nothing written on bad input; courses held at a base of their county designated on their
first day; the courses typed with a base's exact name linked when it is registered; the
counts by county; the pages."""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from dpf.accounts.permissions import PermissionRefused
from dpf.core.errors import ValidationFailed
from dpf.core.models import AuditEntry
from dpf.employment import bases, training
from dpf.employment.models import TrainingBase, TrainingCourse
from tests.factories import make_person, make_user

pytestmark = pytest.mark.django_db
TODAY = dt.date(2025, 12, 10)


def base(actor: Any, county: str = "150402", **kwargs: Any) -> TrainingBase:
    values: dict[str, Any] = {
        "actor": actor,
        "today": TODAY,
        "kind": "base",
        "name": "红山区残疾人职业培训基地",
        "county_code": county,
        "operator": "红山区职业技能培训学校",
        "trades": "盲人保健按摩、电子商务",
        "capacity": 80,
        "valid_from": dt.date(2020, 5, 1),
        "valid_to": None,
    }
    values.update(kwargs)
    return bases.base_register(**values)


def fields_of(row: TrainingBase, **kwargs: Any) -> dict[str, Any]:
    """The base's fields as ``base_change`` takes them, with ``kwargs`` changed."""
    values = {key: getattr(row, key) for key in bases.FIELDS}
    values.update(kwargs)
    return values


def course(actor: Any, county: str = "150402", **kwargs: Any) -> TrainingCourse:
    values: dict[str, Any] = {
        "actor": actor,
        "name": "盲人按摩培训",
        "kind": "vocational",
        "provider": "市盲人按摩指导中心",
        "county_code": county,
        "start": dt.date(2025, 3, 1),
        "end": dt.date(2025, 3, 31),
        "subsidy_per_person": "800",
    }
    values.update(kwargs)
    return training.course_create(**values)


def complete(actor: Any, held: TrainingCourse, on: dt.date, village: str = "150402001001") -> None:
    attendance = training.attendance_add(
        actor=actor, course_id=held.pk, id_number=make_person(village_code=village).id_number
    )
    training.attendance_complete(
        actor=actor, course_id=held.pk, attendance_id=attendance.pk, completed_on=on
    )


# --- services ---------------------------------------------------------------------------------


def test_register_and_correct_a_base_audited(county_officer) -> None:
    row = base(county_officer, kind="studio", name="  蒙古族刺绣   技能大师工作室 ")
    assert (row.kind, row.name, row.county_code, row.capacity) == (
        "studio",
        "蒙古族刺绣 技能大师工作室",
        "150402",
        80,
    )
    assert row.in_force_on(TODAY)
    changed = bases.base_change(
        actor=county_officer,
        base_id=row.pk,
        today=TODAY,
        **fields_of(row, capacity="20", valid_to=dt.date(2025, 6, 30)),
    )
    assert (changed.capacity, changed.valid_to) == (20, dt.date(2025, 6, 30))
    assert not TrainingBase.objects.get().in_force_on(TODAY)
    entries = AuditEntry.objects.filter(object_type="training_base", object_id=str(row.pk))
    assert list(entries.values_list("action", flat=True)) == ["create", "change"]
    assert entries.get(action="change").changes == {
        "capacity": [80, 20],
        "valid_to": [None, "2025-06-30"],
    }
    # Saving the same values again writes nothing.
    bases.base_change(actor=county_officer, base_id=row.pk, today=TODAY, **fields_of(changed))
    assert entries.count() == 2


@pytest.mark.parametrize(
    ("kwargs", "code", "field"),
    [
        ({"kind": "school"}, "base_kind", "kind"),
        ({"name": "   "}, "required", "name"),
        ({"name": "基" * 101}, "too_long", "name"),
        ({"operator": ""}, "required", "operator"),
        ({"trades": ""}, "required", "trades"),
        ({"county_code": "150404"}, "county_out_of_scope", "county_code"),
        ({"county_code": "150402001"}, "county_out_of_scope", "county_code"),
        ({"capacity": 0}, "capacity", "capacity"),
        ({"capacity": "many"}, "capacity", "capacity"),
        ({"capacity": 10_001}, "capacity", "capacity"),
        ({"valid_from": dt.date(2025, 12, 11)}, "date_in_future", "valid_from"),
        ({"valid_to": dt.date(2020, 4, 30)}, "date_range", "valid_to"),
    ],
)
def test_bad_base_refused_in_both_languages_nothing_written(
    county_officer, kwargs: dict[str, Any], code: str, field: str
) -> None:
    with pytest.raises(ValidationFailed) as refused:
        base(county_officer, **kwargs)
    assert (refused.value.code, refused.value.field) == (code, field)
    assert refused.value.message_zh
    assert refused.value.message_en
    assert refused.value.message_zh != refused.value.message_en
    assert not TrainingBase.objects.exists()
    assert not AuditEntry.objects.filter(object_type="training_base").exists()


def test_a_second_base_of_the_same_name_in_the_county_refused(county_officer, city_admin) -> None:
    base(county_officer)
    with pytest.raises(ValidationFailed) as refused:
        base(county_officer, kind="studio")
    assert refused.value.code == "duplicate_name"
    # The same name in another county is another base.
    base(city_admin, county="150404")
    assert TrainingBase.objects.count() == 2


def test_a_county_officer_cannot_edit_or_see_another_countys_base(county_officer) -> None:
    """The attack: an officer of 红山区 edits (or moves into their county, or reads) a base of
    松山区 by its id."""
    stranger = make_user("county_officer", "150404")
    theirs = base(stranger, county="150404", name="松山区残疾人职业培训基地")
    with pytest.raises(PermissionRefused):
        bases.base_change(
            actor=county_officer,
            base_id=theirs.pk,
            today=TODAY,
            **fields_of(theirs, county_code="150402", name="改名"),
        )
    with pytest.raises(PermissionRefused):
        bases.base_for(county_officer, theirs.pk)
    assert list(bases.bases(county_officer)) == []
    theirs.refresh_from_db()
    assert (theirs.name, theirs.county_code) == ("松山区残疾人职业培训基地", "150404")
    # Nor can they move their own base into another county.
    mine = base(county_officer)
    with pytest.raises(ValidationFailed) as refused:
        bases.base_change(
            actor=county_officer,
            base_id=mine.pk,
            today=TODAY,
            **fields_of(mine, county_code="150404"),
        )
    assert refused.value.code == "county_out_of_scope"
    # A township officer (no training permission) is refused outright.
    with pytest.raises(PermissionRefused):
        base(make_user("township_officer", "150402001"))
    # The edit page answers 404 for the other county's base, and changes nothing.
    client = Client()
    client.force_login(county_officer)
    url = reverse("employment:training_base_edit", args=[theirs.pk])
    assert client.get(url).status_code == 404
    posted = {**fields_of(theirs), "name": "改名", "valid_to": ""}
    assert client.post(url, posted).status_code == 404
    theirs.refresh_from_db()
    assert theirs.name == "松山区残疾人职业培训基地"


def test_the_city_sees_and_edits_every_countys_base(county_officer, city_admin) -> None:
    theirs = base(make_user("county_officer", "150404"), county="150404", name="松山区基地")
    mine = base(county_officer)
    assert set(bases.bases(city_admin)) == {theirs, mine}
    assert list(bases.bases(city_admin, county_code="150404")) == [theirs]
    bases.base_change(
        actor=city_admin, base_id=theirs.pk, today=TODAY, **fields_of(theirs, capacity=60)
    )
    assert TrainingBase.objects.get(pk=theirs.pk).capacity == 60


def test_a_course_is_held_at_a_base_of_its_county_designated_on_its_first_day(
    county_officer, city_admin
) -> None:
    mine = base(county_officer, valid_to=dt.date(2025, 6, 30))
    held = course(county_officer, base_id=mine.pk)
    assert held.base == mine
    assert held.training_base == ""
    theirs = base(city_admin, county="150404", name="松山区基地")
    cases: list[tuple[Any, dict[str, Any], str]] = [
        # Another county's base, for an officer who cannot see it.
        (county_officer, {"base_id": theirs.pk}, "base_not_found"),
        # The city picks 红山区's base for a 松山区 course.
        (city_admin, {"base_id": mine.pk, "county_code": "150404"}, "base_other_county"),
        # Before the designation, and after it lapsed.
        (county_officer, {"base_id": mine.pk, "start": dt.date(2020, 4, 1)}, "base_not_designated"),
        (
            county_officer,
            {"base_id": mine.pk, "start": dt.date(2025, 7, 1), "end": dt.date(2025, 7, 9)},
            "base_not_designated",
        ),
        (county_officer, {"base_id": 999_999}, "base_not_found"),
    ]
    for actor, kwargs, code in cases:
        with pytest.raises(ValidationFailed) as refused:
            course(actor, **kwargs)
        assert (refused.value.code, refused.value.field) == (code, "base_id")
    assert TrainingCourse.objects.count() == 1


def test_a_base_keeps_its_courses_in_its_county_and_designation(county_officer, city_admin) -> None:
    mine = base(county_officer)
    course(county_officer, base_id=mine.pk)  # starts 2025-03-01
    for kwargs, code, field in [
        ({"valid_from": dt.date(2025, 3, 2)}, "courses_outside_designation", "valid_from"),
        ({"valid_to": dt.date(2025, 2, 28)}, "courses_outside_designation", "valid_to"),
    ]:
        with pytest.raises(ValidationFailed) as refused:
            bases.base_change(
                actor=county_officer, base_id=mine.pk, today=TODAY, **fields_of(mine, **kwargs)
            )
        assert (refused.value.code, refused.value.field) == (code, field)
    with pytest.raises(ValidationFailed) as refused:
        bases.base_change(
            actor=city_admin, base_id=mine.pk, today=TODAY, **fields_of(mine, county_code="150404")
        )
    assert refused.value.code == "base_has_courses"
    assert TrainingBase.objects.get().valid_to is None
    # Revoked on the day of the course's start or later is fine.
    bases.base_change(
        actor=county_officer,
        base_id=mine.pk,
        today=TODAY,
        **fields_of(mine, valid_to=dt.date(2025, 3, 1)),
    )


def test_courses_typed_with_a_bases_exact_name_are_linked_when_it_is_registered(
    county_officer, city_admin
) -> None:
    """Courses typed before bases were records keep their text; registering a base of their
    county with exactly that name, designated when they started, links them."""
    typed = course(county_officer)
    early = course(
        county_officer, name="早期培训", start=dt.date(2019, 3, 1), end=dt.date(2019, 3, 9)
    )
    near = course(county_officer, name="名称相近")
    elsewhere = course(city_admin, county="150404", name="松山区培训")
    TrainingCourse.objects.filter(pk__in=[typed.pk, early.pk, elsewhere.pk]).update(
        training_base="红山区残疾人职业培训基地"
    )
    TrainingCourse.objects.filter(pk=near.pk).update(training_base="红山区残疾人职业培训基地二")
    registered = base(county_officer)  # designated 2020-05-01
    linked = dict(TrainingCourse.objects.values_list("pk", "base_id"))
    assert linked == {typed.pk: registered.pk, early.pk: None, near.pk: None, elsewhere.pk: None}
    assert TrainingCourse.objects.get(pk=typed.pk).training_base == "红山区残疾人职业培训基地"
    entry = AuditEntry.objects.get(object_type="training_base", action="change")
    assert entry.changes == {"linked_courses": [typed.pk]}
    # Renamed to the near name: that course is linked too.
    bases.base_change(
        actor=county_officer,
        base_id=registered.pk,
        today=TODAY,
        **fields_of(registered, name="红山区残疾人职业培训基地二"),
    )
    assert TrainingCourse.objects.get(pk=near.pk).base_id == registered.pk


def test_counts_by_county(county_officer, city_admin) -> None:
    songshan = make_user("county_officer", "150404")
    first = base(county_officer)
    base(county_officer, name="第二基地", valid_from=dt.date(2025, 11, 1))
    base(county_officer, kind="studio", name="刺绣工作室")
    base(county_officer, kind="studio", name="撤销的工作室", valid_to=dt.date(2025, 6, 30))
    theirs = base(songshan, county="150404", name="松山区基地")
    this_year = course(county_officer, base_id=first.pk)
    complete(county_officer, this_year, dt.date(2025, 3, 31))
    complete(county_officer, this_year, dt.date(2025, 3, 31))
    last_year = course(
        county_officer, base_id=first.pk, start=dt.date(2024, 12, 20), end=dt.date(2025, 1, 5)
    )
    complete(county_officer, last_year, dt.date(2025, 1, 5))  # completed in 2025: counts
    course(county_officer)  # at no base
    there = course(songshan, county="150404", base_id=theirs.pk)
    complete(songshan, there, dt.date(2025, 3, 31), village="150404002001")

    city = {r["county_code"]: r for r in bases.bases_by_county(city_admin, year=2025, today=TODAY)}
    assert {k: city["150402"][k] for k in ("bases", "studios", "courses", "completed")} == {
        "bases": 2,
        "studios": 1,  # the revoked studio is not in force on the 10th of December
        "courses": 1,  # the course of December 2024 counts for 2024
        "completed": 3,
    }
    assert (city["150404"]["bases"], city["150404"]["courses"], city["150404"]["completed"]) == (
        1,
        1,
        1,
    )
    assert city["150421"]["bases"] == 0  # every county listed
    # As of the end of 2024: the base designated in November 2025 is not yet; the revoked
    # studio still is.
    earlier = {
        r["county_code"]: r for r in bases.bases_by_county(city_admin, year=2024, today=TODAY)
    }
    assert (earlier["150402"]["bases"], earlier["150402"]["studios"]) == (1, 2)
    assert (earlier["150402"]["courses"], earlier["150402"]["completed"]) == (1, 0)
    own = bases.bases_by_county(county_officer, year=2025, today=TODAY)
    assert [r["county_code"] for r in own] == ["150402"]
    rows: dict[str, Any] = {
        b.name: b
        for b in bases.base_rows(city_admin, start=dt.date(2025, 1, 1), end=dt.date(2025, 12, 31))
    }
    assert (rows[first.name].courses_held, rows[first.name].completed) == (1, 3)
    assert (
        bases.bases_by_county(make_user("township_officer", "150402001"), year=2025, today=TODAY)
        == []
    )


# --- pages ------------------------------------------------------------------------------------


def _client(user: Any) -> Client:
    client = Client()
    client.force_login(user)
    return client


def test_pages_register_list_detail_edit(county_officer) -> None:
    client = _client(county_officer)
    new = reverse("employment:training_base_new")
    form = {
        "kind": "studio",
        "name": "盲人保健按摩技能大师工作室",
        "county_code": "150402",
        "operator": "红山区盲人按摩指导中心",
        "trades": "盲人保健按摩",
        "capacity": "15",
        "valid_from": "2023-04-01",
        "valid_to": "",
    }
    page = client.get(new)
    assert page.status_code == 200
    assert '<label for="id_capacity">' in page.content.decode()
    refused = client.post(new, {**form, "capacity": "0"})
    assert refused.status_code == 400
    assert "培训能力应为1至10000人" in refused.content.decode()
    assert not TrainingBase.objects.exists()
    created = client.post(new, form)
    assert created.status_code == 302
    row = TrainingBase.objects.get()
    assert created["Location"] == reverse("employment:training_base", args=[row.pk])
    detail = client.get(created["Location"]).content.decode()
    assert "盲人保健按摩技能大师工作室" in detail
    assert "在认定期内" in detail
    listing = client.get(reverse("employment:training_bases"), {"kind": "studio"}).content.decode()
    assert "盲人保健按摩技能大师工作室" in listing
    assert "<caption" in listing
    edit = reverse("employment:training_base_edit", args=[row.pk])
    assert 'value="15"' in client.get(edit).content.decode()
    assert client.post(edit, {**form, "valid_to": "2025-01-31"}).status_code == 302
    row.refresh_from_db()
    assert row.valid_to == dt.date(2025, 1, 31)
    assert "不在认定期内" in client.get(created["Location"]).content.decode()


def test_the_course_form_offers_the_bases_of_the_counties_in_scope(county_officer) -> None:
    mine = base(county_officer)
    base(make_user("county_officer", "150404"), county="150404", name="松山区基地")
    client = _client(county_officer)
    html = client.get(reverse("employment:training")).content.decode()
    assert (
        f'<option value="{mine.pk}">红山区残疾人职业培训基地（残疾人职业培训基地）</option>' in html
    )
    assert '<optgroup label="红山区">' in html
    assert "松山区基地" not in html
    created = client.post(
        reverse("employment:training"),
        {
            "name": "面点培训",
            "kind": "vocational",
            "provider": "职业学校",
            "county_code": "150402",
            "base_id": str(mine.pk),
            "start": "2025-05-01",
            "end": "2025-05-20",
            "subsidy_per_person": "500",
        },
    )
    assert created.status_code == 302
    assert TrainingCourse.objects.get().base == mine
    detail = client.get(created["Location"]).content.decode()
    assert reverse("employment:training_base", args=[mine.pk]) in detail


def test_the_training_report_counts_bases_and_studios_by_county(city_admin) -> None:
    base(city_admin)
    base(city_admin, kind="studio", name="刺绣工作室", county="150404")
    html = _client(city_admin).get(reverse("employment:training_report"), {"year": "2025"})
    body = html.content.decode()
    table = body[body.index('id="base-county-caption"') :]
    table = table[: table.index("</table>")]
    found = dict(
        (name, (int(b), int(s)))
        for name, b, s in re.findall(
            r'<th scope="row">([^<]+)</th><td>(\d+)</td><td>(\d+)</td>', table
        )
    )
    assert found["红山区"] == (1, 0)
    assert found["松山区"] == (0, 1)
    assert found["合计"] == (1, 1)


def _list_queries(client: Client) -> int:
    with CaptureQueriesContext(connection) as queries:
        response = client.get(reverse("employment:training_bases"), {"year": "2025"})
    assert response.status_code == 200
    return len(queries.captured_queries)


def test_the_list_page_uses_the_same_queries_for_few_or_many_bases(city_admin) -> None:
    client = _client(city_admin)
    first = base(city_admin)
    complete(city_admin, course(city_admin, base_id=first.pk), dt.date(2025, 3, 31))
    _list_queries(client)  # the first request fills the session's and the menu's caches
    few = _list_queries(client)
    for n in range(8):
        county = "150402" if n % 2 else "150404"
        row = base(city_admin, county=county, name=f"基地{n}", kind="studio" if n % 3 else "base")
        complete(
            city_admin,
            course(city_admin, county=county, base_id=row.pk),
            dt.date(2025, 3, 31),
            village="150402001001" if n % 2 else "150404002001",
        )
    assert _list_queries(client) == few
