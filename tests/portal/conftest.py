"""Fixtures of the portal tests: a certified person, a citizen account, a logged-in client."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.test import Client

from dpf.portal.models import CitizenAccount
from dpf.registry import services
from dpf.registry.models import Certificate, GuardianLink, Person
from tests.factories import make_person, make_user

ISSUED = dt.date(2024, 3, 1)
PHONE_ON_FILE = "13904761234"  # the registry's mobile number for the person


def certified(name: str = "王海明", village: str = "150402001001", **extra: Any) -> Person:
    extra.setdefault("phone", PHONE_ON_FILE)
    person = make_person(name=name, village_code=village, **extra)
    services.certificate_issue(actor=None, person=person, category=4, level=2, issue_date=ISSUED)
    return person


def certificate_number(person: Person) -> str:
    return Certificate.objects.get(person=person).number


def citizen_for(person: Person) -> Any:
    user = make_user("citizen", None)
    CitizenAccount.objects.create(user=user, person=person)
    return user


def client_for(user: Any) -> Client:
    client = Client()
    client.force_login(user)
    return client


def link_guardian(guardian: Person, dependant: Person, **extra: Any) -> GuardianLink:
    return GuardianLink.objects.create(
        guardian=guardian,
        dependant=dependant,
        relation="parent",
        valid_from=extra.pop("valid_from", dt.date(2020, 1, 1)),
        **extra,
    )


@pytest.fixture(autouse=True)
def _memory_sender(settings) -> None:
    from dpf.portal.messaging import MemorySender

    settings.DPF_MESSAGE_SENDER = "dpf.portal.messaging.MemorySender"
    MemorySender.sent.clear()


@pytest.fixture
def person(regions) -> Person:
    return certified()


@pytest.fixture
def citizen(person):
    return citizen_for(person)
