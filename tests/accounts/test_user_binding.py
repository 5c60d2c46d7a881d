"""Every staff user is bound to one region or one institution, by the database."""

from __future__ import annotations

import pytest
from django.db import IntegrityError, transaction

from dpf.accounts.models import User
from tests.factories import ensure_test_regions

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(
    "role", ["city_admin", "county_officer", "township_officer", "village_worker"]
)
def test_region_staff_need_a_region(role: str) -> None:
    ensure_test_regions()
    with pytest.raises(IntegrityError), transaction.atomic():
        User.objects.create_user(username=f"no-region-{role}", role=role, region=None)
    User.objects.create_user(username=f"in-region-{role}", role=role, region_id="150402")


@pytest.mark.parametrize("role", ["institution_staff", "employer"])
def test_institution_roles_need_their_institution(role: str) -> None:
    with pytest.raises(IntegrityError), transaction.atomic():
        User.objects.create_user(username=f"no-institution-{role}", role=role)
    assert not User.objects.filter(role=role).exists()
    User.objects.create_user(username=f"bound-{role}", role=role, institution_code="REHAB-01")
    assert User.objects.filter(role=role).count() == 1
