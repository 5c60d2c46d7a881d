"""The needs survey form shows the registry's employment facts in force on the day it is
opened and starts "employed" when there is one (issue 19 part 5); a draft's answer wins."""

from __future__ import annotations

import datetime as dt
import re
import zoneinfo
from collections.abc import Iterator

import pytest
import time_machine
from django.test import Client
from django.urls import reverse

from dpf.employment import records
from dpf.registry.surveys import survey_round_open
from tests.registry.test_surveys import certified

pytestmark = pytest.mark.django_db
NOW = dt.datetime(2025, 11, 20, 10, 0, tzinfo=zoneinfo.ZoneInfo("Asia/Shanghai"))


@pytest.fixture(autouse=True)
def _frozen() -> Iterator[None]:
    with time_machine.travel(NOW, tick=False):
        yield


def _employed_selected(html: str) -> bool:
    """Is the employment status "employed" the chosen one on the form?"""
    tags = re.findall(r"<(?:option|input)[^>]*value=\"employed\"[^>]*>", html)
    assert tags, "the form offers no 'employed' answer"
    return any("selected" in tag or "checked" in tag for tag in tags)


def test_form_prefilled_from_employment_in_force(city_admin, county_officer, village_worker):
    survey_round_open(actor=city_admin, year=2025, reference_date=dt.date(2025, 1, 1))
    person = certified()
    client = Client()
    client.force_login(village_worker)
    url = reverse("registry:survey_person", kwargs={"person_id": person.pk, "year": 2025})
    before = client.get(url).content.decode()
    assert not _employed_selected(before)
    assert "就业登记（在业）" not in before
    row = records.employment_record(
        actor=county_officer,
        id_number=person.id_number,
        kind="self_employed",
        employer_name="海明小卖部",
        valid_from=dt.date(2025, 11, 21),  # tomorrow: not yet in force
    )
    assert not _employed_selected(client.get(url).content.decode())
    row.valid_from = dt.date(2025, 3, 1)
    row.save(update_fields=["valid_from"])
    page = client.get(url).content.decode()
    assert _employed_selected(page)
    assert "就业登记（在业）" in page
    assert "海明小卖部" in page
    assert "2025-03-01" in page
    # A saved draft's own answer is kept.
    client.post(
        url, {"action": "draft", "survey_date": "2025-11-20", "employment_status": "unemployed"}
    )
    assert not _employed_selected(client.get(url).content.decode())
