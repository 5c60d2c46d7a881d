"""A child's screening or referral before the application (issue 18 part 4): recorded for
children under 8 of the worker's region, refused in both languages otherwise with nothing
written; the county's follow-up list holds the referred children without an application
for the assistance (and without the assistance in force) until one is made or the
referral is closed with a reason."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from dpf.accounts.permissions import PermissionRefused
from dpf.benefits.models import BenefitItem
from dpf.benefits.services.entitlements import entitlement_create
from dpf.core.errors import NotFound, ValidationFailed
from dpf.core.models import AuditEntry
from dpf.services import child_rehab
from dpf.services import child_rehab_selectors as selectors
from dpf.services.models import ChildReferral
from tests.factories import make_person, make_user

pytestmark = pytest.mark.django_db

TODAY = dt.date(2025, 9, 30)


@pytest.fixture
def officer(regions):
    return make_user("county_officer", "150402")


@pytest.fixture
def worker(regions):
    return make_user("village_worker", "150402001001")


def _record(actor, person, **kw):
    values: dict[str, Any] = {
        "kind": "screening",
        "date": dt.date(2025, 5, 6),
        "source": "maternal_child",
        "source_name": "红山区妇幼保健院",
        "finding": "听力筛查未通过，疑似听力障碍",
        "today": TODAY,
    }
    values.update(kw)
    return child_rehab.child_referral_record(actor=actor, person_id=person.pk, **values)


def test_a_village_worker_records_a_screening_of_a_child_of_the_village(worker) -> None:
    child = make_person(name="小雨", birth=dt.date(2022, 3, 1))
    referral = _record(worker, child)
    assert (referral.kind, referral.source, referral.county_code) == (
        "screening",
        "maternal_child",
        "150402",
    )
    entry = AuditEntry.objects.filter(object_type="child_referral").get()
    assert "听力" not in str(entry.changes)  # the finding is health information


@pytest.mark.parametrize(
    ("birth", "changes", "code", "field"),
    [
        (dt.date(2017, 5, 6), {}, "referral_not_child", "date"),  # 8 that day
        (dt.date(2018, 1, 1), {}, "screening_age", "date"),  # 7: a referral, not screening
        (dt.date(2022, 3, 1), {"source": "kindergarten"}, "screening_source", "source"),
        (dt.date(2022, 3, 1), {"date": dt.date(2022, 2, 1)}, "referral_before_birth", "date"),
        (dt.date(2022, 3, 1), {"date": dt.date(2025, 10, 1)}, "date_in_future", "date"),
        (dt.date(2022, 3, 1), {"kind": "rumour"}, "referral_kind", "kind"),
        (dt.date(2022, 3, 1), {"source": "neighbour"}, "referral_source", "source"),
        (dt.date(2022, 3, 1), {"source_name": "  "}, "required", "source_name"),
        (dt.date(2022, 3, 1), {"finding": "x" * 301}, "too_long", "finding"),
    ],
)
def test_bad_input_is_refused_in_both_languages_and_writes_nothing(
    worker, birth, changes, code, field
) -> None:
    child = make_person(name="小雨", birth=birth)
    with pytest.raises(ValidationFailed) as info:
        _record(worker, child, **changes)
    assert (info.value.code, info.value.field) == (code, field)
    assert info.value.message_zh
    assert info.value.message_en
    assert not ChildReferral.objects.exists()


def test_a_child_of_seven_is_referred_not_screened(worker) -> None:
    child = make_person(name="小林", birth=dt.date(2018, 1, 1))
    referral = _record(worker, child, kind="referral", source="kindergarten")
    assert referral.kind == "referral"


def test_the_same_referral_twice_is_refused(worker) -> None:
    child = make_person(name="小雨", birth=dt.date(2022, 3, 1))
    _record(worker, child)
    with pytest.raises(ValidationFailed) as info:
        _record(worker, child)
    assert info.value.code == "referral_duplicate"
    assert ChildReferral.objects.count() == 1


def test_a_child_outside_the_workers_region_is_not_found(worker) -> None:
    elsewhere = make_person(name="小远", birth=dt.date(2022, 3, 1), village_code="150404002001")
    with pytest.raises(NotFound):
        _record(worker, elsewhere)
    institution = make_user("institution_staff", None, institution_code="REHAB-A")
    near = make_person(name="小近", birth=dt.date(2022, 3, 1))
    with pytest.raises(PermissionRefused):
        _record(institution, near)
    assert not ChildReferral.objects.exists()


def _approve(person, valid_from: dt.date) -> None:
    entitlement_create(
        actor=None,
        person=person,
        benefit=BenefitItem.objects.get(code="child_rehab"),
        valid_from=valid_from,
        monthly_amount=Decimal("1500.00"),
    )


def test_the_follow_up_list_holds_referred_children_until_the_assistance(worker, officer) -> None:
    waiting = _record(worker, make_person(name="小等", birth=dt.date(2022, 3, 1)))
    served_child = make_person(name="小享", birth=dt.date(2021, 3, 1))
    served = _record(worker, served_child)
    _approve(served_child, dt.date(2025, 7, 1))
    closed = _record(worker, make_person(name="小结", birth=dt.date(2021, 6, 1)))
    child_rehab.child_referral_close(
        actor=officer,
        referral_id=closed.pk,
        closed_on=dt.date(2025, 8, 1),
        reason="复查听力正常，无需救助",
        today=TODAY,
    )
    assert list(selectors.referrals(officer)) == [waiting]
    assert set(selectors.referrals(officer, to_follow=False)) == {waiting, served, closed}
    # The township officer of another county sees none of them.
    other = make_user("township_officer", "150404002")
    assert not selectors.referrals(other, to_follow=False).exists()


def test_an_application_made_after_the_referral_takes_the_child_off_the_list(
    worker, officer
) -> None:
    from dpf.workflow import services as workflow

    child = make_person(name="小申", birth=dt.date(2022, 3, 1))
    referral = _record(worker, child)
    assert list(selectors.referrals(officer)) == [referral]
    application = workflow.application_submit(
        actor=officer,
        person=child,
        benefit_codes=["child_rehab"],
        channel="window",
        applicant_kind="guardian",
        applicant_name="小申妈妈",
        applicant_relation="母亲",
        today=dt.date(2025, 9, 1),
        now=dt.datetime(2025, 9, 1, 2, 0, tzinfo=dt.UTC),
    )
    assert not selectors.referrals(officer).exists()
    followed = selectors.referral_followed_by(referral)
    assert [item.application_id for item in followed] == [application.pk]


def test_closing_a_referral_needs_a_reason_a_date_after_it_and_the_county(worker, officer) -> None:
    referral = _record(worker, make_person(name="小关", birth=dt.date(2022, 3, 1)))

    def close(actor, **kw):
        values: dict[str, Any] = {
            "closed_on": dt.date(2025, 8, 1),
            "reason": "家长拒绝",
            "today": TODAY,
        }
        values.update(kw)
        return child_rehab.child_referral_close(actor=actor, referral_id=referral.pk, **values)

    with pytest.raises(PermissionRefused):
        close(worker)  # the village records; the county follows up
    for changes, code in (
        ({"closed_on": dt.date(2025, 5, 1)}, "referral_close_before"),
        ({"closed_on": dt.date(2025, 10, 1)}, "date_in_future"),
        ({"reason": ""}, "required"),
    ):
        with pytest.raises(ValidationFailed) as info:
            close(officer, **changes)
        assert info.value.code == code
    referral.refresh_from_db()
    assert referral.closed_on is None
    close(officer)
    with pytest.raises(ValidationFailed) as info:
        close(officer)
    assert info.value.code == "referral_closed"


def _client(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def test_the_follow_up_page_lists_in_constant_queries(worker, officer) -> None:
    _record(worker, make_person(name="小甲", birth=dt.date(2022, 3, 1)))
    client = _client(officer)
    url = reverse("services:child_referrals")
    client.get(url)
    with CaptureQueriesContext(connection) as few:
        page = client.get(url).content.decode()
    assert "小甲" in page
    for n in range(4):
        _record(worker, make_person(name=f"小乙{n}", birth=dt.date(2021, 3, 1)))
    with CaptureQueriesContext(connection) as many:
        page = client.get(url).content.decode()
    assert "小乙3" in page
    assert len(many) == len(few)
    assert "小乙3" in client.get(url + "?all=1").content.decode()


def test_a_worker_records_a_referral_on_the_page_and_bad_input_shows_by_the_field(
    worker,
) -> None:
    child = make_person(name="小页", birth=dt.date(2018, 1, 1))
    client = _client(worker)
    url = reverse("services:child_referral_new", args=[child.pk])
    assert client.get(url).status_code == 200
    form = {
        "kind": "screening",
        "date": "2025-05-06",
        "source": "hospital",
        "source_name": "赤峰市医院",
        "finding": "运动发育迟缓",
    }
    refused = client.post(url, form)
    assert refused.status_code == 400
    assert "7周岁的儿童请登记为转介" in refused.content.decode()
    assert not ChildReferral.objects.exists()
    done = client.post(url, {**form, "kind": "referral"})
    referral = ChildReferral.objects.get()
    assert done.status_code == 302
    assert done["Location"] == reverse("services:child_referral", args=[referral.pk])
    page = client.get(done["Location"]).content.decode()
    assert "运动发育迟缓" in page
    assert "尚无残疾儿童康复救助申请" in page
    # Another county's officer: as if it did not exist.
    stranger = make_user("county_officer", "150404")
    assert _client(stranger).get(done["Location"]).status_code == 404
