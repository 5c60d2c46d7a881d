"""Volunteer pages: staff register (consent ticked or refused, 400, nothing written), open
the account, publish an event, record attendance; the volunteer signs up on its own page
and sees names and the meeting place, never ID numbers or phones; staff pages are closed to
a volunteer, another county's event answers 404."""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

import pytest
import time_machine
from django.test import Client
from django.urls import reverse

from dpf.social import volunteers
from dpf.social.models import EventSignup, Volunteer
from tests.factories import ensure_test_regions, make_person, make_user, new_id_number

pytestmark = pytest.mark.django_db
ON_TODAY = time_machine.travel(dt.datetime(2026, 5, 10, 2, 0, tzinfo=dt.UTC), tick=False)
TOWNSHIP = "150402001"
VILLAGE = "150402001001"


def _client(user: Any) -> Client:
    client = Client()
    client.force_login(user)
    return client


@ON_TODAY
def test_the_volunteer_journey_on_the_pages() -> None:
    ensure_test_regions()
    officer = make_user("township_officer", TOWNSHIP)
    staff = _client(officer)
    url = reverse("social:volunteers")
    assert staff.get(url).status_code == 200
    number = new_id_number("150402", dt.date(1996, 6, 6))
    data = {
        "action": "register",
        "r-name": "李志愿",
        "r-id_number": number,
        "r-phone": "13700001234",
        "r-village_code": VILLAGE,
    }
    refused = staff.post(url, data)
    assert refused.status_code == 400
    assert "同意" in refused.content.decode()
    assert not Volunteer.objects.exists()
    assert staff.post(url, {**data, "r-consent": "on"}).status_code == 302
    volunteer = Volunteer.objects.get()
    page = staff.get(url).content.decode()
    assert volunteer.id_number_masked in page
    assert number not in page
    opened = staff.post(
        url, {"action": "account", "a-volunteer_id": volunteer.pk, "a-username": "li_volunteer"}
    )
    assert opened.status_code == 200
    assert opened["Cache-Control"] == "no-store"
    password = re.search(r"<code>([^<]+)</code>", opened.content.decode())
    assert password is not None
    volunteer.refresh_from_db()
    assert volunteer.user is not None
    assert volunteer.user.check_password(password.group(1))
    events = reverse("social:events")
    created = staff.post(
        events,
        {
            "title": "助残日上门理发",
            "township_code": TOWNSHIP,
            "meeting_place": "测试街道一残联门口",
            "starts_at": "2026-05-12T09:00",
            "ends_at": "2026-05-12T12:00",
            "capacity": "3",
        },
    )
    assert created.status_code == 302
    event_url = created["Location"]
    served = make_person(name="周受助", phone="13955556666")
    assert (
        staff.post(event_url, {"action": "served", "s-id_number": served.id_number}).status_code
        == 302
    )
    # The volunteer's own page (after setting their own password at the first log-in):
    # sign up, then names and the meeting place only.
    assert _client(volunteer.user).get(reverse("social:my_events")).status_code == 302
    volunteer.user.must_change_password = False
    volunteer.user.save(update_fields=["must_change_password"])
    mine = _client(volunteer.user)
    my_url = reverse("social:my_events")
    event_id = int(event_url.rstrip("/").rsplit("/", 1)[1])
    assert mine.post(my_url, {"event_id": event_id}).status_code == 302
    again = mine.post(my_url, {"event_id": event_id})
    assert again.status_code == 400
    assert "已报名" in again.content.decode()
    text = mine.get(my_url).content.decode()
    assert "测试街道一残联门口" in text
    assert "周受助" in text
    for secret in (served.id_number, served.id_number_masked, "13955556666", number):
        assert secret not in text
    signup = EventSignup.objects.get()
    assert (
        staff.post(
            event_url,
            {
                "action": "attendance",
                "at-signup_id": signup.pk,
                "at-attended": "yes",
                "at-hours": "3",
            },
        ).status_code
        == 302
    )
    signup.refresh_from_db()
    assert signup.attended
    assert str(signup.hours) == "3.0"
    # Staff pages are closed to the volunteer.
    for staff_url in (url, events, event_url, reverse("social:emergency")):
        assert mine.get(staff_url).status_code in (403, 404)


@ON_TODAY
def test_another_county_event_is_not_found() -> None:
    ensure_test_regions()
    officer = make_user("township_officer", TOWNSHIP)
    event = volunteers.event_create(
        actor=officer,
        title="上门理发",
        township_code=TOWNSHIP,
        meeting_place="门口",
        starts_at=dt.datetime(2026, 5, 12, 9, 0, tzinfo=dt.UTC),
        ends_at=dt.datetime(2026, 5, 12, 12, 0, tzinfo=dt.UTC),
        capacity=2,
    )
    other = _client(make_user("county_officer", "150404"))
    url = reverse("social:event", kwargs={"event_id": event.pk})
    assert other.get(url).status_code == 404
    assert other.post(url, {"action": "served", "s-id_number": "x"}).status_code == 404
    # A volunteer of the other county does not see it, and cannot sign up by its number.
    staff_other = make_user("county_officer", "150404")
    registered = volunteers.volunteer_register(
        actor=staff_other,
        name="外旗志愿",
        id_number=new_id_number("150404", dt.date(1990, 1, 1)),
        village_code="150404002001",
        consent=True,
        today=dt.date(2026, 5, 10),
    )
    user, _password = volunteers.volunteer_account_open(
        actor=staff_other, volunteer_id=registered.pk, username="outside_vol"
    )
    user.must_change_password = False
    user.save(update_fields=["must_change_password"])
    client = _client(user)
    own_page = client.get(reverse("social:my_events"))
    assert own_page.status_code == 200
    assert "上门理发" not in client.get(reverse("social:my_events")).content.decode()
    assert client.post(reverse("social:my_events"), {"event_id": event.pk}).status_code == 404
    assert not EventSignup.objects.exists()


def _pending(name: str, village: str = VILLAGE) -> Volunteer:
    from dpf.portal.models import CitizenAccount
    from dpf.social import volunteer_registration

    user = make_user("citizen", None)
    CitizenAccount.objects.create(user=user, person=make_person(name=name, village_code=village))
    return volunteer_registration.volunteer_apply(
        actor=user,
        village_code=village,
        consent=True,
        skills="陪同就医",
        today=dt.date(2026, 5, 9),
    )


@ON_TODAY
def test_staff_approve_and_refuse_pending_registrations_on_the_page() -> None:
    ensure_test_regions()
    staff = _client(make_user("township_officer", TOWNSHIP))
    url = reverse("social:volunteers")
    one, two = _pending("周待审"), _pending("吴待审")
    page = staff.get(url).content.decode()
    assert "待审核的志愿者注册" in page
    assert "周待审" in page
    assert "陪同就医" in page
    assert one.id_number not in page
    # Refusing without a reason: 400, the error next to the field, nothing changed.
    refused = staff.post(
        url,
        {"action": "decide", "volunteer_id": two.pk, f"d{two.pk}-decision": "refuse"},
    )
    assert refused.status_code == 400
    assert "error-summary" in refused.content.decode()
    two.refresh_from_db()
    assert two.status == "pending"
    approved = staff.post(
        url, {"action": "decide", "volunteer_id": one.pk, f"d{one.pk}-decision": "approve"}
    )
    assert approved.status_code == 302
    done = staff.post(
        url,
        {
            "action": "decide",
            "volunteer_id": two.pk,
            f"d{two.pk}-decision": "refuse",
            f"d{two.pk}-reason": "不在本乡镇居住",
        },
    )
    assert done.status_code == 302
    one.refresh_from_db()
    two.refresh_from_db()
    assert (one.status, one.registered_on) == ("approved", dt.date(2026, 5, 10))
    assert (two.status, two.refusal_reason) == ("refused", "不在本乡镇居住")
    assert "没有待审核的注册" in staff.get(url).content.decode()


@ON_TODAY
def test_another_county_cannot_decide_and_the_queue_reads_in_constant_queries() -> None:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    ensure_test_regions()
    waiting = _pending("郑外县")
    other = _client(make_user("county_officer", "150404"))
    url = reverse("social:volunteers")
    assert "郑外县" not in other.get(url).content.decode()
    posted = other.post(
        url,
        {"action": "decide", "volunteer_id": waiting.pk, f"d{waiting.pk}-decision": "approve"},
    )
    assert posted.status_code == 404
    waiting.refresh_from_db()
    assert waiting.status == "pending"
    staff = _client(make_user("township_officer", TOWNSHIP))
    staff.get(url)
    with CaptureQueriesContext(connection) as few:
        staff.get(url)
    for n in range(4):
        _pending(f"王{n}", village="150402001002")
    with CaptureQueriesContext(connection) as many:
        page = staff.get(url).content.decode()
    assert page.count('value="decide"') == 5
    assert len(many.captured_queries) == len(few.captured_queries)
