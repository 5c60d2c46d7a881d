"""Social organisations: registration (credit code checked, once), incubation dates (T0508
counts those incubated by the date), purchased service projects with budget, delivery
records within the project's dates, one evaluation after a delivery; another county's
organisation is not found; the pages."""

from __future__ import annotations

import datetime as dt
import itertools
from typing import Any

import pytest
from django.test import Client
from django.urls import reverse

from dpf.accounts.permissions import PermissionRefused
from dpf.core.creditcode import check_character
from dpf.core.errors import ValidationFailed
from dpf.social import counters, organisations
from dpf.social.models import ServiceProject, SocialOrganisation
from tests.factories import ensure_test_regions, make_user

pytestmark = pytest.mark.django_db
TOWNSHIP = "150402001"
_codes = itertools.count(1)


def credit_code(county: str = "150402") -> str:
    first17 = f"52{county}MJ{next(_codes):07d}"
    return first17 + check_character(first17)


@pytest.fixture
def officer() -> Any:
    ensure_test_regions()
    return make_user("county_officer", "150402")


def register(officer: Any, **kw: Any) -> SocialOrganisation:
    values: dict[str, Any] = {
        "actor": officer,
        "name": "红山区阳光助残服务中心",
        "credit_code": credit_code(),
        "kind": "service",
        "township_code": TOWNSHIP,
        "registered_on": dt.date(2023, 3, 1),
        "incubation_from": dt.date(2023, 4, 1),
    }
    values.update(kw)
    return organisations.organisation_register(**values)


def test_registration_incubation_and_t0508(officer: Any) -> None:
    code = credit_code()
    organisation = register(officer, credit_code=code)
    with pytest.raises(ValidationFailed) as twice:
        register(officer, credit_code=code, name="重复")
    assert twice.value.code == "organisation_registered"
    with pytest.raises(ValidationFailed):
        register(officer, credit_code="123")
    with pytest.raises(ValidationFailed) as early:
        organisations.organisation_incubated(
            actor=officer, organisation_id=organisation.pk, incubated_on=dt.date(2023, 3, 1)
        )
    assert early.value.code == "incubated_before_start"
    organisations.organisation_incubated(
        actor=officer, organisation_id=organisation.pk, incubated_on=dt.date(2024, 6, 30)
    )
    register(officer)  # in incubation, not counted
    assert counters.organisations_incubated(dt.date(2024, 6, 29), None) == {}
    assert counters.organisations_incubated(dt.date(2025, 12, 31), None) == {TOWNSHIP: 1}
    assert counters.organisations_incubated(dt.date(2025, 12, 31), dt.date(2025, 1, 1)) == {}


def test_projects_deliveries_and_one_evaluation(officer: Any) -> None:
    organisation = register(officer)
    project = organisations.project_create(
        actor=officer,
        organisation_id=organisation.pk,
        title="残疾人居家托养服务",
        purchaser="红山区残联",
        budget="120,000",
        start=dt.date(2025, 1, 1),
        end=dt.date(2025, 12, 31),
    )
    assert str(project.budget) == "120000.00"
    with pytest.raises(ValidationFailed) as no_delivery:
        organisations.project_evaluate(
            actor=officer,
            project_id=project.pk,
            evaluated_on=dt.date(2026, 1, 10),
            score=90,
            evaluation="良好",
        )
    assert no_delivery.value.code == "no_delivery"
    with pytest.raises(ValidationFailed) as outside:
        organisations.delivery_record(
            actor=officer,
            project_id=project.pk,
            delivered_on=dt.date(2026, 1, 5),
            description="上门照护",
            persons_served=12,
        )
    assert outside.value.code == "delivery_outside_project"
    organisations.delivery_record(
        actor=officer,
        project_id=project.pk,
        delivered_on=dt.date(2025, 3, 5),
        description="上门照护",
        persons_served=12,
    )
    organisations.project_evaluate(
        actor=officer,
        project_id=project.pk,
        evaluated_on=dt.date(2026, 1, 10),
        score=88,
        evaluation="服务到位",
    )
    with pytest.raises(ValidationFailed) as again:
        organisations.project_evaluate(
            actor=officer,
            project_id=project.pk,
            evaluated_on=dt.date(2026, 1, 11),
            score=60,
            evaluation="再评",
        )
    assert again.value.code == "evaluated"
    project.refresh_from_db()
    assert project.score == 88
    [row] = organisations.projects_of(organisation)
    annotated: Any = row  # annotated with its deliveries' count and persons served
    assert (annotated.delivered, annotated.served) == (1, 12)


def test_another_county_is_refused(officer: Any) -> None:
    organisation = register(officer)
    other = make_user("county_officer", "150404")
    with pytest.raises(PermissionRefused):
        organisations.organisation_for(other, organisation.pk)
    with pytest.raises(PermissionRefused):
        organisations.project_create(
            actor=other,
            organisation_id=organisation.pk,
            title="x",
            purchaser="x",
            budget="1",
            start=dt.date(2025, 1, 1),
            end=dt.date(2025, 2, 1),
        )
    with pytest.raises(ValidationFailed):
        register(other)  # a township of another county
    for role in ("township_officer", "village_worker", "volunteer", "viewer"):
        with pytest.raises(PermissionRefused):
            organisations.organisations(make_user(role, TOWNSHIP))
    assert not ServiceProject.objects.exists()


def test_the_pages(officer: Any) -> None:
    client = Client()
    client.force_login(officer)
    url = reverse("social:organisations")
    assert client.get(url).status_code == 200
    bad = client.post(url, {"name": "x", "credit_code": "1", "kind": "service"})
    assert bad.status_code == 400
    assert not SocialOrganisation.objects.exists()
    done = client.post(
        url,
        {
            "name": "阳光助残",
            "credit_code": credit_code(),
            "kind": "association",
            "township_code": TOWNSHIP,
            "registered_on": "2024-01-02",
            "incubation_from": "2024-02-01",
        },
    )
    assert done.status_code == 302
    page = client.post(
        done["Location"],
        {
            "action": "project",
            "p-title": "康复训练",
            "p-purchaser": "区残联",
            "p-budget": "5000",
            "p-start": "2025-01-01",
            "p-end": "2025-06-30",
        },
    )
    assert page.status_code == 302
    project_page = client.get(page["Location"])
    assert project_page.status_code == 200
    assert "康复训练" in project_page.content.decode()
    other = Client()
    other.force_login(make_user("county_officer", "150404"))
    assert other.get(page["Location"]).status_code == 404
    assert other.get(done["Location"]).status_code == 404
