"""Registration with ID number + certificate number + phone code, and accounts opened by a
worker: generic refusals, rate limits, code expiry and attempts."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from django.utils import timezone

from dpf.accounts.permissions import PermissionRefused
from dpf.core.errors import NotFound, ValidationFailed
from dpf.core.models import AuditEntry
from dpf.portal import services
from dpf.portal.messaging import MemorySender
from dpf.portal.models import CitizenAccount, RateEvent, VerificationCode
from dpf.registry import services as registry_services
from tests.factories import make_user
from tests.portal.conftest import certificate_number, certified

pytestmark = pytest.mark.django_db

PHONE = "13904761234"
PASSWORD = "Steppe-Horse-Lantern-42"


def _start(person, *, id_number=None, number=None, address="10.0.0.1", now=None) -> int:
    return services.registration_start(
        id_number=id_number or person.id_number,
        certificate_number=number or certificate_number(person),
        phone=PHONE,
        client_address=address,
        now=now,
    )


def _sent_code() -> str:
    found = re.search(r"\b(\d{6})\b", MemorySender.sent[-1][1])
    assert found
    return found.group(1)


def test_good_registration_opens_a_citizen_account(person) -> None:
    code_id = _start(person)
    phone_shown, _text = MemorySender.sent[-1]
    assert PHONE not in phone_shown and phone_shown.endswith("1234")
    code = _sent_code()
    record = VerificationCode.objects.get(pk=code_id)
    assert code not in record.code_hash  # stored as a keyed hash only
    account = services.registration_complete(
        code_id=code_id, code=code, username="wanghaiming", password=PASSWORD
    )
    assert account.person == person
    assert account.user.role == "citizen" and account.user.region_id is None
    assert account.user.check_password(PASSWORD)
    assert account.phone == PHONE and PHONE not in account.phone_masked
    assert AuditEntry.objects.filter(object_type="citizen_account", action="create").exists()
    assert not any(PHONE in str(e.changes) for e in AuditEntry.objects.all())
    with pytest.raises(ValidationFailed) as again:  # the code is used up
        services.registration_complete(
            code_id=code_id, code=code, username="another1", password=PASSWORD
        )
    assert again.value.code == "code_unknown"


def test_wrong_certificate_and_wrong_id_are_refused_alike(person) -> None:
    other = certified(name="李秀英")
    refusals = []
    for id_number, number in (
        (person.id_number, certificate_number(other)),  # someone else's certificate
        (other.id_number, certificate_number(person)),
        (person.id_number, "not a number"),
    ):
        with pytest.raises(ValidationFailed) as refused:
            _start(person, id_number=id_number, number=number)
        refusals.append((refused.value.code, refused.value.message_zh, refused.value.message_en))
    assert len(set(refusals)) == 1 and refusals[0][0] == "registration_no_match"
    assert not VerificationCode.objects.exists() and MemorySender.sent == []


def test_dead_person_cancelled_certificate_or_existing_account_refused_alike(person) -> None:
    services.registration_complete(
        code_id=_start(person), code=_sent_code(), username="first1", password=PASSWORD
    )
    with pytest.raises(ValidationFailed) as refused:
        _start(person)
    assert refused.value.code == "registration_no_match"
    cancelled = certified(name="赵小兰")
    registry_services.certificate_end(
        actor=None,
        certificate=cancelled.certificates.get(),
        on=timezone.localdate(),
        status="cancelled",
        reason="测试注销",
    )
    with pytest.raises(ValidationFailed) as refused:
        _start(cancelled)
    assert refused.value.code == "registration_no_match"


def test_registration_is_rate_limited_per_id_number(person) -> None:
    kind, limit, _window = services.REGISTER_PER_ID
    for _ in range(limit):
        with pytest.raises(ValidationFailed):
            _start(person, number="15040219800517001X42")
    with pytest.raises(services.RateLimited):
        _start(person)  # even with the right numbers
    assert RateEvent.objects.filter(kind=kind).count() == limit
    later = timezone.now() + dt.timedelta(hours=1, minutes=1)
    assert _start(person, now=later)  # the window has passed


def test_registration_is_rate_limited_per_client_address(regions) -> None:
    _kind, limit, _window = services.REGISTER_PER_ADDRESS
    people = [certified(name=f"测试{i}") for i in range(2)]
    for i in range(limit):
        with pytest.raises(ValidationFailed):
            _start(people[0], id_number=f"{i}", number="x", address="10.9.9.9")
    with pytest.raises(services.RateLimited):
        _start(people[1], address="10.9.9.9")
    assert _start(people[1], address="10.9.9.10")


def test_code_sending_is_rate_limited_per_id_number(person) -> None:
    _kind, limit, _window = services.CODE_PER_ID
    for _ in range(limit):
        _start(person)
    with pytest.raises(services.RateLimited):
        _start(person)
    assert len(MemorySender.sent) == limit


def test_code_expires_after_ten_minutes(person) -> None:
    start = timezone.now()
    code_id = _start(person, now=start)
    with pytest.raises(ValidationFailed) as refused:
        services.registration_complete(
            code_id=code_id,
            code=_sent_code(),
            username="late1",
            password=PASSWORD,
            now=start + dt.timedelta(minutes=services.CODE_MINUTES, seconds=1),
        )
    assert refused.value.code == "code_expired"
    assert not CitizenAccount.objects.exists()


def test_code_allows_five_attempts(person) -> None:
    code_id = _start(person)
    code = _sent_code()
    wrong = f"{(int(code) + 1) % 1_000_000:06d}"
    for _ in range(services.CODE_ATTEMPTS):
        with pytest.raises(ValidationFailed) as refused:
            services.registration_complete(
                code_id=code_id, code=wrong, username="guess1", password=PASSWORD
            )
        assert refused.value.code == "code_wrong"
    with pytest.raises(ValidationFailed) as refused:
        services.registration_complete(
            code_id=code_id, code=code, username="guess1", password=PASSWORD
        )
    assert refused.value.code == "code_attempts"
    assert not CitizenAccount.objects.exists()


def test_weak_password_and_bad_username_write_nothing(person) -> None:
    code_id = _start(person)
    code = _sent_code()
    attempts = (("ok_user", "123", "password"), ("a b", PASSWORD, "username"))
    for username, password, field in attempts:
        with pytest.raises(ValidationFailed) as refused:
            services.registration_complete(
                code_id=code_id, code=code, username=username, password=password
            )
        assert refused.value.field == field
    assert not CitizenAccount.objects.exists()
    assert services.registration_complete(
        code_id=code_id, code=code, username="ok_user", password=PASSWORD
    )


def test_worker_opens_an_account_in_scope_only(person, village_worker) -> None:
    opened = services.account_open_by_worker(
        actor=village_worker, person_id=person.pk, username="wang_by_worker"
    )
    assert opened.account.user.check_password(opened.initial_password)
    assert opened.account.created_by == village_worker
    outside = certified(name="巴特尔", village="150404002001")
    with pytest.raises(NotFound):
        services.account_open_by_worker(
            actor=village_worker, person_id=outside.pk, username="not_mine"
        )
    with pytest.raises(ValidationFailed) as refused:
        services.account_open_by_worker(
            actor=village_worker, person_id=person.pk, username="twice1"
        )
    assert refused.value.code == "account_exists"
    county = make_user("county_officer", "150402")
    with pytest.raises(PermissionRefused):  # not a role that opens accounts
        services.account_open_by_worker(actor=county, person_id=outside.pk, username="x1234")


def test_worker_can_send_the_initial_password_to_the_phone(
    person, village_worker, django_capture_on_commit_callbacks
) -> None:
    with django_capture_on_commit_callbacks(execute=True):
        opened = services.account_open_by_worker(
            actor=village_worker,
            person_id=person.pk,
            username="wang_sms",
            phone=PHONE,
            send_to_phone=True,
        )
    assert opened.initial_password == ""
    assert "wang_sms" in MemorySender.sent[-1][1]
