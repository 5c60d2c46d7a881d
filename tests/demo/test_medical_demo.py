"""The demo's medical settlements: a handful of large bills (three settlements a person,
the out-of-pocket part over the shipped line) and small ones, in the roster's shape, nothing
added on a second run; the shipped risk rule finds the large ones' households."""

from __future__ import annotations

import datetime as dt
import importlib
from decimal import Decimal

import pytest
from django.apps import apps

from dpf.demo.context import DemoContext
from dpf.demo.medical import medical_settlements
from dpf.registry.models import MedicalSettlement, Person
from dpf.social import monitoring
from dpf.social.models import RiskCase
from tests.benefits.conftest import person_with
from tests.factories import make_user

pytestmark = pytest.mark.django_db
AS_OF = dt.date(2025, 12, 31)


def test_medical_settlements_step(regions) -> None:
    poor = {
        person_with(
            level=1 + n % 4,
            birth=dt.date(1970 + n % 30, 1 + n % 12, 1),
            household=None if n % 5 else "dibao",
        ).pk
        for n in range(40)
    } & set(Person.objects.filter(household__statuses__status="dibao").values_list("pk", flat=True))
    ctx = DemoContext(seed=7, as_of=AS_OF)
    medical_settlements(ctx)
    rows = list(MedicalSettlement.objects.all())
    assert ctx.counts.rows["registry_medicalsettlement"] == len(rows) >= 15
    assert not poor & {s.person_id for s in rows}  # 低保 households are left out
    for s in rows:
        assert s.out_of_pocket == s.total - s.reimbursed - s.assistance >= 0
        assert AS_OF - dt.timedelta(days=364) <= s.settled_on <= AS_OF
    medical_settlements(DemoContext(seed=7, as_of=AS_OF))  # a second run adds nothing
    assert MedicalSettlement.objects.count() == len(rows)
    by_person: dict[int, Decimal] = {}
    for s in rows:
        by_person[s.person_id] = by_person.get(s.person_id, Decimal(0)) + s.out_of_pocket
    large = {pk for pk, amount in by_person.items() if amount >= 20000}
    assert len(large) >= 5
    importlib.import_module("dpf.social.migrations.0012_ship_large_medical_expense_rule").forwards(
        apps, None
    )
    monitoring.risk_scan(actor=make_user("city_admin", "150400"), on=AS_OF)
    found = set(
        RiskCase.objects.filter(rule_code="large_medical_expense").values_list(
            "household_id", flat=True
        )
    )
    households = set(Person.objects.filter(pk__in=large).values_list("household_id", flat=True))
    assert found == households
