"""The rule preview counts monthly money by county as well as people, in one statement
whatever the number of people (issue 17 part 8)."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from dpf.benefits import services
from dpf.benefits.models import AmountStandard
from tests.benefits.conftest import AS_OF, benefit, person_with

pytestmark = pytest.mark.django_db

NURSING_123 = "alive && certificate.valid && certificate.level in [1, 2, 3] && long_term_care_need"


def _standards(city_admin) -> None:
    """Known standards on AS_OF: 150402 level 3 pays 80, level 1 pays 150; the city 60."""
    nursing = benefit("nursing_allowance")
    AmountStandard.objects.filter(benefit=nursing).delete()
    for region, level, amount in [
        ("150402", 3, "80.00"),
        ("150402", 1, "150.00"),
        ("", None, "60"),
    ]:
        services.standard_set(
            actor=city_admin,
            benefit=nursing,
            monthly_amount=amount,
            valid_from=dt.date(2020, 1, 1),
            region_code=region,
            level=level,
        )


def _preview(city_admin):
    rows = services.rule_change_preview(
        actor=city_admin, benefit=benefit("nursing_allowance"), text=NURSING_123, as_of=AS_OF
    )
    return {r.county_code: r for r in rows}


def test_preview_counts_monthly_money_by_county(city_admin):
    _standards(city_admin)
    person_with(village="150402001001", level=3, long_term_care=True)  # gains 80
    person_with(village="150402001002", level=3, long_term_care=True)  # gains 80
    person_with(village="150402001001", level=1, long_term_care=True)  # keeps 150
    person_with(village="150404002001", level=3, long_term_care=True)  # gains the city's 60
    by = _preview(city_admin)
    assert (by["150402"].money_current, by["150402"].money_proposed) == (
        Decimal("150.00"),
        Decimal("310.00"),
    )
    assert by["150402"].money_change == Decimal("160.00")
    assert (by["150404"].money_current, by["150404"].money_proposed) == (0, Decimal("60"))
    assert by["150421"].money_proposed == 0


def test_preview_queries_do_not_grow_with_the_number_of_people(city_admin):
    _standards(city_admin)
    person_with(village="150402001001", level=3, long_term_care=True)
    with CaptureQueriesContext(connection) as few:
        _preview(city_admin)
    for village in ["150402001002", "150404002001", "150402001001"] * 3:
        person_with(village=village, level=3, long_term_care=True)
    with CaptureQueriesContext(connection) as many:
        by = _preview(city_admin)
    assert sum(r.proposed for r in by.values()) == 10
    assert len(many.captured_queries) == len(few.captured_queries), [
        q["sql"][:120] for q in many.captured_queries
    ]
