"""Legal aid referrals (法律援助转介): a person of the officer's region, named by ID number,
referred to the county's legal aid centre; the centre's answer (accepted, declined with a
reason, concluded with a result) dated neither in the future nor before the referral; the
status derived and the overdue ones counted; a citizen request named by its number must be
the same person's and in scope; another county's officer can neither list, open nor change
a referral; the pages answer 400 with the message and write nothing on bad input."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.db import IntegrityError, connection, transaction
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from dpf.accounts.permissions import PermissionRefused
from dpf.core.errors import ValidationFailed
from dpf.core.models import AuditEntry
from dpf.portal.models import CitizenRequest
from dpf.registry.timeline_sources import service_events
from dpf.social import legal_aid
from dpf.social.models import LegalAidReferral, LegalAidStatus
from tests.factories import ensure_test_regions, make_person, make_user

pytestmark = pytest.mark.django_db
TODAY = dt.date(2025, 9, 30)


@pytest.fixture
def officer() -> Any:
    ensure_test_regions()
    return make_user("county_officer", "150402")


def refer(actor: Any, person: Any, **kw: Any) -> LegalAidReferral:
    values: dict[str, Any] = {
        "actor": actor,
        "today": TODAY,
        "id_number": person.id_number,
        "matter": "employment",
        "description": "用人单位拖欠工资三个月",
        "channel": "window",
        "referred_on": dt.date(2025, 9, 1),
    }
    values.update(kw)
    return legal_aid.referral_create(**values)


def answer(
    actor: Any, referral: LegalAidReferral, outcome: str, on: dt.date, note: str = ""
) -> Any:
    return legal_aid.referral_outcome(
        actor=actor, referral_id=referral.pk, today=TODAY, outcome=outcome, outcome_on=on, note=note
    )


def request_of(person: Any, actor: Any) -> CitizenRequest:
    now = timezone.now()
    return CitizenRequest.objects.create(
        kind="complaint",
        text="单位不签劳动合同",
        contact_preference="phone",
        person=person,
        county_code=person.county_code,
        township_code=person.township_code,
        village_code=person.village_code,
        created_by=actor,
        created_at=now,
        updated_at=now,
        channel="hotline",
    )


def test_referral_accepted_then_concluded(officer: Any) -> None:
    person = make_person(name="王援")
    referral = refer(officer, person, referred_to="")
    assert referral.status == LegalAidStatus.REFERRED
    assert referral.referred_to.endswith("法律援助中心")
    assert len(referral.referred_to) > 6
    assert (referral.county_code, referral.township_code) == ("150402", "150402001")
    answer(officer, referral, "accepted", dt.date(2025, 9, 5))
    done = answer(officer, referral, "concluded", dt.date(2025, 9, 28), "调解结案，追回工资")
    assert done.status == LegalAidStatus.CONCLUDED
    assert (done.accepted_on, done.concluded_on) == (dt.date(2025, 9, 5), dt.date(2025, 9, 28))
    assert done.result == "调解结案，追回工资"
    entries = AuditEntry.objects.filter(object_type="legal_aid", object_id=str(referral.pk))
    assert sorted(e.action for e in entries) == ["change", "change", "create"]
    # The matter's text names the person's dispute: never written to the log.
    assert all("拖欠" not in str(e.changes) for e in entries)
    labels = [e.label for e in service_events(person)]
    assert labels == ["转介法律援助", "法律援助已受理", "法律援助已办结"]


def test_declined_is_final_and_concluded_directly(officer: Any) -> None:
    person = make_person(name="陈拒")
    declined = answer(
        officer, refer(officer, person), "declined", dt.date(2025, 9, 2), "不符合经济困难标准"
    )
    assert declined.status == LegalAidStatus.DECLINED
    assert declined.decline_reason
    for outcome in ("accepted", "concluded", "declined"):
        with pytest.raises(ValidationFailed) as refused:
            answer(officer, declined, outcome, dt.date(2025, 9, 3), "再次")
        assert refused.value.code == "outcome_not_allowed"
        assert refused.value.field == "outcome"
    direct = answer(officer, refer(officer, person), "concluded", dt.date(2025, 9, 20), "已结案")
    assert direct.status == LegalAidStatus.CONCLUDED
    assert direct.accepted_on is None


@pytest.mark.parametrize(
    ("kw", "code", "field"),
    [
        ({"referred_on": dt.date(2025, 10, 1)}, "date_in_future", "referred_on"),
        ({"matter": "tax"}, "matter", "matter"),
        ({"channel": "letter"}, "channel", "channel"),
        ({"description": "  "}, "required", "description"),
        ({"description": "长" * 301}, "too_long", "description"),
        ({"description": "拖欠\u202e工资"}, "text_characters", "description"),
        ({"id_number": "123"}, None, None),
    ],
)
def test_bad_referrals_refused(officer: Any, kw: dict[str, Any], code: str, field: str) -> None:
    person = make_person(name="刘错")
    with pytest.raises(ValidationFailed) as refused:
        refer(officer, person, **kw)
    if code is not None:
        assert (refused.value.code, refused.value.field) == (code, field)
    assert refused.value.message_zh
    assert refused.value.message_en
    assert not LegalAidReferral.objects.exists()


def test_person_outside_scope_refused(officer: Any) -> None:
    outsider = make_person(name="外县人", village_code="150404002001")
    with pytest.raises(ValidationFailed) as refused:
        refer(officer, outsider)
    assert (refused.value.code, refused.value.field) == ("person", "id_number")
    township = make_user("township_officer", "150402001")
    neighbour = make_person(name="邻镇人", village_code="150404002001")
    with pytest.raises(ValidationFailed):
        refer(township, neighbour)
    assert refer(township, make_person(name="本镇人")).township_code == "150402001"
    assert LegalAidReferral.objects.count() == 1


@pytest.mark.parametrize(
    ("outcome", "on", "note", "code", "field"),
    [
        ("accepted", dt.date(2025, 10, 1), "", "date_in_future", "outcome_on"),
        ("accepted", dt.date(2025, 8, 31), "", "outcome_before_referral", "outcome_on"),
        ("declined", dt.date(2025, 9, 2), " ", "required", "note"),
        ("concluded", dt.date(2025, 9, 2), "", "required", "note"),
        ("concluded", dt.date(2025, 8, 1), "结案", "outcome_before_referral", "outcome_on"),
        ("withdrawn", dt.date(2025, 9, 2), "", "outcome", "outcome"),
    ],
)
def test_bad_outcomes_refused(
    officer: Any, outcome: str, on: dt.date, note: str, code: str, field: str
) -> None:
    referral = refer(officer, make_person(name="赵果"))
    with pytest.raises(ValidationFailed) as refused:
        answer(officer, referral, outcome, on, note)
    assert (refused.value.code, refused.value.field) == (code, field)
    assert refused.value.message_zh
    assert refused.value.message_en
    referral.refresh_from_db()
    assert referral.status == LegalAidStatus.REFERRED
    assert not AuditEntry.objects.filter(object_type="legal_aid", action="change").exists()


def test_concluded_before_accepted_refused(officer: Any) -> None:
    referral = refer(officer, make_person(name="钱序"))
    answer(officer, referral, "accepted", dt.date(2025, 9, 10))
    with pytest.raises(ValidationFailed) as refused:
        answer(officer, referral, "concluded", dt.date(2025, 9, 9), "结案")
    assert refused.value.code == "concluded_before_accepted"


def test_database_keeps_the_dates_in_order(officer: Any) -> None:
    referral = refer(officer, make_person(name="孙库"))
    for fields in (
        {"accepted_on": dt.date(2025, 8, 1)},
        {"declined_on": dt.date(2025, 9, 2)},  # without a reason
        {"concluded_on": dt.date(2025, 9, 2)},  # without a result
        {"accepted_on": dt.date(2025, 9, 5), "concluded_on": dt.date(2025, 9, 4), "result": "x"},
        {
            "accepted_on": dt.date(2025, 9, 5),
            "declined_on": dt.date(2025, 9, 6),
            "decline_reason": "x",
        },
    ):
        with pytest.raises(IntegrityError), transaction.atomic():
            LegalAidReferral.objects.filter(pk=referral.pk).update(**fields)


def test_citizen_request_link(officer: Any) -> None:
    person = make_person(name="周线")
    other = make_person(name="吴他")
    own = request_of(person, officer)
    referral = refer(officer, person, channel="hotline", citizen_request_id=own.pk)
    assert referral.citizen_request_id == own.pk
    for number, code in (
        (request_of(other, officer).pk, "request_other_person"),
        (own.pk + 1000, "request_unknown"),
    ):
        with pytest.raises(ValidationFailed) as refused:
            refer(officer, person, citizen_request_id=number)
        assert (refused.value.code, refused.value.field) == (code, "citizen_request_id")
    # The ID number left empty: the request's person.
    by_request = refer(officer, person, id_number="", citizen_request_id=own.pk)
    assert by_request.person_id == person.pk
    with pytest.raises(ValidationFailed) as refused:
        refer(officer, person, id_number=" ")
    assert (refused.value.code, refused.value.field) == ("required", "id_number")
    far = make_person(name="郑远", village_code="150404002001")
    far_request = request_of(far, make_user("county_officer", "150404"))
    with pytest.raises(ValidationFailed) as refused:
        refer(officer, person, citizen_request_id=far_request.pk)
    assert refused.value.code == "request_unknown"  # another county's request: not found
    with pytest.raises(ValidationFailed) as refused:
        refer(officer, person, id_number="", citizen_request_id=far_request.pk)
    assert refused.value.code == "request_unknown"
    assert LegalAidReferral.objects.count() == 2


def test_status_filters_and_overdue(officer: Any) -> None:
    person = make_person(name="冯期")
    late = refer(officer, person, referred_on=dt.date(2025, 8, 20))
    recent = refer(officer, person, referred_on=dt.date(2025, 9, 15))
    accepted = answer(
        officer,
        refer(officer, person, referred_on=dt.date(2025, 7, 1)),
        "accepted",
        dt.date(2025, 7, 5),
    )
    assert legal_aid.is_overdue(late, TODAY)
    assert not legal_aid.is_overdue(recent, TODAY)
    assert not legal_aid.is_overdue(accepted, TODAY)
    assert list(legal_aid.referrals(officer, today=TODAY, overdue=True)) == [late]
    assert set(legal_aid.referrals(officer, today=TODAY, status="referred")) == {late, recent}
    assert list(legal_aid.referrals(officer, today=TODAY, status="accepted")) == [accepted]
    counts = legal_aid.status_counts(officer, today=TODAY)
    assert counts == {"referred": 2, "accepted": 1, "declined": 0, "concluded": 0, "overdue": 1}
    city = make_user("city_admin", "150400")
    assert legal_aid.referrals(city, today=TODAY, county="150402").count() == 3
    assert legal_aid.referrals(city, today=TODAY, county="150404").count() == 0


def test_change_audits_old_and_new(officer: Any) -> None:
    referral = refer(officer, make_person(name="褚改"))
    legal_aid.referral_change(
        actor=officer,
        referral_id=referral.pk,
        today=TODAY,
        matter="injury",
        description="交通事故赔偿",
        channel="window",
        referred_on=dt.date(2025, 9, 2),
        referred_to=referral.referred_to,
    )
    entry = AuditEntry.objects.get(object_type="legal_aid", action="change")
    assert entry.changes == {
        "matter": ["employment", "injury"],
        "description": "changed",
        "referred_on": ["2025-09-01", "2025-09-02"],
    }
    answer(officer, referral, "accepted", dt.date(2025, 9, 3))
    with pytest.raises(ValidationFailed) as refused:
        legal_aid.referral_change(
            actor=officer,
            referral_id=referral.pk,
            today=TODAY,
            matter="injury",
            description="交通事故赔偿",
            channel="window",
            referred_on=dt.date(2025, 9, 4),
            referred_to=referral.referred_to,
        )
    assert refused.value.code == "referral_after_outcome"


def test_scope_attacks(officer: Any) -> None:
    """Another county's officer can neither list, open nor change a referral; a township
    officer of another township sees none; roles without the permission are refused."""
    own = refer(officer, make_person(name="卫密"))
    outsider = make_user("county_officer", "150404")
    assert list(legal_aid.referrals(outsider, today=TODAY)) == []
    assert legal_aid.referrals(outsider, today=TODAY, county="150402").count() == 0
    with pytest.raises(PermissionRefused):
        legal_aid.referral_for(outsider, own.pk)
    with pytest.raises(PermissionRefused):
        answer(outsider, own, "accepted", dt.date(2025, 9, 2))
    with pytest.raises(PermissionRefused):
        legal_aid.referral_change(
            actor=outsider,
            referral_id=own.pk,
            today=TODAY,
            matter="other",
            description="改",
            channel="window",
            referred_on=dt.date(2025, 9, 1),
            referred_to="x",
        )
    neighbour = make_user("township_officer", "150404002")
    assert list(legal_aid.referrals(neighbour, today=TODAY)) == []
    township = make_user("township_officer", "150402001")
    assert list(legal_aid.referrals(township, today=TODAY)) == [own]
    with pytest.raises(PermissionRefused):  # a township refers; the county records answers
        answer(township, own, "accepted", dt.date(2025, 9, 2))
    city = make_user("city_admin", "150400")
    assert legal_aid.referral_for(city, own.pk) == own
    with pytest.raises(PermissionRefused):
        refer(city, make_person(name="蒋市"))
    for role in ("village_worker", "volunteer", "viewer", "citizen", "institution_staff"):
        user = make_user(role, "150402001001" if role == "village_worker" else "150402")
        with pytest.raises(PermissionRefused):
            legal_aid.referrals(user, today=TODAY)
    own.refresh_from_db()
    assert own.status == LegalAidStatus.REFERRED
    assert own.matter == "employment"


# --- pages ------------------------------------------------------------------------------------


def form_data(person: Any, **kw: str) -> dict[str, str]:
    data = {
        "id_number": person.id_number,
        "matter": "family",
        "description": "离婚后抚养费未支付",
        "channel": "window",
        "referred_on": "2025-09-01",
        "referred_to": "",
    }
    data.update(kw)
    return data


def test_the_pages(officer: Any) -> None:
    client = Client()
    client.force_login(officer)
    url = reverse("social:legal_aid")
    first = client.get(url)
    assert first.status_code == 200
    assert "法律援助中心" in first.content.decode()
    person = make_person(name="沈页")
    future = (timezone.localdate() + dt.timedelta(days=1)).isoformat()
    bad = client.post(url, form_data(person, referred_on=future))
    assert bad.status_code == 400
    assert "转介日期不能晚于今天" in bad.content.decode()
    assert not LegalAidReferral.objects.exists()
    assert client.post(url, form_data(person, matter="")).status_code == 400
    done = client.post(url, form_data(person))
    assert done.status_code == 302
    referral = LegalAidReferral.objects.get()
    page = client.get(done["Location"]).content.decode()
    assert "沈页" in page
    assert person.id_number not in page
    assert "超过30天" in page
    listed = client.get(url, {"status": "overdue"}).content.decode()
    assert "沈页" in listed
    assert "超过30天未反馈" in listed
    early = client.post(
        done["Location"],
        {"action": "outcome", "o-outcome": "accepted", "o-outcome_on": "2025-08-01", "o-note": ""},
    )
    assert early.status_code == 400
    assert "不能早于转介日期" in early.content.decode()
    empty = client.post(
        done["Location"],
        {"action": "outcome", "o-outcome": "concluded", "o-outcome_on": "2025-09-10"},
    )
    assert empty.status_code == 400
    assert "请填写办理结果" in empty.content.decode()
    referral.refresh_from_db()
    assert referral.status == LegalAidStatus.REFERRED
    ok = client.post(
        done["Location"],
        {
            "action": "outcome",
            "o-outcome": "declined",
            "o-outcome_on": "2025-09-10",
            "o-note": "不属于法律援助范围",
        },
    )
    assert ok.status_code == 302
    referral.refresh_from_db()
    assert referral.status == LegalAidStatus.DECLINED
    assert "不属于法律援助范围" in client.get(done["Location"]).content.decode()
    other = Client()
    other.force_login(make_user("county_officer", "150404"))
    assert other.get(done["Location"]).status_code == 404
    assert other.post(done["Location"], {"action": "change"}).status_code == 404
    assert "沈页" not in other.get(url).content.decode()


def test_list_queries_do_not_grow_with_the_rows(officer: Any) -> None:
    person = make_person(name="韩数")
    client = Client()
    client.force_login(officer)
    url = reverse("social:legal_aid")
    counted = []
    for days in ((1,), (2, 3, 4, 5, 6, 7)):
        for day in days:
            refer(officer, person, referred_on=dt.date(2025, 9, day))
        client.get(url)
        with CaptureQueriesContext(connection) as queries:
            assert client.get(url).status_code == 200
        counted.append(len(queries))
    assert counted[0] == counted[1]


def test_from_a_citizen_request(officer: Any) -> None:
    """The request's page links to the referral form with the request's number; the ID
    number may then be left empty."""
    person = make_person(name="杨诉")
    found = request_of(person, officer)
    client = Client()
    client.force_login(officer)
    page = client.get(reverse("portal:staff_request", args=[found.pk])).content.decode()
    link = f"{reverse('social:legal_aid')}?request={found.pk}#refer"
    assert link in page
    form = client.get(reverse("social:legal_aid"), {"request": found.pk}).content.decode()
    assert f'value="{found.pk}"' in form
    done = client.post(
        reverse("social:legal_aid"),
        form_data(person, id_number="", citizen_request_id=str(found.pk), channel="hotline"),
    )
    assert done.status_code == 302
    assert LegalAidReferral.objects.get().citizen_request_id == found.pk
    township = Client()
    township.force_login(make_user("township_officer", "150402001"))
    viewer = township.get(
        reverse("social:legal_aid_referral", args=[LegalAidReferral.objects.get().pk])
    )
    assert viewer.status_code == 200
    assert "登记法律援助中心的答复" not in viewer.content.decode()
