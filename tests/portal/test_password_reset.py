"""A citizen resets a forgotten password with a code sent to the phone (issue 17 part 3):
the registration's code service and limits, the same answer whether an account exists."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from django.urls import reverse

from dpf.core.errors import ValidationFailed
from dpf.core.models import AuditEntry
from dpf.portal import password_reset as resets
from dpf.portal import services
from dpf.portal.messaging import MemorySender
from dpf.portal.models import VerificationCode
from tests.portal.conftest import certificate_number, certified, citizen_for

pytestmark = pytest.mark.django_db

NOW = dt.datetime(2026, 11, 30, 2, 0, tzinfo=dt.UTC)
NEW_PASSWORD = "Steppe-Horse-Lantern-42"


def _sent_code() -> str:
    found = re.search(r"\b(\d{6})\b", MemorySender.sent[-1][1])
    assert found
    return found.group(1)


def test_reset_with_the_code_sets_the_new_password(person, citizen) -> None:
    code_id = resets.reset_start(id_number=person.id_number, client_address="10.0.0.1", now=NOW)
    assert code_id is not None
    phone_shown, text = MemorySender.sent[-1]
    assert phone_shown == "139****1234"
    assert "重设" in text
    user = resets.reset_complete(
        code_id=code_id, code=_sent_code(), new_password=NEW_PASSWORD, now=NOW
    )
    assert user == citizen
    citizen.refresh_from_db()
    assert citizen.check_password(NEW_PASSWORD)
    entry = AuditEntry.objects.get(object_type="user", action="change")
    assert entry.changes["password"] == "reset_by_phone_code"
    assert NEW_PASSWORD not in str(entry.changes)
    # The code is spent.
    with pytest.raises(ValidationFailed):
        resets.reset_complete(
            code_id=code_id, code=_sent_code(), new_password="Another-Lantern-43", now=NOW
        )


def test_no_account_sends_nothing_and_answers_alike(person) -> None:
    assert (
        resets.reset_start(id_number=person.id_number, client_address="10.0.0.1", now=NOW) is None
    )
    assert MemorySender.sent == []
    with pytest.raises(ValidationFailed) as caught:
        resets.reset_complete(code_id=None, code="123456", new_password=NEW_PASSWORD, now=NOW)
    assert caught.value.code == "code_wrong"


def test_the_second_step_answers_alike_with_or_without_an_account(regions) -> None:
    """The oracle this closes: a wrong code typed for an ID number with an account must
    read exactly like one typed when nothing was sent, attempt after attempt."""
    with_account = certified(name="甲某")
    citizen_for(with_account)
    code_id = resets.reset_start(
        id_number=with_account.id_number, client_address="10.0.0.3", now=NOW
    )
    wrong = "000000" if _sent_code() != "000000" else "111111"
    for attempt in range(services.CODE_ATTEMPTS + 1):
        with pytest.raises(ValidationFailed) as real:
            resets.reset_complete(code_id=code_id, code=wrong, new_password=NEW_PASSWORD, now=NOW)
        with pytest.raises(ValidationFailed) as decoy:
            resets.reset_complete(
                code_id=None,
                code=wrong,
                new_password=NEW_PASSWORD,
                decoy_attempts=attempt,
                now=NOW,
            )
        assert (real.value.code, real.value.message_zh, real.value.message_en) == (
            decoy.value.code,
            decoy.value.message_zh,
            decoy.value.message_en,
        ), attempt


def test_a_wrong_code_counts_and_changes_nothing(person, citizen) -> None:
    code_id = resets.reset_start(id_number=person.id_number, client_address="10.0.0.1", now=NOW)
    assert code_id is not None
    wrong = "000000" if _sent_code() != "000000" else "111111"
    with pytest.raises(ValidationFailed) as caught:
        resets.reset_complete(code_id=code_id, code=wrong, new_password=NEW_PASSWORD, now=NOW)
    assert caught.value.code == "code_wrong"
    assert VerificationCode.objects.get(pk=code_id).attempts == 1
    citizen.refresh_from_db()
    assert not citizen.check_password(NEW_PASSWORD)


def test_a_registration_code_never_resets_a_password(regions) -> None:
    """The attack: a code sent for one purpose used for the other. Registration codes are
    hashed under another purpose, so the same six digits do not match."""
    person = certified(name="李明")
    started = services.registration_start(
        id_number=person.id_number,
        certificate_number=certificate_number(person),
        client_address="10.0.0.2",
        now=NOW,
    )
    user = citizen_for(person)
    with pytest.raises(ValidationFailed):
        resets.reset_complete(
            code_id=started.code_id, code=_sent_code(), new_password=NEW_PASSWORD, now=NOW
        )
    user.refresh_from_db()
    assert not user.check_password(NEW_PASSWORD)


def test_codes_are_limited_per_person_like_registration(person, citizen) -> None:
    for _ in range(services.CODE_PER_PERSON[1]):
        resets.reset_start(id_number=person.id_number, client_address="10.0.0.1", now=NOW)
    with pytest.raises(services.RateLimited):
        resets.reset_start(id_number=person.id_number, client_address="10.0.0.9", now=NOW)
    assert len(MemorySender.sent) == services.CODE_PER_PERSON[1]


def test_the_limit_answers_alike_without_an_account(person) -> None:
    for _ in range(services.CODE_PER_PERSON[1]):
        assert (
            resets.reset_start(id_number=person.id_number, client_address="10.0.0.1", now=NOW)
            is None
        )
    with pytest.raises(services.RateLimited):
        resets.reset_start(id_number=person.id_number, client_address="10.0.0.9", now=NOW)


def test_the_pages(client, person, citizen) -> None:
    start = client.post(reverse("portal:password_reset"), {"id_number": person.id_number})
    assert start.status_code == 302
    assert start.headers["Location"] == reverse("portal:password_reset_confirm")
    confirm = client.post(
        reverse("portal:password_reset_confirm"),
        {"code": _sent_code(), "new_password": NEW_PASSWORD, "new_password2": NEW_PASSWORD},
    )
    assert confirm.status_code == 302
    citizen.refresh_from_db()
    assert citizen.check_password(NEW_PASSWORD)


def test_the_first_page_answers_alike_without_an_account(client, person) -> None:
    start = client.post(reverse("portal:password_reset"), {"id_number": person.id_number})
    assert start.status_code == 302
    assert start.headers["Location"] == reverse("portal:password_reset_confirm")
    page = client.get(reverse("portal:password_reset_confirm"))
    assert page.status_code == 200
    confirm = client.post(
        reverse("portal:password_reset_confirm"),
        {"code": "123456", "new_password": NEW_PASSWORD, "new_password2": NEW_PASSWORD},
    )
    assert confirm.status_code == 400
