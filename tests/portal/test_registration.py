"""Registration with ID number + certificate number and a code sent to the phone on file, and
accounts opened by a worker: generic refusals, limits per person (not per spelling of the ID
number) and per address, the month-long pause after refused attempts, code expiry and
attempts."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from django.utils import timezone

from dpf.accounts.permissions import PermissionRefused
from dpf.core.errors import NotFound, ValidationFailed
from dpf.core.idnumber import make_id_number, parse_id_number
from dpf.core.models import AuditEntry
from dpf.portal import services
from dpf.portal.messaging import MemorySender
from dpf.portal.models import CitizenAccount, RateEvent, VerificationCode
from dpf.registry import services as registry_services
from tests.factories import make_user
from tests.portal.conftest import PHONE_ON_FILE, certificate_number, certified

pytestmark = pytest.mark.django_db

PHONE = PHONE_ON_FILE
PASSWORD = "Steppe-Horse-Lantern-42"
NOW = dt.datetime(2026, 11, 30, 2, 0, tzinfo=dt.UTC)  # 10:00 in Chifeng


def _start(person, *, id_number=None, number=None, address="10.0.0.1", now=None) -> int:
    started = services.registration_start(
        id_number=id_number or person.id_number,
        certificate_number=number or certificate_number(person),
        client_address=address,
        now=now,
    )
    return started.code_id


def _fifteen(id_number: str) -> str:
    """The first-generation (15-digit) spelling of an 18-character ID number of the 1900s."""
    return id_number[:6] + id_number[8:17]


def _wrong(number: str) -> str:
    """The same certificate number with another level digit (one of the 28 endings)."""
    return number[:19] + ("1" if number[19] != "1" else "2")


def _sent_code() -> str:
    found = re.search(r"\b(\d{6})\b", MemorySender.sent[-1][1])
    assert found
    return found.group(1)


def test_good_registration_opens_a_citizen_account(person) -> None:
    code_id = _start(person)
    phone_shown, _text = MemorySender.sent[-1]
    assert PHONE not in phone_shown
    assert phone_shown.endswith("1234")
    code = _sent_code()
    record = VerificationCode.objects.get(pk=code_id)
    assert code not in record.code_hash  # stored as a keyed hash only
    account = services.registration_complete(
        code_id=code_id, code=code, username="wanghaiming", password=PASSWORD
    )
    assert account.person == person
    assert account.user.role == "citizen"
    assert account.user.region_id is None
    assert account.user.check_password(PASSWORD)
    assert account.phone == PHONE
    assert PHONE not in account.phone_masked
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
    assert len(set(refusals)) == 1
    assert refusals[0][0] == "registration_no_match"
    assert not VerificationCode.objects.exists()
    assert MemorySender.sent == []


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


def test_the_code_goes_only_to_the_phone_on_file(regions) -> None:
    """Whatever the registrant may type elsewhere, the service has no phone to take: the
    code goes to the registry's mobile number for the person, shown masked."""
    person = certified(phone="13812345678")
    started = services.registration_start(
        id_number=person.id_number,
        certificate_number=certificate_number(person),
        client_address="10.0.0.1",
        now=NOW,
    )
    assert started.phone_masked == "138****5678"
    assert [phone for phone, _text in MemorySender.sent] == ["138****5678"]
    assert VerificationCode.objects.get(pk=started.code_id).phone == "13812345678"


@pytest.mark.parametrize(
    "on_file", ["", "04768321234", "8321234"], ids=["none", "landline", "short"]
)
def test_no_mobile_number_on_file_is_refused_like_a_wrong_number(regions, on_file) -> None:
    person = certified(phone=on_file)
    with pytest.raises(ValidationFailed) as no_phone:
        _start(person, now=NOW)
    with pytest.raises(ValidationFailed) as wrong:
        _start(person, number=_wrong(certificate_number(person)), now=NOW)
    as_seen = [(e.value.code, e.value.message_zh, e.value.message_en) for e in (no_phone, wrong)]
    assert as_seen[0] == as_seen[1]
    assert as_seen[0][0] == "registration_no_match"
    assert "当面开通" in as_seen[0][1]  # the way forward: at the window
    assert MemorySender.sent == []
    assert not VerificationCode.objects.exists()
    kind = services.REGISTER_FAILURES_PER_PERSON[0]
    assert RateEvent.objects.filter(kind=kind).count() == 2  # both count alike


def test_the_15_and_18_digit_spellings_of_one_id_share_one_counter(person) -> None:
    eighteen = person.id_number
    fifteen = _fifteen(eighteen)
    assert services.person_key(fifteen, NOW.date()) == services.person_key(eighteen, NOW.date())
    full_width = eighteen.translate({ord(d): 0xFF10 + int(d) for d in "0123456789"})
    assert services.person_key(full_width, NOW.date()) == eighteen  # a third spelling
    wrong = _wrong(certificate_number(person))
    _kind, limit, _window = services.REGISTER_FAILURES_PER_PERSON
    for i in range(limit):  # one try every two hours from new addresses: no hourly limit bites
        with pytest.raises(ValidationFailed):
            _start(
                person,
                id_number=(fifteen, eighteen)[i % 2],
                number=wrong,
                address=f"10.1.{i}.1",
                now=NOW + dt.timedelta(hours=2 * i),
            )
    for spelling in (fifteen, eighteen):
        with pytest.raises(services.RegistrationPaused):
            _start(person, id_number=spelling, address="10.1.99.1", now=NOW + dt.timedelta(days=1))
    assert not VerificationCode.objects.exists()


def test_the_28_certificate_numbers_cannot_be_tried(person) -> None:
    """A stranger who knows the ID number tries every category and level digit, one try a
    day from a new address: the fifth refusal pauses online registration for the month, the
    right number is refused like the rest, and the owner is warned on the phone on file."""
    right = certificate_number(person)
    outcomes = []
    for i, (category, level) in enumerate((c, lv) for c in range(1, 8) for lv in range(1, 5)):
        try:
            _start(
                person,
                id_number=(person.id_number, _fifteen(person.id_number))[i % 2],
                number=f"{right[:18]}{category}{level}",
                address=f"10.2.{i}.1",
                now=NOW + dt.timedelta(days=i),
            )
        except services.RegistrationPaused:
            outcomes.append("paused")
        except ValidationFailed as refused:
            outcomes.append(refused.code)
        else:
            outcomes.append("code sent")
    assert outcomes[:5] == ["registration_no_match"] * 5
    assert set(outcomes[5:]) == {"paused"}  # the right ending (4, 2) is the 14th
    assert not VerificationCode.objects.exists()
    assert not CitizenAccount.objects.exists()
    assert [phone for phone, _text in MemorySender.sent] == ["139****1234"]  # one warning
    assert "尝试注册" in MemorySender.sent[0][1]
    assert "code sent" not in outcomes


def test_a_pause_says_nothing_about_whether_the_id_number_is_registered(person) -> None:
    """An ID number nobody holds pauses after the same refusals, with the same answer."""
    nobody = parse_id_number(make_id_number("150402", dt.date(1990, 1, 1), 123))
    answers = {}
    for key, id_number, number in (
        ("held", person.id_number, _wrong(certificate_number(person))),
        ("unheld", nobody.normalized, nobody.normalized + "42"),
    ):
        for i in range(services.REGISTER_FAILURES_PER_PERSON[1]):
            with pytest.raises(ValidationFailed):
                services.registration_start(
                    id_number=id_number,
                    certificate_number=number,
                    client_address=f"10.3.{i}.{len(key)}",
                    now=NOW + dt.timedelta(hours=2 * i),
                )
        with pytest.raises(services.RegistrationPaused) as paused:
            services.registration_start(
                id_number=id_number,
                certificate_number=number,
                client_address="10.3.99.1",
                now=NOW + dt.timedelta(days=1),
            )
        answers[key] = (paused.value.code, paused.value.message_zh, paused.value.message_en)
    assert answers["held"] == answers["unheld"]


def test_the_pause_lifts_after_a_month(person) -> None:
    _kind, limit, window = services.REGISTER_FAILURES_PER_PERSON
    for _ in range(limit):
        with pytest.raises(ValidationFailed):
            _start(person, number=_wrong(certificate_number(person)), now=NOW)
    with pytest.raises(services.RegistrationPaused):
        _start(person, now=NOW + window - dt.timedelta(minutes=1))
    assert _start(person, now=NOW + window + dt.timedelta(minutes=1))


def test_registration_is_rate_limited_per_client_address(regions) -> None:
    _kind, limit, _window = services.REGISTER_PER_ADDRESS
    people = [certified(name=f"测试{i}") for i in range(2)]
    for i in range(limit):
        with pytest.raises(ValidationFailed):
            _start(people[0], id_number=f"{i}", number="x", address="10.9.9.9")
    with pytest.raises(services.RateLimited):
        _start(people[1], address="10.9.9.9")
    assert _start(people[1], address="10.9.9.10")


def test_code_sending_is_rate_limited_per_person(person) -> None:
    _kind, limit, _window = services.CODE_PER_PERSON
    for _ in range(limit):
        _start(person, now=NOW)
    with pytest.raises(services.RateLimited):
        _start(person, id_number=_fifteen(person.id_number), now=NOW)  # same person
    assert len(MemorySender.sent) == limit
    _kind, day_limit, _window = services.CODE_PER_PERSON_DAY
    for hour in range(1, 5):  # a few more codes later the same day, then no more that day
        try:
            _start(person, address=f"10.4.{hour}.1", now=NOW + dt.timedelta(hours=hour))
        except services.RateLimited:
            break
    assert len(MemorySender.sent) == day_limit


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
