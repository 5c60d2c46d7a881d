"""Every write of the portal: registration with a phone code, accounts opened by a worker,
complaints and home-visit requests and their handling, the demo citizen accounts.

Registration sends its code only to the mobile number on file for the person (the registry's
``Person.phone``), never to a number the registrant types: a stranger who knows someone's ID
number gets nothing. It never tells which detail was wrong or whether the person exists
(one generic refusal, which points to opening the account in person at the window when no
mobile number is on file). Attempts are counted per person — the normalised 18-character ID
number, so the 15- and 18-digit spellings of one ID share one counter — and per client
address; after a few wrong certificate numbers online registration for that ID number pauses
for a month (the certificate number is the ID number plus two guessable digits). The
six-digit code is stored only as a keyed hash, expires after ten minutes and allows five
attempts.
"""

from __future__ import annotations

import datetime as dt
import secrets
from dataclasses import dataclass

from django.db import transaction
from django.utils import timezone

from dpf.accounts import credentials
from dpf.accounts.models import User
from dpf.accounts.permissions import require_permission
from dpf.accounts.scoping import region_in_scope
from dpf.core import audit, crypto
from dpf.core.certnumber import parse_certificate_number
from dpf.core.errors import DomainError, NotFound, ValidationFailed
from dpf.core.idnumber import parse_id_number
from dpf.core.inputs import refuse
from dpf.core.models import EffectiveDated
from dpf.core.roles import Role
from dpf.portal import messaging
from dpf.portal.models import (
    CitizenAccount,
    RateEvent,
    VerificationCode,
)
from dpf.registry.models import Certificate, CertificateStatus, Person
from dpf.registry.services import certificate_lookup_hash, id_lookup_hash

CODE_MINUTES = 10
CODE_ATTEMPTS = 5
# (kind, limit, window): attempts counted per keyed hash of the person (normalised ID
# number) or of the client address.
REGISTER_PER_ADDRESS = ("register_addr", 20, dt.timedelta(hours=1))
# Refused attempts per person: a certificate number has 28 possible endings, so at most 5
# of them can be tried in a month; then registration waits or happens at the window.
REGISTER_FAILURES_PER_PERSON = ("register_fail_person", 5, dt.timedelta(days=30))
CODE_PER_PERSON = ("code_person", 3, dt.timedelta(hours=1))
CODE_PER_PERSON_DAY = ("code_person_day", 5, dt.timedelta(days=1))
CODE_PER_ADDRESS = ("code_addr", 10, dt.timedelta(hours=1))
REQUEST_TEXT_MAX = 2000
SIGNATURE = "【赤峰市残疾人服务平台】"


def _no_match() -> ValidationFailed:
    # One answer whatever was wrong (numbers, no such person, no mobile number on file, an
    # account already open): nobody learns which persons or certificates exist.
    return refuse(
        "registration_no_match",
        "身份证号码与残疾人证号不匹配或无法开通。请核对后重试；"
        "如果残联没有登记您的手机号码，请带身份证和残疾人证到村（社区）或乡镇（街道）当面开通",
        "the ID number and certificate number do not match a certificate we can open an "
        "account for: check them and try again; if the federation has no mobile number of "
        "yours on file, bring your ID card and disability certificate to your village, "
        "community or township office to open the account there",
    )


class RateLimited(DomainError):
    def __init__(self) -> None:
        super().__init__(
            "rate_limited",
            "尝试次数过多，请一小时后再试",
            "too many attempts: try again in an hour",
        )


class RegistrationPaused(DomainError):
    """Too many refused attempts for one ID number (whoever made them)."""

    def __init__(self) -> None:
        super().__init__(
            "registration_paused",
            "该身份证号码尝试次数过多，为保护您的信息，网上注册已暂停。"
            "请带身份证和残疾人证到村（社区）或乡镇（街道）开通账号，或拨打12385",
            "too many attempts for this ID number: online registration is paused to protect "
            "it. Bring your ID card and disability certificate to your village, community or "
            "township office to open the account, or call 12385",
        )


def clean_phone(raw: str) -> str:
    phone = messaging.mobile_number(raw)
    if phone is None:
        raise refuse(
            "phone_invalid", "请填写11位手机号码", "enter an 11-digit mobile number", "phone"
        )
    return phone


def _rate_key(value: str) -> str:
    return crypto.lookup_hash(value, purpose="rate")


def _count(kind: str, key: str, window: dt.timedelta, now: dt.datetime) -> int:
    return RateEvent.objects.filter(kind=kind, key_hash=key, at__gt=now - window).count()


def _rate_take(limits: list[tuple[tuple[str, int, dt.timedelta], str]], now: dt.datetime) -> None:
    """Count one attempt under each (limit, key); refuse when any limit is reached.

    Written in its own transaction, so a refused attempt still counts.
    """
    with transaction.atomic():
        for (kind, limit, window), key in limits:
            if _count(kind, _rate_key(key), window, now) >= limit:
                raise RateLimited()
        RateEvent.objects.bulk_create(
            [RateEvent(kind=kind, key_hash=_rate_key(key), at=now) for (kind, _, _), key in limits]
        )


def person_key(id_number: str, today: dt.date) -> str:
    """What attempts are counted under: the normalised 18-character ID number (a 15-digit
    number is upgraded), or the typed text when it is no ID number at all."""
    try:
        return parse_id_number(id_number, today=today).normalized
    except DomainError:
        return (id_number or "").strip().upper()


def _failures(key: str, now: dt.datetime) -> int:
    kind, _limit, window = REGISTER_FAILURES_PER_PERSON
    return _count(kind, _rate_key(key), window, now)


def _count_failure(key: str, now: dt.datetime) -> None:
    """One refused attempt for this ID number; at the limit its owner is warned by text
    message on the phone on file (the registrant learns nothing)."""
    kind, limit, _window = REGISTER_FAILURES_PER_PERSON
    RateEvent.objects.create(kind=kind, key_hash=_rate_key(key), at=now)
    if _failures(key, now) != limit:
        return
    owner = Person.objects.filter(id_number_hash=id_lookup_hash(key)).first()
    phone = messaging.mobile_number(owner.phone or "") if owner is not None else None
    if owner is not None and owner.death_date is None and phone is not None:
        messaging.send(
            phone,
            SIGNATURE + "有人多次用您的身份证号码尝试注册网上账号，网上注册已暂停30天。"
            "如不是您本人操作，请拨打12385。",
        )


def _matching_person(id_number: str, certificate_number: str, today: dt.date) -> Person | None:
    """The living person with this ID number holding this certificate, valid today."""
    try:
        parsed_id = parse_id_number(id_number, today=today).normalized
        parsed_cert = parse_certificate_number(certificate_number, today=today)
    except DomainError:
        return None
    if parsed_cert.id_number.normalized != parsed_id:
        return None
    certificate = (
        Certificate.objects.filter(
            EffectiveDated.as_of_q(today),
            number_hash=certificate_lookup_hash(parsed_cert.normalized),
            status=CertificateStatus.VALID,
            person__id_number_hash=id_lookup_hash(parsed_id),
            person__death_date__isnull=True,
        )
        .select_related("person")
        .first()
    )
    return certificate.person if certificate is not None else None


def _new_code() -> str:
    return f"{secrets.randbelow(1_000_000):06d}"


def _code_hash(code_id: int, code: str) -> str:
    return crypto.lookup_hash(f"{code_id}:{code}", purpose="portal-code")


@dataclass(frozen=True)
class RegistrationStarted:
    code_id: int
    phone_masked: str  # the phone on file the code went to, masked (138****5678)


def registration_start(
    *,
    id_number: str,
    certificate_number: str,
    client_address: str,
    now: dt.datetime | None = None,
) -> RegistrationStarted:
    """Check ID number + certificate number; send a code to the person's mobile on file.

    Refused alike (:func:`_no_match`) when either number is wrong, the person died, the
    certificate is not valid today, the person already has an account or has no mobile
    number on file; every such refusal counts against the ID number.
    """
    now = now or timezone.now()
    today = timezone.localdate(now)
    if not (id_number or "").strip() or not (certificate_number or "").strip():
        raise refuse(
            "registration_required",
            "请填写身份证号码和残疾人证号",
            "enter the ID number and the certificate number",
            "id_number" if not (id_number or "").strip() else "certificate_number",
        )
    key = person_key(id_number, today)
    if _failures(key, now) >= REGISTER_FAILURES_PER_PERSON[1]:
        raise RegistrationPaused()
    _rate_take([(REGISTER_PER_ADDRESS, client_address)], now)
    person = _matching_person(id_number, certificate_number, today)
    phone = messaging.mobile_number(person.phone or "") if person is not None else None
    if person is None or phone is None or CitizenAccount.objects.filter(person=person).exists():
        _count_failure(key, now)
        raise _no_match()
    _rate_take(
        [(CODE_PER_PERSON, key), (CODE_PER_PERSON_DAY, key), (CODE_PER_ADDRESS, client_address)],
        now,
    )
    code = _new_code()
    with transaction.atomic():
        record = VerificationCode.objects.create(
            person=person,
            phone=phone,
            code_hash="",
            created_at=now,
            expires_at=now + dt.timedelta(minutes=CODE_MINUTES),
        )
        record.code_hash = _code_hash(record.pk, code)
        record.save(update_fields=["code_hash"])
        audit.record(
            actor=None,
            actor_name="portal registration",
            action="create",
            object_type="verification_code",
            object_id=record.pk,
            changes={"person": person.pk, "phone": crypto.mask_phone(phone), "to": "on_file"},
        )
    messaging.send(
        phone,
        f"{SIGNATURE}您的注册验证码是 {code}，{CODE_MINUTES}分钟内有效。请勿告诉他人。",
    )
    return RegistrationStarted(code_id=record.pk, phone_masked=crypto.mask_phone(phone))


_check_username = credentials.check_username
_check_password = credentials.check_password


def _code_for_check(code_id: int, now: dt.datetime) -> VerificationCode:
    record = VerificationCode.objects.select_for_update().filter(pk=code_id).first()
    if record is None or record.used_at is not None:
        raise refuse(
            "code_unknown", "验证码已失效，请重新获取", "the code is no longer valid", "code"
        )
    if record.expires_at <= now:
        raise refuse(
            "code_expired",
            f"验证码已超过{CODE_MINUTES}分钟，请重新获取",
            f"the code is older than {CODE_MINUTES} minutes: ask for a new one",
            "code",
        )
    if record.attempts >= CODE_ATTEMPTS:
        raise refuse(
            "code_attempts",
            "验证码输入错误次数过多，请重新获取",
            "too many wrong codes: ask for a new one",
            "code",
        )
    return record


def registration_complete(
    *,
    code_id: int,
    code: str,
    username: str,
    password: str,
    now: dt.datetime | None = None,
) -> CitizenAccount:
    """Check the code and open the account (user with the citizen role, no region)."""
    now = now or timezone.now()
    with transaction.atomic():
        record = _code_for_check(code_id, now)
        good = secrets.compare_digest(record.code_hash, _code_hash(record.pk, (code or "").strip()))
        if not good:
            # Counted even though the registration is refused (its own transaction).
            record.attempts += 1
            record.save(update_fields=["attempts"])
    if not good:
        left = max(CODE_ATTEMPTS - record.attempts, 0)
        raise refuse(
            "code_wrong",
            f"验证码不正确，还可以再试{left}次",
            f"the code is wrong: {left} attempts left",
            "code",
        )
    with transaction.atomic():
        record = _code_for_check(code_id, now)
        person = Person.objects.select_for_update().get(pk=record.person_id)
        if CitizenAccount.objects.filter(person=person).exists():
            raise _no_match()
        username = _check_username(username)
        user = User(username=username, role=Role.CITIZEN, region=None)
        _check_password(password, user)
        user.set_password(password)
        user.save()
        account = CitizenAccount.objects.create(
            user=user,
            person=person,
            phone=record.phone,
            phone_masked=crypto.mask_phone(record.phone),
            verified_at=now,
        )
        record.used_at = now
        record.save(update_fields=["used_at"])
        audit.record(
            actor=user,
            action="create",
            object_type="citizen_account",
            object_id=account.pk,
            changes={"person": person.pk, "phone": account.phone_masked, "by": "self"},
        )
    return account


@dataclass(frozen=True)
class OpenedAccount:
    account: CitizenAccount
    initial_password: str  # shown once, or "" when it went to the phone


_initial_password = credentials.one_time_password


@transaction.atomic
def account_open_by_worker(
    *,
    actor: User | None,
    person_id: int,
    username: str,
    phone: str = "",
    send_to_phone: bool = False,
    now: dt.datetime | None = None,
) -> OpenedAccount:
    """A village or township worker opens a portal account for a person of their region.

    The initial password is shown once to the worker (to print) or sent to the phone.
    """
    require_permission(actor, "create", "citizen_account", person_id)
    now = now or timezone.now()
    person = Person.objects.select_for_update().filter(pk=person_id).first()
    if person is None or not region_in_scope(actor, person.village_code):
        raise NotFound("person")
    if person.death_date is not None:
        raise refuse(
            "person_deceased", "该人员已登记死亡", "the person is recorded as deceased", "person"
        )
    if CitizenAccount.objects.filter(person=person).exists():
        raise refuse(
            "account_exists", "该人员已开通账号", "the person already has an account", "username"
        )
    phone = clean_phone(phone) if (phone or send_to_phone) else ""
    username = _check_username(username)
    password = _initial_password()
    # The worker saw (or the phone carried) the initial password: it is changed at the
    # first log-in (dpf.accounts.middleware.PasswordChangeRequiredMiddleware).
    user = User(username=username, role=Role.CITIZEN, region=None, must_change_password=True)
    user.set_password(password)
    user.save()
    account = CitizenAccount.objects.create(
        user=user,
        person=person,
        phone=phone,
        phone_masked=crypto.mask_phone(phone) if phone else "",
        created_by=actor,
    )
    audit.record(
        actor=actor,
        action="create",
        object_type="citizen_account",
        object_id=account.pk,
        changes={"person": person.pk, "by": "worker", "sent": bool(send_to_phone)},
    )
    if send_to_phone:
        transaction.on_commit(
            lambda: messaging.send(
                phone,
                f"【赤峰市残疾人服务平台】已为您开通账号 {username}，初始密码 {password}，"
                "请登录后修改。",
            )
        )
        return OpenedAccount(account=account, initial_password="")
    return OpenedAccount(account=account, initial_password=password)
