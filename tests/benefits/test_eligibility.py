"""The two allowances for hand-built people (DOMAIN.md), for one person and for the whole
registry; rule versions by date; a county widening."""

from __future__ import annotations

import datetime as dt

import pytest

from dpf.benefits import selectors, services
from dpf.benefits.eligibility import eligibility_q
from dpf.benefits.models import RuleMode
from dpf.registry.models import Person
from tests.benefits.conftest import AS_OF, benefit, person_with

pytestmark = pytest.mark.django_db


def bulk(code: str, as_of: dt.date = AS_OF) -> set[int]:
    return set(Person.objects.filter(eligibility_q(code, as_of)).values_list("pk", flat=True))


def single(user, person: Person, code: str, as_of: dt.date = AS_OF) -> bool:
    results = {e.benefit.code: e for e in selectors.eligibility_for_person(user, person, as_of)}
    return results[code].eligible


# (case, person facts, living allowance, nursing allowance)
CASES = [
    ("dibao_valid_certificate", {"level": 3, "household": "dibao"}, True, False),
    (
        "tekun",
        {"level": 1, "household": "dibao", "person_status": "tekun", "long_term_care": True},
        False,
        False,
    ),
    (
        "work_injury_care",
        {
            "level": 1,
            "household": "dibao",
            "long_term_care": True,
            "receiving": ("work_injury_care",),
        },
        False,
        False,
    ),
    (
        "orphan_support",
        {
            "level": 1,
            "household": "dibao",
            "long_term_care": True,
            "receiving": ("orphan_support",),
        },
        False,
        True,
    ),
    (
        "level1_long_term_care",
        {"level": 1, "household": "none", "long_term_care": True},
        False,
        True,
    ),
    ("level2_no_care_need", {"level": 2, "household": "none"}, False, False),
    (
        "expired_certificate",
        {
            "level": 1,
            "household": "dibao",
            "long_term_care": True,
            "cert_from": dt.date(2010, 1, 1),
            "cert_to": dt.date(2019, 12, 31),
        },
        False,
        False,
    ),
    (
        "dead",
        {"level": 1, "household": "dibao", "long_term_care": True, "died": dt.date(2025, 1, 1)},
        False,
        False,
    ),
    ("no_certificate", {"level": None, "household": "dibao", "long_term_care": True}, False, False),
]


@pytest.mark.parametrize(("case", "facts", "living", "nursing"), CASES, ids=[c[0] for c in CASES])
def test_allowances_for_one_person_and_the_registry(city_admin, case, facts, living, nursing):
    person = person_with(**facts)
    assert single(city_admin, person, "living_allowance") is living
    assert single(city_admin, person, "nursing_allowance") is nursing
    assert (person.pk in bulk("living_allowance")) is living
    assert (person.pk in bulk("nursing_allowance")) is nursing


def test_explanation_names_the_failing_clause(city_admin):
    person = person_with(level=3, household="none")
    result = {
        e.benefit.code: e for e in selectors.eligibility_for_person(city_admin, person, AS_OF)
    }
    living = result["living_allowance"]
    assert living.eligible is False
    failing = [c for c in living.base if c.value is False]
    assert failing, "a refused person is told which clause failed"
    assert any("household" in c.text for c in failing)
    assert all(c.label and c.label_en for c in living.base)


def test_person_outside_the_scope_is_not_found(regions):
    from dpf.core.errors import NotFound
    from tests.factories import make_user

    other_county = make_user("county_officer", "150404")
    person = person_with(village="150402001001")
    with pytest.raises(NotFound):
        selectors.eligibility_for_person(other_county, person, AS_OF)


def test_version_in_force_on_the_as_of_date_applies(city_admin):
    level3 = person_with(level=3, household="none", long_term_care=True)
    services.rule_version_publish(
        actor=city_admin,
        benefit=benefit("nursing_allowance"),
        text="alive && certificate.valid && certificate.level in [1, 2, 3] && long_term_care_need",
        valid_from=dt.date(2026, 1, 1),
    )
    assert level3.pk not in bulk("nursing_allowance", dt.date(2025, 12, 31))
    assert level3.pk in bulk("nursing_allowance", dt.date(2026, 1, 1))
    assert single(city_admin, level3, "nursing_allowance", dt.date(2025, 12, 31)) is False
    assert single(city_admin, level3, "nursing_allowance", dt.date(2026, 1, 1)) is True


WIDEN_150402 = (
    "alive && certificate.valid && certificate.level in [3, 4] && certificate.category in [5, 6]"
    " && long_term_care_need"
)


def test_county_widening_applies_to_its_own_residents_only(city_admin):
    hongshan = person_with(village="150402001001", level=3, category=5, long_term_care=True)
    songshan = person_with(village="150404002001", level=3, category=5, long_term_care=True)
    physical = person_with(village="150402001002", level=3, category=4, long_term_care=True)
    assert hongshan.pk not in bulk("nursing_allowance")
    services.rule_version_publish(
        actor=city_admin,
        benefit=benefit("nursing_allowance"),
        text=WIDEN_150402,
        region_code="150402",
        mode=RuleMode.WIDEN,
        valid_from=dt.date(2025, 1, 1),
    )
    eligible = bulk("nursing_allowance")
    assert hongshan.pk in eligible
    assert songshan.pk not in eligible
    assert physical.pk not in eligible
    assert single(city_admin, hongshan, "nursing_allowance") is True
    assert single(city_admin, songshan, "nursing_allowance") is False
    # Before the widening took effect, 150402 followed the base rule.
    assert hongshan.pk not in bulk("nursing_allowance", dt.date(2024, 12, 31))
    result = {
        e.benefit.code: e for e in selectors.eligibility_for_person(city_admin, hongshan, AS_OF)
    }
    assert result["nursing_allowance"].widening_region == "150402"
    assert result["nursing_allowance"].widening is not None
