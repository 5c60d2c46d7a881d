"""The demo's employment step: the registry's employment facts, assisted-employment
institutions and placements in the services' shapes (each placement's fact of its kind),
nothing added on a second run, and the zero-employment list still holding households."""

from __future__ import annotations

import datetime as dt

import pytest

from dpf.demo.context import DemoContext
from dpf.demo.employment_records import employment
from dpf.employment import records
from dpf.employment.models import AssistedInstitution, Placement
from dpf.registry.models import Employment
from tests.benefits.conftest import person_with

pytestmark = pytest.mark.django_db
AS_OF = dt.date(2025, 12, 31)


def test_employment_step(regions, city_admin) -> None:
    for n in range(120):
        person_with(level=1 + n % 4, birth=dt.date(1970 + n % 30, 1 + n % 12, 1))
    ctx = DemoContext(seed=7, as_of=AS_OF)
    employment(ctx)
    facts = Employment.objects.count()
    assert 0 < facts < 120
    for placement in Placement.objects.select_related("employment", "institution"):
        assert placement.employment.kind == placement.kind
        assert placement.employment.person_id == placement.person_id
        if placement.institution is not None:
            assert placement.employment.valid_from >= placement.institution.opened_on
            assert placement.county_code == placement.institution.county_code
    assert ctx.counts.rows["registry_employment"] == facts
    employment(DemoContext(seed=7, as_of=AS_OF))  # a second run adds nothing
    assert Employment.objects.count() == facts
    assert AssistedInstitution.objects.count() <= 3 * 2  # the test registry has two counties
    assert records.zero_employment_households(city_admin, AS_OF).exists()
