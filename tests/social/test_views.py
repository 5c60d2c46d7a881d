"""The return-to-poverty pages: the county scans, the village worker records the visit, a
measure and the closure on the case page; refusals next to the field with 400, nothing
written; another county's case answers 404; the list in constant queries."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

import pytest
import time_machine
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from dpf.registry import services as registry
from dpf.registry.models import NeedsSurvey
from dpf.social import monitoring
from dpf.social.models import RiskCase, RiskRule, RiskThreshold
from tests.factories import ensure_test_regions, make_person, make_user

pytestmark = pytest.mark.django_db
ON = dt.date(2026, 5, 10)
ON_TODAY = time_machine.travel(dt.datetime(2026, 5, 10, 10, 0, tzinfo=dt.UTC), tick=False)
VILLAGE = "150402001001"


def _client(user: Any) -> Client:
    client = Client()
    client.force_login(user)
    return client


def poor_person(village: str = VILLAGE) -> Any:
    """Below the line; not living alone (a severe person alone is a risk of its own)."""
    person = make_person(village_code=village)
    make_person(household=person.household, village_code=village)
    registry.certificate_issue(
        actor=None, person=person, category=4, level=2, issue_date=dt.date(2020, 1, 1), today=ON
    )
    NeedsSurvey.objects.create(
        person=person, year=2026, survey_date=dt.date(2026, 3, 1), income_per_capita=Decimal(100)
    )
    return person


@pytest.fixture
def shipped() -> None:
    """The shipped rules and line (put back if an earlier test's flush removed them)."""
    import importlib

    from django.apps import apps

    ensure_test_regions()
    if not RiskRule.objects.exists() or not RiskThreshold.objects.exists():
        importlib.import_module("dpf.social.migrations.0003_ship_risk_rules").forwards(apps, None)


@ON_TODAY
def test_scan_visit_measure_close_on_the_pages(shipped: None) -> None:
    poor_person()
    worker = make_user("village_worker", VILLAGE)
    county = _client(make_user("county_officer", "150402"))
    listing = reverse("social:risk_cases")
    assert county.post(listing).status_code == 302
    case = RiskCase.objects.get()
    page = county.get(listing).content.decode()
    assert case.rule_name in page
    assert "待核实" in page
    client = _client(worker)
    url = reverse("social:risk_case", kwargs={"case_id": case.pk})
    assert client.get(url).status_code == 200
    # Closing is not offered before the visit, and the service refuses it.
    refused = client.post(url, {"action": "close", "c-closed_on": "2026-05-10", "c-note": "x"})
    assert refused.status_code == 400
    case.refresh_from_db()
    assert case.status == "open"
    bad = client.post(url, {"action": "visit", "v-visited_on": "2026-05-10", "v-confirmed": "yes"})
    assert bad.status_code == 400
    assert "error-summary" in bad.content.decode()
    done = client.post(
        url,
        {
            "action": "visit",
            "v-visited_on": "2026-05-10",
            "v-confirmed": "yes",
            "v-note": "收入骤降，属实",
        },
    )
    assert done.status_code == 302
    no_application = client.post(
        url, {"action": "measure", "m-kind": "benefit", "m-taken_on": "2026-05-11"}
    )
    assert no_application.status_code == 400
    assert "申请编号" in no_application.content.decode()
    assert (
        client.post(
            url, {"action": "measure", "m-kind": "employment", "m-taken_on": "2026-05-11"}
        ).status_code
        == 302
    )
    closed = client.post(
        url, {"action": "close", "c-closed_on": "2026-08-01", "c-note": "已稳定就业"}
    )
    assert closed.status_code == 302
    case.refresh_from_db()
    assert (case.status, case.measures.count()) == ("closed", 1)


@ON_TODAY
def test_another_county_gets_404_and_a_village_worker_cannot_scan(shipped: None) -> None:
    poor_person()
    monitoring.risk_scan(actor=make_user("county_officer", "150402"), on=ON)
    case = RiskCase.objects.get()
    url = reverse("social:risk_case", kwargs={"case_id": case.pk})
    other = _client(make_user("county_officer", "150404"))
    assert other.get(url).status_code == 404
    posted = other.post(
        url, {"action": "visit", "v-visited_on": "2026-05-10", "v-confirmed": "no", "v-note": "x"}
    )
    assert posted.status_code == 404
    case.refresh_from_db()
    assert case.status == "open"
    worker = _client(make_user("village_worker", VILLAGE))
    assert worker.post(reverse("social:risk_cases")).status_code == 404
    assert RiskCase.objects.count() == 1
    for role in ("volunteer", "citizen", "viewer"):
        assert _client(make_user(role, VILLAGE)).get(url).status_code in (403, 404)


@ON_TODAY
def test_the_list_reads_in_constant_queries(shipped: None) -> None:
    officer = make_user("county_officer", "150402")
    client = _client(officer)
    url = reverse("social:risk_cases")
    poor_person()
    monitoring.risk_scan(actor=officer, on=ON)
    client.get(url)
    with CaptureQueriesContext(connection) as one:
        client.get(url)
    for _ in range(4):
        poor_person()
    monitoring.risk_scan(actor=officer, on=ON)
    assert RiskCase.objects.count() == 5
    with CaptureQueriesContext(connection) as five:
        client.get(url)
    assert len(five.captured_queries) == len(one.captured_queries)
