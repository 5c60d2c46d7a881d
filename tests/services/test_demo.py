"""The demo's service records make I09, I10, T0302, T0305 and T0306 give figures (not
"no data")."""

from __future__ import annotations

import datetime as dt
import hashlib
import io
import random
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from django.conf import settings
from PIL import Image

from dpf.demo.service_records import rehabilitation
from dpf.indicators import compute
from dpf.indicators.models import Plan, Status
from dpf.services.models import Institution, RehabPlan, RehabSession
from dpf.services.services import PHOTO_FOLDER
from dpf.workflow import documents
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
    assert RehabPlan.objects.exists()
    assert RehabSession.objects.exists()
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
    assert coverage is not None
    assert 0 < coverage <= 100
    rehabilitation(step)  # a second run adds nothing
    assert Institution.objects.count() == 14


def test_the_later_service_steps_give_i11_a_figure_and_follow_children(regions: None) -> None:
    """Renovations (I11 a figure, each household once), children of 6-15 not in school on
    their region's list, care placements; a second run adds nothing."""
    from dpf.demo.service_more import care, renovations, schooling
    from dpf.registry.models import SchoolEnrolment
    from dpf.services.models import CarePlacement, HomeRenovation, NotEnrolled, RenovationPhoto
    from tests.factories import make_person

    for n in range(60):
        certified_person(name=f"改造{n}", rehab_need=False)
    kids = []
    for n in range(3):
        kid = make_person(name=f"学童{n}", birth=dt.date(2015, 3, 1))
        from dpf.registry import services as registry

        registry.certificate_issue(
            actor=None, person=kid, category=4, level=2, issue_date=dt.date(2021, 6, 1)
        )
        kids.append(kid)
    SchoolEnrolment.objects.create(
        person=kids[0], school="实验小学", valid_from=dt.date(2021, 9, 1)
    )
    step = Step(as_of=AS_OF)
    for _run in (1, 2):  # a second run adds nothing
        renovations(step)
        schooling(step)
        care(step)
        accepted = HomeRenovation.objects.filter(accepted_on__isnull=False)
        assert accepted.count() > 0
        assert accepted.values("household_id").distinct().count() == accepted.count()
        assert sorted(NotEnrolled.objects.values_list("person_id", flat=True)) == sorted(
            k.pk for k in kids[1:]
        )
        assert step.counts.rows["services_homerenovation"] == HomeRenovation.objects.count()
    assert step.counts.rows["services_careplacement"] == CarePlacement.objects.count()
    # Each completed renovation has one photo: a valid PNG, stored encrypted as uploads are.
    completed = HomeRenovation.objects.filter(completed_on__isnull=False)
    photos = RenovationPhoto.objects.filter(renovation__in=completed)
    assert completed.exists()
    assert photos.count() == completed.count() == step.counts.rows["services_renovationphoto"]
    assert not RenovationPhoto.objects.exclude(renovation__in=completed).exists()
    first = photos.order_by("pk").first()
    assert first is not None
    data = documents.read(first.stored_name, folder=PHOTO_FOLDER)
    assert len(data) < 500
    assert first.sha256 == hashlib.sha256(data).hexdigest()
    with Image.open(io.BytesIO(data)) as image:
        image.load()
        assert image.format == "PNG"
    stored = Path(settings.MEDIA_ROOT) / PHOTO_FOLDER / first.stored_name
    assert data not in stored.read_bytes()
    plan = Plan.objects.get(code="P14")
    city = {r.indicator.code: r for r in compute.compute(plan, AS_OF) if r.region_code == "150400"}
    assert city["I11"].status != Status.NO_DATA
    assert city["I11"].value == accepted.filter(accepted_on__lte=AS_OF).count()


def test_the_demo_care_placements_subsidies_are_the_care_benefit(regions: None) -> None:
    """Placements with a subsidy hold the catalogue's care benefit for their days at that
    amount (the shape ``workflow.entitlement_grant`` writes), so the lists pay them; a
    second run adds nothing."""
    from dpf.benefits.models import Entitlement
    from dpf.demo.service_more import care
    from dpf.services.models import CarePlacement
    from dpf.workflow.models import EntitlementEvent

    for n in range(60):
        certified_person(name=f"托养{n}", rehab_need=False)
    for seed in range(1, 30):  # about 2 % are placed: the first seed that places someone
        care(Step(as_of=AS_OF, seed=seed))
        if CarePlacement.objects.exists():
            break
    subsidised = list(
        CarePlacement.objects.filter(monthly_subsidy__gt=0).select_related("entitlement__benefit")
    )
    assert subsidised
    for placement in subsidised:
        e = placement.entitlement
        assert e is not None
        assert (e.person_id, e.valid_from, e.valid_to) == (
            placement.person_id,
            placement.start,
            placement.end,
        )
        assert (e.monthly_amount, e.amount_fixed, e.status) == (
            placement.monthly_subsidy,
            True,
            "active",
        )
        assert e.benefit.code == "care_service"
        assert list(
            EntitlementEvent.objects.filter(entitlement=e).values_list("kind", "source")
        ) == [("created", f"care_placement:{placement.pk}")]
    before = Entitlement.objects.count()
    care(Step(as_of=AS_OF))
    assert Entitlement.objects.count() == before
