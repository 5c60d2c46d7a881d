"""Disabled college graduates' files and support actions (issue 19 part 7, “一人一档、一人一
策”): one file per person, years and dates refused with the field named, the state read from
the registry's employment as of a date, and another county's officer kept out."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest

from dpf.accounts.permissions import PermissionRefused
from dpf.core.errors import ValidationFailed
from dpf.core.models import AuditEntry
from dpf.employment import graduates, records
from dpf.employment.models import GraduateFile, SupportAction
from tests.employment.conftest import make_employer
from tests.factories import make_person, make_user

pytestmark = pytest.mark.django_db
TODAY = dt.date(2025, 6, 30)


def open_file(actor: Any, person: Any, **kwargs: Any) -> GraduateFile:
    values: dict[str, Any] = {
        "actor": actor,
        "id_number": person.id_number,
        "school": "内蒙古师范大学",
        "major": "特殊教育",
        "education": "bachelor",
        "graduation_year": 2025,
        "wish": "到特殊教育学校任教",
        "today": TODAY,
    }
    values.update(kwargs)
    return graduates.graduate_file_create(**values)


def add_action(actor: Any, row: GraduateFile, **kwargs: Any) -> SupportAction:
    values: dict[str, Any] = {
        "actor": actor,
        "file_id": row.pk,
        "taken_on": dt.date(2025, 6, 1),
        "kind": "career_guidance",
        "note": "一对一职业指导，修改简历",
        "today": TODAY,
    }
    values.update(kwargs)
    return graduates.support_action_add(**values)


def test_open_a_file_and_add_support_actions(county_officer) -> None:
    person = make_person(name="刘思远")
    row = open_file(county_officer, person, school="  赤峰学院 ", wish="")
    assert (row.person_id, row.school, row.education, row.graduation_year) == (
        person.pk,
        "赤峰学院",
        "bachelor",
        2025,
    )
    firm = make_employer(county_officer)
    add_action(county_officer, row, taken_on=dt.date(2025, 5, 1), kind="policy")
    add_action(
        county_officer,
        row,
        taken_on=dt.date(2025, 6, 20),
        kind="job_recommendation",
        employer_id=firm.pk,
        note="推荐到该单位面试文员岗位",
    )
    # Newest first, the employer with it.
    listed = graduates.actions_of(row)
    assert [a.kind for a in listed] == ["job_recommendation", "policy"]
    assert listed[0].employer == firm
    entries = AuditEntry.objects.filter(object_type="graduate_file", object_id=str(row.pk))
    assert list(entries.order_by("pk").values_list("action", flat=True)) == [
        "create",
        "change",
        "change",
    ]
    # No personal data in the audit entry's changes.
    assert person.id_number not in str(list(entries.values_list("changes", flat=True)))


def test_a_second_file_for_the_same_person_is_refused(county_officer) -> None:
    person = make_person()
    open_file(county_officer, person)
    with pytest.raises(ValidationFailed) as refused:
        open_file(county_officer, person, school="赤峰学院", graduation_year=2024)
    assert (refused.value.code, refused.value.field) == ("graduate_file_exists", "id_number")
    assert "已建立毕业生档案" in str(refused.value.message)
    assert GraduateFile.objects.count() == 1


@pytest.mark.parametrize(
    ("kwargs", "code", "field"),
    [
        ({"graduation_year": 1989}, "graduation_year", "graduation_year"),
        ({"graduation_year": 2027}, "graduation_year", "graduation_year"),  # next year is 2026
        ({"graduation_year": "二〇二五"}, "graduation_year", "graduation_year"),
        ({"education": "doctor"}, "education", "education"),
        ({"school": "   "}, "required", "school"),
        ({"major": "专" * 101}, "too_long", "major"),
        ({"wish": "意" * 201}, "too_long", "wish"),
    ],
)
def test_bad_file_input_is_refused_with_the_field(county_officer, kwargs, code, field) -> None:
    with pytest.raises(ValidationFailed) as refused:
        open_file(county_officer, make_person(), **kwargs)
    assert (refused.value.code, refused.value.field) == (code, field)
    assert not GraduateFile.objects.exists()


def test_the_years_at_the_bounds_are_accepted(county_officer) -> None:
    assert open_file(county_officer, make_person(), graduation_year=1990).graduation_year == 1990
    assert open_file(county_officer, make_person(), graduation_year="2026").graduation_year == 2026


@pytest.mark.parametrize(
    ("kwargs", "code", "field"),
    [
        ({"taken_on": dt.date(2025, 7, 1)}, "date_in_future", "taken_on"),
        ({"kind": "lunch"}, "support_kind", "kind"),
        ({"note": ""}, "required", "note"),
        ({"note": "字" * 301}, "too_long", "note"),
    ],
)
def test_bad_support_action_is_refused_with_the_field(county_officer, kwargs, code, field) -> None:
    row = open_file(county_officer, make_person())
    with pytest.raises(ValidationFailed) as refused:
        add_action(county_officer, row, **kwargs)
    assert (refused.value.code, refused.value.field) == (code, field)
    assert not SupportAction.objects.exists()


def test_today_itself_is_accepted_and_an_employer_outside_the_region_refused(
    county_officer,
) -> None:
    row = open_file(county_officer, make_person())
    assert add_action(county_officer, row, taken_on=TODAY).taken_on == TODAY
    theirs = make_employer(make_user("county_officer", "150404"), county="150404")
    with pytest.raises(ValidationFailed) as refused:
        add_action(county_officer, row, employer_id=theirs.pk)
    assert (refused.value.code, refused.value.field) == ("employer_not_found", "employer_id")
    assert SupportAction.objects.count() == 1


def test_state_follows_the_registry_employment_as_of_a_date(county_officer) -> None:
    person = make_person()
    row = open_file(county_officer, person)
    before, start, end, after = (
        dt.date(2025, 8, 31),
        dt.date(2025, 9, 1),
        dt.date(2026, 2, 28),
        dt.date(2026, 3, 1),
    )
    assert graduates.state_of(row, start) == graduates.SEEKING
    records.employment_record(
        actor=county_officer,
        id_number=person.id_number,
        kind="proportional",
        valid_from=start,
        valid_to=end,
        employer_name="赤峰某科技公司",
    )
    expected = {
        before: graduates.SEEKING,
        start: graduates.EMPLOYED,
        end: graduates.EMPLOYED,
        after: graduates.SEEKING,
    }
    for day, state in expected.items():
        assert graduates.state_of(row, day) == state, day
        # The list reads the same rule in one query.
        # the annotated ``employed`` (Any: the stubs know only the model's fields)
        listed: Any = graduates.graduate_files(county_officer, day).get(pk=row.pk)
        assert listed.employed is (state == graduates.EMPLOYED), day
        employed = graduates.graduate_files(county_officer, day, state=graduates.EMPLOYED)
        seeking = graduates.graduate_files(county_officer, day, state=graduates.SEEKING)
        assert (employed.count(), seeking.count()) == (
            (1, 0) if state == graduates.EMPLOYED else (0, 1)
        )
    counties = graduates.graduates_by_county(county_officer, start)
    assert [(c.code, c.employed, c.seeking) for c in counties] == [("150402", 1, 0)]
    assert counties[0].name != "150402"  # the county's name, not its code


def test_filters_and_counts_by_county_and_year(city_admin) -> None:
    here = open_file(city_admin, make_person(), graduation_year=2024)
    open_file(city_admin, make_person(village_code="150404002001"), graduation_year=2025)
    open_file(city_admin, make_person(village_code="150404002002"), graduation_year=2025)
    assert [r.pk for r in graduates.graduate_files(city_admin, TODAY, graduation_year=2024)] == [
        here.pk
    ]
    assert graduates.graduate_files(city_admin, TODAY, county_code="150404").count() == 2
    by_county = graduates.graduates_by_county(city_admin, TODAY)
    assert [(c.code, c.employed, c.seeking) for c in by_county] == [
        ("150402", 0, 1),
        ("150404", 0, 2),
    ]
    only_2025 = graduates.graduates_by_county(city_admin, TODAY, graduation_year=2025)
    assert [(c.code, c.total) for c in only_2025] == [("150404", 2)]


def test_another_countys_officer_cannot_list_open_change_or_add(county_officer) -> None:
    """The attack: an officer of 150404 holds the same permissions; only the scope keeps
    them from the 150402 graduate's file."""
    row = open_file(county_officer, make_person(name="刘思远"))
    stranger = make_user("county_officer", "150404")
    assert not graduates.graduate_files(stranger, TODAY).exists()
    assert graduates.graduates_by_county(stranger, TODAY) == []
    with pytest.raises(PermissionRefused):
        graduates.graduate_file_for(stranger, row.pk)
    with pytest.raises(PermissionRefused):
        add_action(stranger, row)
    with pytest.raises(PermissionRefused):
        graduates.graduate_file_change(
            actor=stranger,
            file_id=row.pk,
            school="x",
            major="y",
            education="bachelor",
            graduation_year=2025,
            today=TODAY,
        )
    # Nor can they open a file for a person outside their region: the same words as unknown.
    with pytest.raises(ValidationFailed) as refused:
        open_file(stranger, make_person())
    assert refused.value.code == "person_not_found"
    assert not SupportAction.objects.exists()
    assert GraduateFile.objects.count() == 1


def test_roles_without_the_permission_are_refused(county_officer) -> None:
    row = open_file(county_officer, make_person())
    for role, region in (("village_worker", "150402001001"), ("viewer", "150400")):
        user = make_user(role, region)
        with pytest.raises(PermissionRefused):
            open_file(user, make_person())
        with pytest.raises(PermissionRefused):
            add_action(user, row)
        assert not graduates.graduate_files(user, TODAY).exists()


def test_change_amends_the_file(county_officer) -> None:
    row = open_file(county_officer, make_person())
    graduates.graduate_file_change(
        actor=county_officer,
        file_id=row.pk,
        school="内蒙古师范大学",
        major="特殊教育",
        education="postgraduate",
        graduation_year=2026,
        wish="继续读博或在高校任教",
        today=TODAY,
    )
    row.refresh_from_db()
    assert (row.education, row.graduation_year, row.wish) == (
        "postgraduate",
        2026,
        "继续读博或在高校任教",
    )
    entry = AuditEntry.objects.filter(object_type="graduate_file", action="change").get()
    assert entry.changes == {
        "education": ["bachelor", "postgraduate"],
        "graduation_year": [2025, 2026],
        "wish": ["到特殊教育学校任教", "继续读博或在高校任教"],
    }
