"""Employment records as the registry's effective-dated facts, zero-employment households as
of a date, assisted-employment institutions and placements counted by county (issue 19
parts 5 and 7): scope, dates, refusals, query counts."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from dpf.accounts.permissions import PermissionRefused
from dpf.core.creditcode import check_character
from dpf.core.errors import ValidationFailed
from dpf.core.models import AuditEntry
from dpf.employment import records
from dpf.employment.models import Placement
from dpf.registry import services as registry
from dpf.registry.models import Employment, FactsMark
from tests.factories import make_person, make_user

pytestmark = pytest.mark.django_db
ON = dt.date(2025, 6, 30)
_FIRST17 = "91150402MA0000001"
WRONG_CHECK = _FIRST17 + ("0" if check_character(_FIRST17) != "0" else "1")


def record(actor: Any, person: Any, **kwargs: Any) -> Employment:
    values: dict[str, Any] = {
        "actor": actor,
        "id_number": person.id_number,
        "kind": "flexible",
        "valid_from": dt.date(2025, 3, 1),
    }
    values.update(kwargs)
    return records.employment_record(**values)


def household_with(
    members: list[tuple[dt.date, str]],
    *,
    disabled: int | None = 0,
    village: str = "150402001001",
) -> tuple[Any, list[Any]]:
    """A household of persons born on the given dates with the given sexes; member
    ``disabled`` holds a valid certificate from 2020 (None: nobody)."""
    household = registry.household_create(actor=None, village_code=village)
    persons = [
        make_person(birth=birth, sex=sex, village_code=village, household=household)
        for birth, sex in members
    ]
    if disabled is not None:
        registry.certificate_issue(
            actor=None,
            person=persons[disabled],
            category=4,
            level=3,
            issue_date=dt.date(2020, 1, 1),
            today=dt.date(2020, 1, 1),
        )
    return household, persons


# --- employment records ----------------------------------------------------------------------


def test_record_is_an_effective_dated_registry_fact_audited(county_officer) -> None:
    person = make_person()
    row = record(
        county_officer,
        person,
        kind="proportional",
        employer_name="赤峰某公司",
        valid_to=dt.date(2025, 12, 31),
    )
    assert (row.person_id, row.kind, row.employer_name) == (person.pk, "proportional", "赤峰某公司")
    assert [e.pk for e in records.employment_in_force(person, ON)] == [row.pk]
    assert records.employment_in_force(person, dt.date(2026, 1, 1)) == []
    assert records.employment_in_force(person, dt.date(2025, 2, 28)) == []
    assert AuditEntry.objects.filter(object_type="employment", object_id=str(row.pk)).exists()
    assert FactsMark.objects.filter(person=person).exists()


def test_overlap_of_the_same_kind_refused_another_kind_allowed(county_officer) -> None:
    person = make_person()
    record(county_officer, person, valid_to=dt.date(2025, 5, 31))
    with pytest.raises(ValidationFailed) as refused:
        record(county_officer, person, valid_from=dt.date(2025, 5, 31))
    assert refused.value.code == "employment_overlap"
    record(county_officer, person, valid_from=dt.date(2025, 6, 1))  # the day after: fine
    record(county_officer, person, kind="agricultural", valid_from=dt.date(2025, 4, 1))
    assert Employment.objects.filter(person=person).count() == 3


@pytest.mark.parametrize(
    ("changes", "code"),
    [
        ({"kind": "astronaut"}, "employment_kind"),
        ({"valid_to": dt.date(2025, 2, 1)}, "date_range"),
        ({"employer_credit_code": WRONG_CHECK}, "checksum"),
        ({"employer_name": "单" * 101}, "too_long"),
    ],
)
def test_bad_input_refused_nothing_saved(county_officer, changes, code) -> None:
    person = make_person()
    with pytest.raises(ValidationFailed) as refused:
        record(county_officer, person, **changes)
    if code is not None:
        assert refused.value.code.startswith(code)
    assert refused.value.message_en
    assert refused.value.message_zh
    assert not Employment.objects.exists()


def test_person_outside_the_region_is_not_found_like_an_unknown_one(regions) -> None:
    other_county = make_user("county_officer", "150404")
    inside = make_person()  # 150402
    with pytest.raises(ValidationFailed) as refused:
        record(other_county, inside)
    assert refused.value.code == "person_not_found"
    # Roles without the permission are refused outright.
    for role, region in (("village_worker", "150402001001"), ("viewer", "150400")):
        with pytest.raises(PermissionRefused):
            record(make_user(role, region), inside)
    assert not Employment.objects.exists()


def test_end_a_record_in_scope_only(county_officer, regions) -> None:
    person = make_person()
    row = record(county_officer, person)
    outsider = make_user("county_officer", "150404")
    with pytest.raises(PermissionRefused):
        records.employment_end(actor=outsider, employment_id=row.pk, valid_to=ON)
    with pytest.raises(ValidationFailed):
        records.employment_end(
            actor=county_officer, employment_id=row.pk, valid_to=dt.date(2025, 1, 1)
        )
    records.employment_end(actor=county_officer, employment_id=row.pk, valid_to=ON)
    assert records.employment_in_force(person, ON) != []
    assert records.employment_in_force(person, ON + dt.timedelta(days=1)) == []
    with pytest.raises(ValidationFailed):  # ended once
        records.employment_end(actor=county_officer, employment_id=row.pk, valid_to=ON)
    assert [e.pk for e in records.employments(county_officer)] == [row.pk]
    assert list(records.employments(outsider)) == []


# --- zero-employment households --------------------------------------------------------------


def zero(user: Any, on: dt.date = ON) -> set[int]:
    return {h.pk for h in records.zero_employment_households(user, on)}


def test_zero_employment_household_until_a_member_works(county_officer) -> None:
    household, (_disabled, adult) = household_with(
        [(dt.date(1980, 1, 1), "M"), (dt.date(1985, 1, 1), "F")]
    )
    assert zero(county_officer) == {household.pk}
    row = record(county_officer, adult, valid_from=dt.date(2025, 7, 1))
    assert zero(county_officer) == {household.pk}  # starts the next day
    assert zero(county_officer, dt.date(2025, 7, 1)) == set()
    records.employment_end(
        actor=county_officer, employment_id=row.pk, valid_to=dt.date(2025, 9, 30)
    )
    assert zero(county_officer, dt.date(2025, 10, 1)) == {household.pk}  # back on the list
    listed = records.zero_employment_households(county_officer, ON).get()
    assert listed.working_age == 2  # type: ignore[attr-defined]


def test_household_without_a_disabled_member_or_working_age_member_is_not_listed(
    county_officer,
) -> None:
    no_disabled, _ = household_with([(dt.date(1980, 1, 1), "M")], disabled=None)
    # Only a child (15 on ON) and a man of 60: nobody of working age.
    nobody_of_age, _ = household_with([(dt.date(2010, 1, 1), "M"), (dt.date(1965, 6, 30), "M")])
    assert zero(county_officer) == set()
    assert no_disabled.pk
    assert nobody_of_age.pk


@pytest.mark.parametrize(
    ("birth", "sex", "of_age"),
    [
        (dt.date(2009, 6, 30), "M", True),  # 16 today
        (dt.date(2009, 7, 1), "M", False),  # 16 tomorrow
        (dt.date(1965, 7, 1), "M", True),  # 59, turns 60 tomorrow
        (dt.date(1965, 6, 30), "M", False),  # 60 today
        (dt.date(1970, 7, 1), "F", True),  # 54
        (dt.date(1970, 6, 30), "F", False),  # 55 today
    ],
)
def test_working_age_boundaries_by_sex(county_officer, birth, sex, of_age) -> None:
    # The disabled member is 70: only the second member can make the household listed,
    # and only while of working age; when employed, they take it off the list.
    household, (_, member) = household_with([(dt.date(1955, 1, 1), "M"), (birth, sex)])
    assert (household.pk in zero(county_officer)) is of_age
    record(county_officer, member, valid_from=dt.date(2025, 1, 1))
    assert zero(county_officer) == set()


def test_employment_of_a_member_not_of_working_age_does_not_count(county_officer) -> None:
    household, (_disabled, _adult, old) = household_with(
        [(dt.date(1980, 1, 1), "M"), (dt.date(1982, 1, 1), "F"), (dt.date(1950, 1, 1), "M")]
    )
    record(county_officer, old, kind="agricultural")
    assert zero(county_officer) == {household.pk}


def test_zero_employment_scope_and_one_query(county_officer, city_admin, regions) -> None:
    inside, _ = household_with([(dt.date(1980, 1, 1), "M")])
    outside, _ = household_with([(dt.date(1980, 1, 1), "M")], village="150404002001")
    assert zero(city_admin) == {inside.pk, outside.pk}
    assert zero(county_officer) == {inside.pk}
    assert zero(make_user("county_officer", "150404")) == {outside.pk}
    assert zero(make_user("viewer", "150400")) == set()
    for n in range(5):
        household_with([(dt.date(1981, 1, 1 + n), "F")])
    with CaptureQueriesContext(connection) as queries:
        rows = list(records.zero_employment_households(city_admin, ON))
    assert len(rows) == 7
    assert len(queries.captured_queries) == 1


# --- assisted employment and public-welfare posts --------------------------------------------


def institution(actor: Any, county: str = "150402", **kwargs: Any) -> Any:
    values: dict[str, Any] = {
        "actor": actor,
        "name": "红山区阳光家园",
        "county_code": county,
        "opened_on": dt.date(2024, 1, 1),
        "operator": "红山区残联",
        "capacity": 40,
    }
    values.update(kwargs)
    return records.institution_register(**values)


def test_placement_creates_the_employment_fact_and_counts_by_county(
    county_officer, city_admin
) -> None:
    home = institution(county_officer)
    institution(county_officer, name="红山区庇护工场", opened_on=dt.date(2025, 7, 1))
    institution(city_admin, county="150404", name="松山区工疗站")
    first, second, third = make_person(), make_person(), make_person()
    placed = records.placement_add(
        actor=county_officer,
        kind="assisted",
        id_number=first.id_number,
        institution_id=home.pk,
        valid_from=dt.date(2025, 3, 1),
    )
    assert placed.employment.kind == "assisted"
    assert placed.employment.employer_name == "红山区阳光家园"
    assert placed.county_code == "150402"
    records.placement_add(
        actor=county_officer,
        kind="assisted",
        id_number=second.id_number,
        institution_id=home.pk,
        valid_from=dt.date(2025, 3, 1),
        valid_to=dt.date(2025, 5, 31),
    )
    records.placement_add(
        actor=county_officer,
        kind="public_welfare",
        id_number=third.id_number,
        post="村级残疾人专职委员",
        valid_from=dt.date(2025, 1, 1),
    )
    with CaptureQueriesContext(connection) as queries:
        rows = {r.code: r for r in records.placements_by_county(city_admin, ON)}
    assert len(queries.captured_queries) == 3
    hongshan = rows["150402"]
    # One institution open on ON (the second opens in July); the second person's placement
    # ended in May.
    assert (hongshan.institutions, hongshan.placed, hongshan.public_welfare) == (1, 1, 1)
    assert not hongshan.institutions_met
    assert not hongshan.placed_met
    assert (rows["150404"].institutions, rows["150404"].placed) == (1, 0)
    later = {r.code: r for r in records.placements_by_county(city_admin, dt.date(2025, 7, 1))}
    assert later["150402"].institutions == records.INSTITUTIONS_TARGET
    assert later["150402"].institutions_met
    # A county officer sees their county only; the placements list is by person.
    assert [r.code for r in records.placements_by_county(county_officer, ON)] == ["150402"]
    assert {p.person_id for p in records.placements(county_officer, ON)} == {first.pk, third.pk}
    assert records.placements_by_county(make_user("viewer", "150400"), ON) == []


def test_placement_refusals(county_officer, regions) -> None:
    other = make_user("county_officer", "150404")
    foreign = institution(other, county="150404", name="松山区工疗站")
    home = institution(county_officer, opened_on=dt.date(2025, 6, 1))
    person = make_person()
    cases = [
        ({"kind": "assisted", "institution_id": foreign.pk}, "institution_not_found"),
        ({"kind": "assisted", "institution_id": None}, "institution_not_found"),
        ({"kind": "assisted", "institution_id": home.pk}, "institution_not_open"),
        ({"kind": "public_welfare", "post": ""}, "required"),
        ({"kind": "concentrated"}, "placement_kind"),
    ]
    for changes, code in cases:
        values: dict[str, Any] = {
            "actor": county_officer,
            "id_number": person.id_number,
            "valid_from": dt.date(2025, 3, 1),
        }
        values.update(changes)
        with pytest.raises(ValidationFailed) as refused:
            records.placement_add(**values)
        assert refused.value.code == code
    with pytest.raises(ValidationFailed) as refused:
        records.placement_add(
            actor=other,
            kind="assisted",
            institution_id=foreign.pk,
            id_number=person.id_number,  # a 150402 person
            valid_from=dt.date(2025, 3, 1),
        )
    assert refused.value.code == "person_not_found"
    with pytest.raises(ValidationFailed) as refused:
        institution(county_officer, county="150404")
    assert refused.value.code == "county_out_of_scope"
    assert not Placement.objects.exists()
    assert not Employment.objects.exists()
