"""The audit page: city admins only, filters, pagination, bounded queries, masked values."""

from __future__ import annotations

import datetime as dt

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from dpf.core import audit
from dpf.core.models import AuditEntry
from tests.factories import make_person, make_user

pytestmark = pytest.mark.django_db
URL = "/audit/"


@pytest.fixture
def admin_client(regions):
    admin = make_user("city_admin", "150400")
    client = Client()
    client.force_login(admin)
    return client


def _rows(response) -> int:
    return response.content.decode().count("<tr>") - 1  # minus the header row


def test_only_city_admins_open_the_audit_page(regions):
    assert reverse("audit:list") == URL
    for role, region in (("county_officer", "150402"), ("viewer", None), ("citizen", None)):
        client = Client()
        client.force_login(make_user(role, region))
        assert client.get(URL).status_code == 404
    assert Client().get(URL).status_code == 302


def test_filters_by_user_person_action_and_dates(admin_client, regions):
    officer = make_user("county_officer", "150402")
    person = make_person(actor=officer, name="审计对象", village_code="150402001001")
    audit.record(actor=officer, action="view", object_type="person", object_id=person.pk)
    audit.record(
        actor=officer,
        action="reveal",
        object_type="person",
        object_id=person.pk,
        reason="核对身份信息",
    )
    audit.record(actor=None, action="login_failure", actor_name="guess")
    page = admin_client.get(URL, {"user": officer.username})
    assert page.status_code == 200
    by_user = admin_client.get(URL, {"username": officer.username}).content.decode()
    assert "guess" not in by_user
    assert officer.username in by_user
    by_person = admin_client.get(URL, {"person": person.pk})
    assert _rows(by_person) == 3  # create, view, reveal
    by_action = admin_client.get(URL, {"action": "reveal"}).content.decode()
    assert "核对身份信息" in by_action
    assert "guess" not in by_action
    today = timezone.localdate()
    in_range = admin_client.get(
        URL, {"date_from": today.isoformat(), "date_to": today.isoformat(), "action": "view"}
    )
    assert _rows(in_range) >= 1
    past = admin_client.get(
        URL, {"date_to": (today - dt.timedelta(days=1)).isoformat(), "action": "view"}
    )
    assert "没有符合条件的记录" in past.content.decode()


def test_bad_filters_are_refused_with_a_message(admin_client):
    response = admin_client.get(URL, {"date_from": "2025-02-30", "person": "abc", "action": "drop"})
    assert response.status_code == 200
    text = response.content.decode()
    assert 'class="error-summary"' in text
    assert "<tbody>" not in text


def test_personal_values_are_masked_on_the_page(admin_client, regions):
    person = make_person(name="脱敏检查", village_code="150402001001", phone="13904769876")
    text = admin_client.get(URL, {"person": person.pk}).content.decode()
    assert person.id_number_masked in text
    assert person.id_number not in text
    assert "13904769876" not in text


def test_pages_of_fifty_with_bounded_queries(admin_client, django_assert_max_num_queries):
    for i in range(120):
        audit.record(actor=None, action="view", object_type="report", object_id=i)
    with django_assert_max_num_queries(15):
        first = admin_client.get(URL, {"action": "view"})
    assert _rows(first) == 50
    last = admin_client.get(URL, {"action": "view", "page": 3})
    assert _rows(last) >= 20
    assert "page=2" in last.content.decode()


def test_viewing_the_audit_page_is_itself_audited(admin_client):
    before = AuditEntry.objects.filter(object_type="audit_log").count()
    admin_client.get(URL, {"action": "login"})
    assert AuditEntry.objects.filter(object_type="audit_log", action="view").count() == before + 1
