"""Assignment of citizen requests down the region tree: the county to a township or a named
township officer or village worker of the request's chain, the township on to a village
worker of the person's village; the assignee finds it under "assigned to me"; each
assignment is an event of the history and an audit entry; the deadline stays; a target
outside the chain, an account that may not handle requests, or an officer who cannot see
the request is refused in both languages with nothing written."""

from __future__ import annotations

import datetime as dt
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from django.urls import reverse

from dpf.core.errors import NotFound, ValidationFailed
from dpf.core.models import AuditEntry, Region
from dpf.portal import casework, selectors
from dpf.portal.models import CitizenRequest, RequestEvent
from tests.factories import make_user
from tests.portal.conftest import certified, citizen_for, client_for

pytestmark = pytest.mark.django_db

SHANGHAI = ZoneInfo("Asia/Shanghai")
RECEIVED = dt.datetime(2025, 9, 15, 10, tzinfo=SHANGHAI)
LATER = dt.datetime(2025, 9, 16, 9, tzinfo=SHANGHAI)
COUNTY, TOWNSHIP, VILLAGE = "150402", "150402001", "150402001001"


@pytest.fixture
def staff(regions) -> dict[str, Any]:
    Region.objects.get_or_create(
        code="150402002",
        defaults={"name": "测试街道二", "parent_id": COUNTY, "level": "township"},
    )
    Region.objects.get_or_create(
        code="150402002001",
        defaults={"name": "测试社区三", "parent_id": "150402002", "level": "village"},
    )
    return {
        "city": make_user("city_admin", "150400"),
        "county": make_user("county_officer", COUNTY),
        "township": make_user("township_officer", TOWNSHIP, first_name="李乡镇"),
        "village": make_user("village_worker", VILLAGE, first_name="张村委"),
        "next_village": make_user("village_worker", "150402001002"),
        "other_township": make_user("township_officer", "150402002"),
        "other_township_village": make_user("village_worker", "150402002001"),
        "other_county": make_user("county_officer", "150404"),
        "other_county_township": make_user("township_officer", "150404002"),
    }


@pytest.fixture
def complaint(person, citizen) -> CitizenRequest:
    return casework.request_submit(
        actor=citizen,
        person_id=person.pk,
        kind="complaint",
        category="benefits",
        text="补贴到账晚了两个月",
        contact_preference="phone",
        now=RECEIVED,
    )


def assign(actor, request, **kw) -> CitizenRequest:
    return casework.request_assign(actor=actor, request_id=request.pk, now=LATER, **kw)


def test_the_county_assigns_to_the_township_and_the_township_on_to_a_village_worker(
    staff, complaint
):
    due = complaint.due_on
    assign(staff["county"], complaint, to_region=TOWNSHIP, note="请乡镇核实")
    complaint.refresh_from_db()
    assert (complaint.assigned_region, complaint.assigned_to) == (TOWNSHIP, None)
    # The township's officers find it under "assigned to me"; the county's do not.
    assert list(selectors.request_queue(staff["township"], mine=True)) == [complaint]
    assert selectors.assigned_to_me_count(staff["township"]) == 1
    assert not selectors.request_queue(staff["county"], mine=True).exists()
    # The village worker sees nothing until named.
    assert not selectors.request_queue(staff["village"]).exists()
    assign(
        staff["township"],
        complaint,
        to_user_id=staff["village"].pk,
        expected_assignment=f"region:{TOWNSHIP}",
    )
    complaint.refresh_from_db()
    assert (complaint.assigned_region, complaint.assigned_to) == (VILLAGE, staff["village"])
    assert complaint.due_on == due  # the deadline does not move
    assert complaint.status == "open"
    assert list(selectors.request_queue(staff["village"], mine=True)) == [complaint]
    assert list(selectors.request_queue(staff["village"])) == [complaint]
    assert not selectors.request_queue(staff["township"], mine=True).exists()
    assert not selectors.request_queue(staff["next_village"]).exists()
    # The history: submitted, then two assignments keeping the status.
    events = list(RequestEvent.objects.filter(request=complaint).order_by("at", "id"))
    assert [(e.from_status, e.to_status, e.assigned_region) for e in events] == [
        ("", "open", ""),
        ("open", "open", TOWNSHIP),
        ("open", "open", VILLAGE),
    ]
    assert events[1].note == "请乡镇核实"
    assert events[2].assigned_to == staff["village"]
    audits = AuditEntry.objects.filter(object_type="citizen_request", action="change")
    assert [a.changes["assigned"] for a in audits.order_by("id")] == [
        ["", f"region:{TOWNSHIP}"],
        [f"region:{TOWNSHIP}", f"user:{staff['village'].pk}"],
    ]
    # The village worker handles it: takes it up, answers, closes.
    casework.request_act(actor=staff["village"], request_id=complaint.pk, action="take")
    casework.request_act(
        actor=staff["village"],
        request_id=complaint.pk,
        action="close",
        note="已上门核实，本月补发",
        satisfaction="satisfied",
    )
    complaint.refresh_from_db()
    assert complaint.status == "closed"


def test_the_county_names_a_township_officer_and_the_city_assigns_to_a_county(staff, complaint):
    assign(staff["county"], complaint, to_user_id=staff["township"].pk)
    assert list(selectors.request_queue(staff["township"], mine=True)) == [complaint]
    # Another officer of the same township does not find it under "assigned to me".
    colleague = make_user("township_officer", TOWNSHIP)
    assert not selectors.request_queue(colleague, mine=True).exists()
    assert list(selectors.request_queue(colleague)) == [complaint]  # still in the queue
    assign(staff["city"], complaint, to_region=COUNTY)
    assert list(selectors.request_queue(staff["county"], mine=True)) == [complaint]


def test_targets_offered_are_the_chain_below_the_officer(staff, complaint):
    county = {t.value for t in selectors.assignment_targets(staff["county"], complaint)}
    assert county == {
        f"region:{TOWNSHIP}",
        f"user:{staff['township'].pk}",
        f"user:{staff['village'].pk}",
    }
    township = {t.value for t in selectors.assignment_targets(staff["township"], complaint)}
    assert township == {f"user:{staff['village'].pk}"}
    assert selectors.assignment_targets(staff["village"], complaint) == []
    assert selectors.assignment_targets(staff["other_county"], complaint) == []


def _refused(actor, request, code, **kw) -> None:
    before = (RequestEvent.objects.count(), AuditEntry.objects.count())
    with pytest.raises(ValidationFailed) as refused:
        assign(actor, request, **kw)
    assert refused.value.code == code
    assert refused.value.message_zh
    assert refused.value.message_en
    request.refresh_from_db()
    assert request.assigned_region == ""
    assert (request.assigned_to_id, request.assigned_at) == (None, None)
    assert (RequestEvent.objects.count(), AuditEntry.objects.count()) == before


def test_assigning_outside_the_requests_chain_is_refused(staff, complaint):
    # A user of another township of the same county, another county, the next village.
    for who in ("other_township", "other_township_village", "next_village", "other_county"):
        _refused(staff["county"], complaint, "assignee_outside", to_user_id=staff[who].pk)
    _refused(staff["county"], complaint, "assignee_outside", to_region="150402002")
    _refused(staff["county"], complaint, "assignee_outside", to_region="150404002")
    # Up or sideways, not down: the county itself, a colleague, the city; a village region.
    _refused(staff["county"], complaint, "assignee_outside", to_region=COUNTY)
    colleague = make_user("county_officer", COUNTY)
    _refused(staff["county"], complaint, "assignee_outside", to_user_id=colleague.pk)
    _refused(staff["township"], complaint, "assignee_outside", to_user_id=staff["county"].pk)
    _refused(staff["township"], complaint, "assignee_outside", to_region=VILLAGE)
    _refused(staff["county"], complaint, "assignee_outside", to_user_id=987654321)


def test_assigning_to_an_account_that_may_not_handle_requests_is_refused(staff, complaint):
    for role in ("viewer", "volunteer"):
        user = make_user(role, VILLAGE)
        _refused(staff["county"], complaint, "assignee_not_caseworker", to_user_id=user.pk)
    disabled = make_user("village_worker", VILLAGE, is_active=False)
    _refused(staff["county"], complaint, "assignee_not_caseworker", to_user_id=disabled.pk)
    assert disabled.pk not in {
        u.pk for u in selectors.assignee_candidates(staff["county"], complaint)
    }


def test_an_officer_who_cannot_see_the_request_is_refused_as_not_found(staff, complaint):
    before = RequestEvent.objects.count()
    for who in ("other_county", "other_township", "other_county_township", "next_village"):
        with pytest.raises(NotFound):
            assign(staff[who], complaint, to_user_id=staff["village"].pk)
    citizen = citizen_for(certified(name="陈某人"))
    with pytest.raises(NotFound):
        assign(citizen, complaint, to_region=TOWNSHIP)
    assert RequestEvent.objects.count() == before
    complaint.refresh_from_db()
    assert complaint.assigned_region == ""


def test_a_stale_choice_a_repeat_and_a_closed_request_are_refused(staff, complaint):
    _refused(staff["county"], complaint, "target_required")
    _refused(
        staff["county"],
        complaint,
        "request_changed",
        to_region=TOWNSHIP,
        expected_assignment=f"user:{staff['village'].pk}",
    )
    assign(staff["county"], complaint, to_region=TOWNSHIP)
    with pytest.raises(ValidationFailed) as again:
        assign(staff["county"], complaint, to_region=TOWNSHIP)
    assert again.value.code == "already_assigned"
    casework.request_act(
        actor=staff["county"],
        request_id=complaint.pk,
        action="close",
        note="已答复",
        satisfaction="satisfied",
    )
    with pytest.raises(ValidationFailed) as closed:
        assign(staff["county"], complaint, to_user_id=staff["village"].pk)
    assert closed.value.code == "request_closed"


def test_a_village_worker_reaches_only_the_requests_assigned_to_them(staff, complaint, person):
    url = reverse("portal:staff_request", args=[complaint.pk])
    worker = client_for(staff["village"])
    assert worker.get(url).status_code == 404
    with pytest.raises(NotFound):
        casework.request_act(actor=staff["village"], request_id=complaint.pk, action="take")
    assign(staff["county"], complaint, to_user_id=staff["village"].pk)
    page = worker.get(url)
    assert page.status_code == 200
    assert 'id="assign-h"' not in page.content.decode()  # nobody below them: no form
    queue = worker.get(reverse("portal:staff_requests")).content.decode()
    assert person.name in queue
    assert "登记来电或窗口诉求" not in queue  # a village worker records no calls
    # They have nobody below them to pass it to.
    other = make_user("village_worker", VILLAGE)
    with pytest.raises(ValidationFailed) as refused:
        assign(staff["village"], complaint, to_user_id=other.pk)
    assert refused.value.code == "assignee_outside"
    # Re-assigned to someone else, it is gone from the first worker.
    assign(staff["township"], complaint, to_user_id=other.pk)
    assert worker.get(url).status_code == 404
    assert not selectors.request_queue(staff["village"]).exists()


# --- the pages -------------------------------------------------------------------------


def test_the_county_assigns_on_the_page_without_javascript(staff, complaint, person):
    officer = client_for(staff["county"])
    url = reverse("portal:staff_request", args=[complaint.pk])
    page = officer.get(url).content.decode()
    assert 'action="' + reverse("portal:staff_request_assign", args=[complaint.pk]) in page
    assert '<label for="id_assign-target">' in page
    assert f'value="user:{staff["village"].pk}"' in page
    assert f'value="user:{staff["other_township"].pk}"' not in page
    assert "未分派" in page
    done = officer.post(
        reverse("portal:staff_request_assign", args=[complaint.pk]),
        {
            "assign-target": f"user:{staff['village'].pk}",
            "assign-note": "请上门",
            "assign-expected_assignment": "",
        },
    )
    assert done.status_code == 302
    page = officer.get(url).content.decode()
    assignee = page.split('id="assignee">')[1].split("</dd>")[0]
    assert "张村委" in assignee
    assert "测试社区一" in assignee
    assert "请上门" in page  # in the history
    # The citizen's page shows no internal routing.
    citizen_page = client_for(complaint.created_by).get(
        reverse("portal:request", args=[complaint.pk])
    )
    assert "张村委" not in citizen_page.content.decode()


def test_a_refused_assignment_on_the_page_says_why_and_writes_nothing(staff, complaint):
    officer = client_for(staff["county"])
    assign_url = reverse("portal:staff_request_assign", args=[complaint.pk])
    refused = officer.post(
        assign_url,
        {"assign-target": f"user:{staff['other_township'].pk}", "assign-expected_assignment": ""},
    )
    assert refused.status_code == 400
    text = refused.content.decode()
    assert "error-summary" in text
    assert "只能分派给本诉求所在地区" in text
    forged = officer.post(assign_url, {"assign-target": "user:٣", "assign-expected_assignment": ""})
    assert forged.status_code == 400
    outsider = client_for(staff["other_county"]).post(
        assign_url, {"assign-target": f"region:{TOWNSHIP}", "assign-expected_assignment": ""}
    )
    assert outsider.status_code == 404
    assert client_for(staff["county"]).get(assign_url).status_code == 405
    complaint.refresh_from_db()
    assert complaint.assigned_region == ""
    assert RequestEvent.objects.filter(request=complaint).count() == 1


def test_the_english_page_names_the_refusal_in_english(staff, complaint):
    officer = client_for(staff["county"])
    refused = officer.post(
        reverse("portal:staff_request_assign", args=[complaint.pk]),
        {"assign-target": f"user:{staff['other_county'].pk}", "assign-expected_assignment": ""},
        HTTP_ACCEPT_LANGUAGE="en",
    )
    assert refused.status_code == 400
    assert "assign only to staff of the request" in refused.content.decode()


def _requests(n: int, officer) -> None:
    for i in range(n):
        someone = certified(name=f"测试人{i}", village=VILLAGE if i % 2 else "150402001002")
        request = casework.request_submit(
            actor=citizen_for(someone),
            person_id=someone.pk,
            kind="complaint",
            text=f"第{i}条",
            contact_preference="sms",
            now=RECEIVED,
        )
        if i % 3 == 0:
            casework.request_assign(actor=officer, request_id=request.pk, to_region=TOWNSHIP)
        elif i % 3 == 1:
            worker = make_user("village_worker", someone.village_code)
            casework.request_assign(actor=officer, request_id=request.pk, to_user_id=worker.pk)


@pytest.mark.parametrize("mine", [False, True])
def test_the_queue_reads_in_the_same_queries_for_few_and_many_requests(
    staff, django_assert_num_queries, mine
):
    url = reverse("portal:staff_requests") + ("?assigned=me" if mine else "")
    officer = staff["county"]
    client = client_for(staff["township"])  # the county assigns, the township reads
    _requests(2, officer)
    client.get(url)  # warm the session and the caches
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as few:
        client.get(url)
    _requests(20, officer)
    with django_assert_num_queries(len(few)):
        response = client.get(url)
    assert response.status_code == 200
    rows = response.content.decode().count("<tr>") - 1
    assert rows == (8 if mine else 22)  # i % 3 == 0 of 22 went to the township
