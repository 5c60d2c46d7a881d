"""Complaints and home-visit requests: they reach the township and county queues of the
person's place, staff answer and close them (audited), the citizen reads the reply."""

from __future__ import annotations

import pytest
from django.urls import reverse

from dpf.core.errors import NotFound, ValidationFailed
from dpf.core.models import AuditEntry
from dpf.portal import casework, selectors
from dpf.portal.models import CitizenRequest, RequestEvent
from tests.factories import make_user
from tests.portal.conftest import certified, citizen_for, client_for

pytestmark = pytest.mark.django_db


def _submit(client, kind="home_visit", text="腿脚不便，请上门办理补贴"):
    return client.post(
        reverse("portal:requests"), {"kind": kind, "text": text, "contact_preference": "phone"}
    )


def test_request_reaches_the_right_township_and_county_queue(person, citizen) -> None:
    response = _submit(client_for(citizen))
    assert response.status_code == 302
    request = CitizenRequest.objects.get()
    assert (request.township_code, request.county_code) == ("150402001", "150402")
    own_township = make_user("township_officer", "150402001")
    own_county = make_user("county_officer", "150402")
    city = make_user("city_admin", "150400")
    other_township = make_user("township_officer", "150404002")
    other_county = make_user("county_officer", "150404")
    for officer in (own_township, own_county, city):
        assert list(selectors.request_queue(officer)) == [request]
        page = client_for(officer).get(reverse("portal:staff_requests")).content.decode()
        assert person.name in page
    for officer in (other_township, other_county):
        assert not selectors.request_queue(officer).exists()
        page = client_for(officer).get(reverse("portal:staff_requests")).content.decode()
        assert person.name not in page
        url = reverse("portal:staff_request", args=[request.pk])
        assert client_for(officer).get(url).status_code == 404
    # A village worker sees only what is assigned to them by name (tests/portal/test_assignment.py).
    village = make_user("village_worker", "150402001001")
    queue = client_for(village).get(reverse("portal:staff_requests"))
    assert queue.status_code == 200
    assert person.name not in queue.content.decode()
    url = reverse("portal:staff_request", args=[request.pk])
    assert client_for(village).get(url).status_code == 404


def test_officer_answers_and_closes_the_citizen_reads_the_reply(person, citizen) -> None:
    client = client_for(citizen)
    _submit(client, kind="complaint", text="补贴到账晚了两个月")
    request = CitizenRequest.objects.get()
    officer = make_user("township_officer", "150402001")
    staff = client_for(officer)
    url = reverse("portal:staff_request", args=[request.pk])
    refused = staff.post(url, {"action": "answer", "note": "", "expected_status": "open"})
    assert refused.status_code == 400  # an answer needs text
    staff.post(url, {"action": "take", "note": "", "expected_status": "open"})
    staff.post(
        url, {"action": "answer", "note": "已核实，本月补发。", "expected_status": "in_progress"}
    )
    request.refresh_from_db()
    assert request.status == "answered"
    assert request.reply == "已核实，本月补发。"
    stale = staff.post(url, {"action": "take", "note": "", "expected_status": "open"})
    assert stale.status_code == 400
    page = client.get(reverse("portal:request", args=[request.pk])).content.decode()
    assert "已核实，本月补发。" in page
    staff.post(
        url,
        {"action": "close", "note": "", "satisfaction": "satisfied", "expected_status": "answered"},
    )
    request.refresh_from_db()
    assert request.status == "closed"
    assert [e.to_status for e in RequestEvent.objects.filter(request=request)] == [
        "open",
        "in_progress",
        "answered",
        "closed",
    ]
    assert AuditEntry.objects.filter(object_type="citizen_request", action="change").count() == 3
    assert not selectors.request_queue(officer).exists()  # closed ones leave the queue


def test_request_for_someone_outside_the_self_scope_is_refused(person, citizen) -> None:
    stranger = certified(name="陈某人")
    with pytest.raises(NotFound):
        casework.request_submit(
            actor=citizen,
            person_id=stranger.pk,
            kind="complaint",
            text="x",
            contact_preference="phone",
        )
    with pytest.raises(ValidationFailed):
        casework.request_submit(
            actor=citizen, person_id=person.pk, kind="bogus", text="x", contact_preference="phone"
        )
    assert not CitizenRequest.objects.exists()


def test_staff_queue_query_count(person, django_assert_max_num_queries) -> None:
    for i in range(12):
        someone = certified(name=f"测试人{i}")
        casework.request_submit(
            actor=citizen_for(someone),
            person_id=someone.pk,
            kind="complaint",
            text=f"第{i}条",
            contact_preference="sms",
        )
    client = client_for(make_user("county_officer", "150402"))
    with django_assert_max_num_queries(12):
        response = client.get(reverse("portal:staff_requests"))
    assert response.status_code == 200
    assert response.content.decode().count("<tr>") == 13


@pytest.mark.parametrize(
    "hidden", ["\u202e", "\u2066", "\u200f", "\x1b[2J", "\x07", "\x85", "\u2028"]
)
def test_control_and_direction_characters_are_refused_in_requests_and_answers(
    person, citizen, hidden
) -> None:
    """A right-to-left override (or a terminal escape) in a complaint or an answer would
    make the reader see other words than were written: refused, naming the position and
    code point, nothing written. Line breaks stay allowed."""
    refused = _submit(client_for(citizen), text=f"补贴没有到账{hidden}请核实")
    assert refused.status_code == 400
    assert f"U+{ord(hidden[0]):04X}" in refused.content.decode()
    assert not CitizenRequest.objects.exists()
    assert _submit(client_for(citizen), text="第一行\r\n第二行\t完").status_code == 302
    request = CitizenRequest.objects.get()
    officer = client_for(make_user("township_officer", "150402001"))
    url = reverse("portal:staff_request", args=[request.pk])
    answered = officer.post(
        url, {"action": "answer", "note": f"已核实{hidden}无误", "expected_status": "open"}
    )
    assert answered.status_code == 400
    request.refresh_from_db()
    assert request.status == "open"
    assert request.reply == ""
    assert RequestEvent.objects.filter(request=request).count() == 1
