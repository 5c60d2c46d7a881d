"""Service pages: an institution's queue and plan page show only its own clients; the
county makes a plan; refusals show next to the field and write nothing."""

from __future__ import annotations

import datetime as dt

import pytest
import time_machine
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from dpf.services.models import RehabPlan, RehabSession
from tests.services.conftest import Rehab, certified_person, open_plan

pytestmark = pytest.mark.django_db


def _client(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def test_the_queue_shows_only_the_institutions_own_clients_in_constant_queries(
    rehab: Rehab,
) -> None:
    ours = open_plan(rehab)
    theirs = open_plan(rehab, person=rehab.also_needy, institution=rehab.theirs)
    client = _client(rehab.our_staff)
    url = reverse("services:rehab_queue")
    client.get(url)
    with CaptureQueriesContext(connection) as few:
        page = client.get(url).content.decode()
    assert rehab.needy.name in page
    assert rehab.also_needy.name not in page
    for n in range(4):
        person = certified_person(name=f"新客户{n}", rehab_need=True)
        open_plan(rehab, person=person)
    with CaptureQueriesContext(connection) as many:
        page = client.get(url).content.decode()
    assert "新客户3" in page
    assert len(many) == len(few)
    # Another institution's client's plan answers as if it did not exist.
    assert client.get(reverse("services:rehab_plan", args=[theirs.pk])).status_code == 404
    assert client.get(reverse("services:rehab_plan", args=[ours.pk])).status_code == 200


@time_machine.travel(dt.datetime(2025, 6, 1, 10, 0, tzinfo=dt.UTC), tick=False)
def test_an_institution_records_a_session_on_the_page_and_a_bad_date_is_shown(
    rehab: Rehab,
) -> None:
    plan = open_plan(rehab)
    client = _client(rehab.our_staff)
    url = reverse("services:rehab_plan", args=[plan.pk])
    refused = client.post(
        url, {"action": "session", "s-date": "2025-01-02", "s-content": "站立训练"}
    )
    assert refused.status_code == 400
    assert "服务日期须在计划期内" in refused.content.decode()
    done = client.post(url, {"action": "session", "s-date": "2025-05-02", "s-content": "站立训练"})
    assert done.status_code == 302
    assert RehabSession.objects.get().date == dt.date(2025, 5, 2)
    # Another institution posting to it: 404, nothing written.
    other = _client(rehab.their_staff).post(
        url, {"action": "session", "s-date": "2025-05-03", "s-content": "训练"}
    )
    assert other.status_code == 404
    assert RehabSession.objects.count() == 1


def test_the_county_makes_a_plan_for_a_person_with_a_need(rehab: Rehab) -> None:
    client = _client(rehab.officer)
    url = reverse("services:rehab_plan_new", args=[rehab.needy.pk])
    assert client.get(url).status_code == 200
    data = {
        "institution": rehab.ours.pk,
        "kind": "medical",
        "start": "2025-03-01",
        "end": "2025-09-30",
        "planned_sessions": "8",
    }
    response = client.post(url, data)
    plan = RehabPlan.objects.get()
    assert response["Location"] == reverse("services:rehab_plan", args=[plan.pk])
    refused = client.post(reverse("services:rehab_plan_new", args=[rehab.no_need.pk]), data)
    assert refused.status_code == 400
    assert "没有持证且经需求调查确认的康复需求" in refused.content.decode()
    assert RehabPlan.objects.count() == 1
    # Another county's person: 404.
    outside = client.get(reverse("services:rehab_plan_new", args=[rehab.elsewhere.pk]))
    assert outside.status_code == 404


@time_machine.travel(dt.datetime(2025, 6, 1, 10, 0, tzinfo=dt.UTC), tick=False)
def test_an_institution_records_a_fitting_and_a_follow_up_on_the_page(rehab: Rehab) -> None:
    from decimal import Decimal

    from dpf.registry.models import NeedsSurvey
    from dpf.services import services
    from dpf.services.models import DeviceFitting, DeviceFollowUp

    services.device_item_add(
        actor=None,
        code="HA-01",
        name="助听器",
        kind="hearing_aid",
        standard_amount=Decimal("1500.00"),
        replacement_years=5,
        valid_from=dt.date(2021, 1, 1),
    )
    NeedsSurvey.objects.filter(person=rehab.needy).update(device_need="hearing_aid")
    plan = services.rehab_plan_create(
        actor=rehab.officer,
        person_id=rehab.needy.pk,
        institution_id=rehab.ours.pk,
        kind="device",
        start=dt.date(2025, 3, 1),
        end=dt.date(2025, 12, 31),
        planned_sessions=2,
    )
    client = _client(rehab.our_staff)
    url = reverse("services:rehab_plan", args=[plan.pk])
    assert "助听器（HA-01" in client.get(url).content.decode()
    done = client.post(
        url,
        {
            "action": "fitting",
            "f-item_code": "HA-01",
            "f-assessed_on": "2025-04-01",
            "f-fitted_on": "2025-04-10",
            "f-supplier": "听力公司",
        },
    )
    assert done.status_code == 302
    fitting = DeviceFitting.objects.get()
    refused = client.post(
        url,
        {
            "action": "follow_up",
            "u-fitting": fitting.pk,
            "u-date": "2025-05-01",
            "u-satisfaction": "9",
            "u-in_use": "on",
        },
    )
    assert refused.status_code == 400
    done = client.post(
        url,
        {
            "action": "follow_up",
            "u-fitting": fitting.pk,
            "u-date": "2025-05-01",
            "u-satisfaction": "5",
            "u-in_use": "on",
        },
    )
    assert done.status_code == 302
    assert DeviceFollowUp.objects.get().satisfaction == 5
