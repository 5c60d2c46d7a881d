"""The demo's service records make I09, I10, T0302, T0305 and T0306 give figures (not
"no data")."""

from __future__ import annotations

import datetime as dt
import random
from dataclasses import dataclass, field

import pytest

from dpf.demo.service_records import rehabilitation
from dpf.indicators import compute
from dpf.indicators.models import Plan, Status
from dpf.services.models import Institution, RehabPlan, RehabSession
from tests.services.conftest import certified_person

pytestmark = pytest.mark.django_db
AS_OF = dt.date(2025, 12, 31)


@dataclass
class Counts:
    rows: dict[str, int] = field(default_factory=dict)

    def add(self, table: str, n: int) -> None:
        self.rows[table] = self.rows.get(table, 0) + n


@dataclass
class Step:
    """What a demo step reads of the demo's context (dpf.demo.context.DemoContext)."""

    as_of: dt.date
    seed: int = 7
    counts: Counts = field(default_factory=Counts)

    def rng(self, name: str) -> random.Random:
        return random.Random(f"{name}:{self.seed}")


def test_the_demo_step_gives_service_figures(regions: None) -> None:
    for n in range(30):
        person = certified_person(name=f"演示{n}", rehab_need=n % 3 != 0)
        if n % 2:
            person.surveys.update(device_need="wheelchair")
    step = Step(as_of=AS_OF)
    rehabilitation(step)
    assert Institution.objects.filter(code="DEMO-REHAB-01").exists()
    assert RehabPlan.objects.exists() and RehabSession.objects.exists()
    assert (
        step.counts.rows["services_rehabplan"] == RehabPlan.objects.exclude(kind="device").count()
    )
    assert step.counts.rows["services_devicefitting"] > 0
    plan = Plan.objects.get(code="P14")
    city = {r.indicator.code: r for r in compute.compute(plan, AS_OF) if r.region_code == "150400"}
    for code in ("I09", "I10", "T0302", "T0305", "T0306"):
        assert city[code].status != Status.NO_DATA, code
    assert city["T0306"].value == 12
    coverage = city["I09"].value
    assert coverage is not None and 0 < coverage <= 100
    rehabilitation(step)  # a second run adds nothing
    assert Institution.objects.count() == 14
