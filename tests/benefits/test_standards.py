"""Which amount standard applies (benefits/standards.py): the person page's ``amount_for``,
the payment list's ``StandardTable`` and the pay-the-higher SQL CASE rank the standards in
force the same way, for every county and level, on every day around the changes."""

from __future__ import annotations

import datetime as dt
import itertools
from decimal import Decimal

import pytest
from django.db.models import IntegerField, Value

from dpf.benefits.exclusive import monthly_standard
from dpf.benefits.models import AmountStandard, BenefitItem
from dpf.benefits.services.versions import amount_for
from dpf.benefits.standards import StandardTable, specificity
from dpf.registry.models import Person
from tests.factories import make_person

pytestmark = pytest.mark.django_db

CHANGE = dt.date(2025, 7, 1)
DAYS = [dt.date(2025, 1, 15), CHANGE - dt.timedelta(days=1), CHANGE, dt.date(2026, 3, 1)]
COUNTIES = ["150402", "150404"]
LEVELS = [1, 2, 3, 4]


@pytest.fixture
def benefit() -> BenefitItem:
    item = BenefitItem.objects.get(code="living_allowance")
    item.standards.all().delete()
    rows = [
        # (county, level, from, to, amount): the city, a city level, one county, one county
        # level; a county level that ends the day before the change, and one that starts then.
        ("", None, dt.date(2024, 1, 1), None, "100.00"),
        ("", 1, dt.date(2024, 1, 1), None, "180.00"),
        ("150402", None, dt.date(2024, 1, 1), None, "120.00"),
        ("150402", 2, dt.date(2024, 1, 1), CHANGE - dt.timedelta(days=1), "140.00"),
        ("150402", 2, CHANGE, None, "160.00"),
        ("150404", 1, CHANGE, None, "90.00"),
    ]
    for region, level, start, end, amount in rows:
        AmountStandard.objects.create(
            benefit=item, region_code=region, level=level, valid_from=start, valid_to=end,
            monthly_amount=Decimal(amount),
        )  # fmt: skip
    return item


def _by_definition(county: str, level: int, day: dt.date) -> Decimal | None:
    """The rule read off the model, independently of the code: of the standards in force
    that name this county or none, and this level or none, the one naming the most."""
    fitting = [
        s
        for s in AmountStandard.objects.filter(benefit__code="living_allowance")
        if s.in_force_on(day) and s.region_code in ("", county) and s.level in (None, level)
    ]
    if not fitting:
        return None
    top = max(fitting, key=lambda s: (bool(s.region_code), s.level is not None))
    return top.monthly_amount


def test_the_three_readers_agree_with_the_rule(benefit: BenefitItem) -> None:
    table = StandardTable.load(benefit)
    persons = {
        county: make_person(village_code=village)
        for county, village in (("150402", "150402001001"), ("150404", "150404002001"))
    }
    for county, level, day in itertools.product(COUNTIES, LEVELS, DAYS):
        expected = _by_definition(county, level, day)
        standard = amount_for(benefit, county_code=county, level=level, as_of=day)
        assert (standard.monthly_amount if standard else None) == expected, (county, level, day)
        assert table.pick(county, level, day) == expected, (county, level, day)
        in_sql = (
            Person.objects.filter(pk=persons[county].pk)
            .annotate(_level=Value(level, output_field=IntegerField()))
            .annotate(_ours=monthly_standard(benefit, day))
            .values_list("_ours", flat=True)
            .get()
        )
        assert in_sql == expected, (county, level, day)


def test_the_more_specific_standard_wins(benefit: BenefitItem) -> None:
    table = StandardTable.load(benefit)
    day = dt.date(2026, 3, 1)
    # county and level beats county; county beats city and level; city level beats city
    assert table.pick("150402", 2, day) == Decimal("160.00")
    assert table.pick("150402", 1, day) == Decimal("120.00")
    assert table.pick("150404", 1, day) == Decimal("90.00")
    assert table.pick("150404", 2, day) == Decimal("100.00")
    assert specificity("150402", 2) > specificity("150402", None) > specificity("", 1)
    assert specificity("", 1) > specificity("", None)


def test_nothing_before_the_first_standard(benefit: BenefitItem) -> None:
    assert StandardTable.load(benefit).pick("150402", 1, dt.date(2023, 12, 31)) is None
