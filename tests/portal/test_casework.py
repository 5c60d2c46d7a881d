"""Complaints, petitions and the 12385 hotline as casework: deadlines in working days over
the holiday calendar, intake by officers, closure only with a reply and the citizen's
satisfaction, repeats linked not doubled, overdue counts for the county and the city, and
T0704 (信访事项办结率) counted from the records."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import pytest
from django.urls import reverse

from dpf.core.errors import NotFound, ValidationFailed
from dpf.core.workdays import add_working_days
from dpf.indicators.compute import compute
from dpf.indicators.models import Plan
from dpf.portal import casework, selectors
from dpf.portal.models import CitizenRequest, RequestEvent
from tests.factories import make_user
from tests.portal.conftest import certified, citizen_for, client_for

pytestmark = pytest.mark.django_db

SHANGHAI = ZoneInfo("Asia/Shanghai")


def at(day: dt.date, hour: int = 10) -> dt.datetime:
    return dt.datetime(day.year, day.month, day.day, hour, tzinfo=SHANGHAI)


def submit(citizen, person, day: dt.date, *, kind="complaint", category="benefits"):
    return casework.request_submit(
        actor=citizen,
        person_id=person.pk,
        kind=kind,
        category=category,
        text="补贴到账晚了两个月",
        contact_preference="phone",
        now=at(day),
    )


def close(officer, request, day: dt.date, satisfaction="satisfied"):
    return casework.request_act(
        actor=officer,
        request_id=request.pk,
        action="close",
        note="已核实，本月补发。",
        satisfaction=satisfaction,
        now=at(day, 15),
    )


def test_the_deadline_counts_working_days_over_the_national_day_holiday(person, citizen):
    # Worked by hand from the shipped 2025 calendar: 1-8 October are holidays and Saturday
    # 11 October is a working day, so 5 working days after Tuesday 30 September are
    # 9, 10, 11, 13 and 14 October.
    request = submit(citizen, person, dt.date(2025, 9, 30), kind="other")
    assert request.due_on == dt.date(2025, 10, 14)
    complaint = submit(citizen, person, dt.date(2025, 9, 30), category="rights")
    assert complaint.due_on == add_working_days(dt.date(2025, 9, 30), 40)
    assert complaint.due_on > dt.date(2025, 9, 30) + dt.timedelta(days=40)  # holidays skipped


def test_an_officer_records_a_hotline_call_for_a_person_of_the_region(client, person):
    officer = make_user("county_officer", "150402")
    response = client_for(officer).post(
        reverse("portal:staff_request_new"),
        {
            "channel": "hotline",
            "id_number": person.id_number,
            "kind": "complaint",
            "category": "services",
            "text": "来电反映康复机构服务态度差",
            "contact_preference": "phone",
        },
    )
    assert response.status_code == 302
    request = CitizenRequest.objects.get()
    assert (request.channel, request.created_by) == ("hotline", officer)
    assert request.due_on is not None
    assert request.township_code == person.township_code
    assert person.id_number not in response["Location"]


def test_a_call_about_a_person_outside_the_region_is_refused_and_nothing_is_written(person):
    other = make_user("county_officer", "150404")
    response = client_for(other).post(
        reverse("portal:staff_request_new"),
        {
            "channel": "hotline",
            "id_number": person.id_number,
            "kind": "complaint",
            "category": "services",
            "text": "来电",
            "contact_preference": "phone",
        },
    )
    assert response.status_code == 400
    html = response.content.decode()
    error = html[html.index('class="field-error"') :]
    error = error[: error.index("</p>")]
    assert "本辖区没有登记这个身份证号码的人员" in error
    assert person.id_number not in error  # the message never repeats the number
    with pytest.raises(NotFound):
        casework.request_intake(
            actor=other,
            person_id=person.pk,
            channel="hotline",
            kind="complaint",
            category="services",
            text="来电",
        )
    assert not CitizenRequest.objects.exists()
    village = make_user("village_worker", "150402001001")
    assert client_for(village).get(reverse("portal:staff_request_new")).status_code == 404


def test_a_complaint_is_closed_only_with_a_reply_and_a_satisfaction(person, citizen):
    officer = make_user("township_officer", "150402001")
    request = submit(citizen, person, dt.date(2025, 9, 1))
    with pytest.raises(ValidationFailed) as info:
        casework.request_act(
            actor=officer, request_id=request.pk, action="close", satisfaction="satisfied"
        )
    assert info.value.code == "reply_required"
    assert info.value.field == "note"
    with pytest.raises(ValidationFailed) as info:
        casework.request_act(actor=officer, request_id=request.pk, action="close", note="已答复")
    assert info.value.code == "satisfaction"
    request.refresh_from_db()
    assert (request.status, request.closed_at, request.reply) == ("open", None, "")
    assert RequestEvent.objects.filter(request=request).count() == 1
    close(officer, request, dt.date(2025, 9, 5))
    request.refresh_from_db()
    assert request.status == "closed"
    assert request.satisfaction == "satisfied"
    assert request.closed_at == at(dt.date(2025, 9, 5), 15)


def test_a_repeated_complaint_on_the_same_matter_is_linked_not_doubled(person, citizen):
    first = submit(citizen, person, dt.date(2025, 9, 1))
    again = submit(citizen, person, dt.date(2025, 9, 3))
    other_matter = submit(citizen, person, dt.date(2025, 9, 3), category="employment")
    assert again.repeat_of == first
    assert again.due_on == first.due_on
    assert other_matter.repeat_of is None
    officer = make_user("township_officer", "150402001")
    close(officer, first, dt.date(2025, 9, 10))
    after_closure = submit(citizen, person, dt.date(2025, 9, 12))
    assert after_closure.repeat_of is None  # a new complaint once the first is closed
    assert casework.complaints_due(dt.date(2025, 12, 31), None) == {"150402001": 3}


def test_overdue_requests_are_counted_for_the_county_and_the_city(person, citizen, regions):
    elsewhere = certified(name="赵丽", village="150404002001")
    submit(citizen, person, dt.date(2025, 9, 1), kind="other")  # due 2025-09-08
    submit(citizen_for(elsewhere), elsewhere, dt.date(2025, 9, 1), kind="other")
    day = dt.date(2025, 9, 9)
    city = make_user("city_admin", "150400")
    county = make_user("county_officer", "150402")
    assert {(o.region_code, o.count) for o in selectors.overdue_counts(city, day)} == {
        ("150402", 1),
        ("150404", 1),
    }
    assert [(o.region_code, o.count) for o in selectors.overdue_counts(county, day)] == [
        ("150402001", 1)
    ]
    assert selectors.overdue_counts(county, dt.date(2025, 9, 8)) == []  # due today: not late
    assert selectors.request_queue(county, "overdue", day).count() == 1


def test_t0704_counts_first_complaints_closed_within_their_deadline(person, citizen, regions):
    officer = make_user("township_officer", "150402001")
    in_time = submit(citizen, person, dt.date(2025, 3, 3))
    late = submit(citizen, person, dt.date(2025, 3, 4), category="rights")
    submit(citizen, person, dt.date(2025, 3, 5), category="services")  # never closed
    repeat = submit(citizen, person, dt.date(2025, 3, 6))  # linked to in_time: not counted
    assert repeat.repeat_of == in_time
    not_due = submit(citizen, person, dt.date(2025, 12, 1), category="employment")
    close(officer, in_time, in_time.due_on)  # on the deadline day: in time
    close(officer, late, late.due_on + dt.timedelta(days=1))
    as_of = dt.date(2025, 12, 31)
    assert not_due.due_on > as_of
    assert casework.complaints_due(as_of, None) == {"150402001": 3}
    assert casework.complaints_closed_in_time(as_of, None) == {"150402001": 1}
    plan = Plan.objects.get(code="P14")
    results = {
        (r.indicator.code, r.region_code): r
        for r in compute(plan, as_of)
        if r.indicator.code == "T0704"
    }
    city = results[("T0704", "150400")]
    assert (city.numerator, city.denominator) == (1, 3)
    assert city.value is not None
    assert float(city.value) == pytest.approx(100 / 3, abs=0.001)
