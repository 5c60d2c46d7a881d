"""Every entry point of a person's name refuses invisible, control and text-direction
characters (issue 14, hole 7) through ``dpf.core.text``: the registration form
(``tests/registry/test_registration_input.py``), roster rows and the exchange API
(``test_text.py``, ``test_number_entry_points.py``), and here the window's guardian name
and the bank account holder given at the window or online in the portal."""

from __future__ import annotations

import pytest
from django.test import Client
from django.urls import reverse

from dpf.core.errors import DomainError
from dpf.core.text import InvalidName
from dpf.portal.models import CitizenAccount
from dpf.workflow import services
from dpf.workflow.models import Application, PayeeAccount
from tests.benefits.conftest import person_with
from tests.factories import make_user

pytestmark = pytest.mark.django_db

SPOOFED = "张\u202e明海"  # staff would read 张海明


def test_the_window_refuses_a_guardian_name_with_a_direction_override(county_officer) -> None:
    person = person_with(level=1, household="dibao")
    with pytest.raises(InvalidName) as info:
        services.application_submit(
            actor=county_officer,
            person=person,
            benefit_codes=["living_allowance"],
            applicant_kind="guardian",
            applicant_name=SPOOFED,
            applicant_relation="父亲",
            channel="window",
        )
    assert info.value.code == "name_characters"
    assert info.value.field == "applicant_name"
    assert not Application.objects.exists()


def test_the_window_refuses_an_account_holder_with_a_zero_width_space(county_officer) -> None:
    person = person_with(level=1, household="dibao")
    with pytest.raises(InvalidName) as info:
        services.application_submit(
            actor=county_officer,
            person=person,
            benefit_codes=["living_allowance"],
            applicant_kind="worker",
            channel="window",
            bank=services.BankDetails("中国建设银行", "张\u200b海明", "6217000099998888777"),
        )
    assert info.value.field == "account_holder"
    assert not Application.objects.exists()
    assert not PayeeAccount.objects.exists()


def test_the_portal_refuses_an_account_holder_with_a_direction_override() -> None:
    person = person_with(level=1, household="dibao")
    user = make_user("citizen", None)
    CitizenAccount.objects.create(user=user, person=person)
    client = Client()
    client.force_login(user)
    response = client.post(
        reverse("portal:apply"),
        {
            "benefits": ["nursing_allowance"],
            "bank_name": "中国建设银行",
            "account_holder": SPOOFED,
            "account_number": "6217000099998888777",
        },
    )
    assert response.status_code == 400
    assert "U+202E" in response.content.decode()
    assert not Application.objects.exists()
    assert not PayeeAccount.objects.exists()


def test_a_bank_name_with_a_line_separator_is_refused(county_officer) -> None:
    person = person_with(level=1, household="dibao")
    with pytest.raises(DomainError) as info:
        services.application_submit(
            actor=county_officer,
            person=person,
            benefit_codes=["living_allowance"],
            applicant_kind="worker",
            channel="window",
            bank=services.BankDetails("中国\u2028建设银行", "张海明", "6217000099998888777"),
        )
    assert info.value.code == "text_characters"
    assert not PayeeAccount.objects.exists()
