"""The officer's pages for bank account changes: the queue of the region (a constant number
of queries), the decision page, and refusals that answer 404 like a missing record."""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from dpf.core.models import AuditEntry
from dpf.workflow import services
from dpf.workflow.models import PayeeAccount
from tests.benefits.conftest import person_with
from tests.factories import make_user

pytestmark = pytest.mark.django_db

NEW = services.BankDetails("中国建设银行", "张海明", "6217000099998888777")


def pending_changes(n: int, village: str = "150402001001") -> list[PayeeAccount]:
    recorder = make_user("village_worker", village)
    return [
        services.payee_account_request(
            actor=recorder,
            person=person_with(level=1, village=village),
            bank=NEW,
            on=dt.date(2025, 10, 1),
        )
        for _ in range(n)
    ]


def as_user(user: Any) -> Client:
    client = Client()
    client.force_login(user)
    return client


def count_queries(client: Client, url: str) -> int:
    with CaptureQueriesContext(connection) as ctx:
        response = client.get(url)
    assert response.status_code == 200
    return len(ctx.captured_queries)


def test_the_queue_lists_the_regions_pending_changes_in_constant_queries(
    township_officer, django_assert_max_num_queries
) -> None:
    client = as_user(township_officer)
    url = reverse("workflow:payee_accounts")
    pending_changes(1)
    outside = pending_changes(1, village="150404002001")[0]  # another county
    client.get(url)
    few = count_queries(client, url)
    pending_changes(4)
    assert count_queries(client, url) == few
    with django_assert_max_num_queries(10):
        html = client.get(url).content.decode()
    assert len(re.findall(r"/workflow/payee-accounts/\d+/", html)) == 5
    assert f"/workflow/payee-accounts/{outside.pk}/" not in html
    assert "6217" in html
    assert "8777" in html
    assert NEW.account_number not in html  # masked only


def test_an_officer_verifies_from_the_page(township_officer) -> None:
    account = pending_changes(1)[0]
    client = as_user(township_officer)
    url = reverse("workflow:payee_account", args=[account.pk])
    page = client.get(url)
    assert page.status_code == 200
    assert account.person.name in page.content.decode()
    unchecked = client.post(url, {"decision": "verify", "note": ""})
    assert unchecked.status_code == 400
    assert "核对本人身份证件" in unchecked.content.decode()
    account.refresh_from_db()
    assert account.status == "pending"
    done = client.post(url, {"decision": "verify", "checked_in_person": "on"})
    assert done.status_code == 302
    assert done["Location"] == reverse("workflow:payee_accounts")
    account.refresh_from_db()
    assert account.status == "verified"
    assert account.decided_by == township_officer


def test_a_rejection_needs_a_reason_on_the_page(county_officer) -> None:
    account = pending_changes(1)[0]
    client = as_user(county_officer)
    url = reverse("workflow:payee_account", args=[account.pk])
    refused = client.post(url, {"decision": "reject", "note": ""})
    assert refused.status_code == 400
    assert "请填写理由" in refused.content.decode()
    assert client.post(url, {"decision": "reject", "note": "不是本人的卡"}).status_code == 302
    account.refresh_from_db()
    assert account.status == "rejected"


def test_workers_and_other_regions_get_404_and_nothing_changes(
    village_worker, other_county_officer
) -> None:
    account = pending_changes(1)[0]
    url = reverse("workflow:payee_account", args=[account.pk])
    for user in (village_worker, other_county_officer):
        client = as_user(user)
        assert client.get(url).status_code == 404
        assert client.post(url, {"decision": "verify", "checked_in_person": "on"}).status_code == (
            404
        )
    assert as_user(village_worker).get(reverse("workflow:payee_accounts")).status_code == 404
    account.refresh_from_db()
    assert account.status == "pending"
    assert AuditEntry.objects.filter(action="permission_denied", object_id=str(account.pk)).exists()
