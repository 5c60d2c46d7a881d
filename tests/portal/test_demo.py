"""Demo citizen accounts: linked to synthetic persons of 红山区 (demo databases only)."""

from __future__ import annotations

import pytest

from dpf.demo import services as demo_services
from dpf.portal.demo import demo_citizens_link
from dpf.portal.models import CitizenAccount
from dpf.registry.models import Person
from tests.portal.conftest import certified, link_guardian

pytestmark = pytest.mark.django_db


def test_demo_citizen_and_guardian_are_linked(regions) -> None:
    person = certified(name="演示人")
    guardian = certified(name="演示监护人")
    child = certified(name="演示孩子")
    link_guardian(guardian, child)
    Person.objects.filter(pk__in=[person.pk, guardian.pk, child.pk]).update(synthetic=True)
    demo_services.demo_accounts_create(force=True)
    linked = demo_citizens_link(demo_services.DEMO_PASSWORD)
    assert [u for u, _ in linked] == ["demo_citizen", "demo_guardian"]
    citizen = CitizenAccount.objects.get(user__username="demo_citizen")
    assert citizen.person.certificates.exists()
    assert CitizenAccount.objects.get(user__username="demo_guardian").person == guardian
    assert demo_citizens_link(demo_services.DEMO_PASSWORD) == linked  # idempotent
