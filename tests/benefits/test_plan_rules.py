"""Rules that contradicted the plan, corrected by new versions from 2027-01-01 (issue 15
part 6), and the rules meaning a 特困 person (part 3); each rule names its source; the
versions before stay as they were."""

from __future__ import annotations

import datetime as dt
import importlib

import pytest

from dpf.benefits.catalogue import shipped_catalogue
from dpf.benefits.eligibility import eligibility_q
from dpf.benefits.models import BenefitItem, RuleVersion
from dpf.registry.models import Person
from tests.benefits.conftest import person_with

pytestmark = pytest.mark.django_db

# the migration that published the 2027 versions (its module name starts with a digit)
PUBLISHING = importlib.import_module(
    "dpf.benefits.migrations.0007_publish_rules_per_plan_and_person_tekun"
)

NEW = dt.date(2027, 3, 1)
OLD = dt.date(2026, 3, 1)


def eligible(code: str, as_of: dt.date) -> set[int]:
    return set(Person.objects.filter(eligibility_q(code, as_of)).values_list("pk", flat=True))


def test_child_rehabilitation_covers_up_to_the_day_before_the_eighth_birthday(regions) -> None:
    need = {"rehab_need": True}
    seven = person_with(birth=dt.date(2019, 3, 2), level=None, household=None, survey=need)
    eight = person_with(birth=dt.date(2019, 3, 1), level=None, household=None, survey=need)
    six = person_with(birth=dt.date(2020, 6, 1), level=None, household=None, survey=need)
    assert eligible("child_rehab", NEW) >= {seven.pk, six.pk}
    assert eight.pk not in eligible("child_rehab", NEW)
    # before the new version: under 7 only (history unchanged)
    seven_in_2026 = person_with(birth=dt.date(2019, 2, 1), level=None, household=None, survey=need)
    assert seven_in_2026.pk not in eligible("child_rehab", OLD)
    assert seven_in_2026.pk in eligible("child_rehab", dt.date(2027, 1, 1))


@pytest.mark.parametrize(
    ("birth", "category", "level", "expected"),
    [
        (dt.date(1990, 1, 1), 5, 3, True),  # intellectual, any level, working age
        (dt.date(1990, 1, 1), 6, 4, True),  # mental
        (dt.date(1990, 1, 1), 4, 2, True),  # severe physical
        (dt.date(1990, 1, 1), 4, 3, False),  # physical, not severe
        (dt.date(1960, 1, 1), 5, 1, False),  # past working age
        (dt.date(2012, 1, 1), 6, 1, False),  # under 16
        (dt.date(1990, 1, 1), 1, 1, False),  # visual
    ],
)
def test_care_services_follow_the_plan(regions, birth, category, level, expected) -> None:
    person = person_with(
        birth=birth, category=category, level=level, household=None, survey={"care_need": True}
    )
    assert (person.pk in eligible("care_service", NEW)) is expected


def test_a_tekun_person_keeps_the_household_programmes_rules(regions) -> None:
    """Medical subsidy meant 低保 or 特困: a 特困 person in an ordinary household qualifies
    from the new version on; before it, the rule read the household only."""
    person = person_with(level=3, household="none", person_status="tekun")
    assert person.pk in eligible("medical_subsidy", NEW)
    assert person.pk not in eligible("medical_subsidy", OLD)


def test_every_shipped_rule_names_its_source() -> None:
    for item in shipped_catalogue().values():
        for rule in item.rules:
            assert rule.source, item.code
    versions = RuleVersion.objects.filter(benefit__code="care_service", mode="base")
    assert "三（一）3" in versions.get(valid_from=dt.date(2027, 1, 1)).note


def test_publishing_ends_the_old_version_and_leaves_changed_rules_alone(regions) -> None:
    """An installation migrated before the new versions shipped: the open shipped version
    ends on 2026-12-31 and the new starts; a rule the city admin changed is not touched."""
    base = RuleVersion.objects.filter(mode="base", region_code="")
    base.filter(valid_from=dt.date(2027, 1, 1)).delete()
    base.filter(valid_to=dt.date(2026, 12, 31)).update(valid_to=None)
    changed = base.get(benefit__code="care_service", valid_to__isnull=True)
    changed.text = "alive && certificate.valid"
    changed.save()
    published = PUBLISHING.publish(BenefitItem, RuleVersion)
    assert published == 6
    child = base.filter(benefit__code="child_rehab").order_by("valid_from")
    assert [(v.valid_from, v.valid_to) for v in child] == [
        (dt.date(2018, 10, 1), dt.date(2026, 12, 31)),
        (dt.date(2027, 1, 1), None),
    ]
    assert not base.filter(benefit__code="care_service", valid_from=dt.date(2027, 1, 1)).exists()
    assert PUBLISHING.publish(BenefitItem, RuleVersion) == 0
