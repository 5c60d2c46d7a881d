"""A citizen resets a forgotten password with a code sent to the phone on file.

The same code service and limits as registration (``dpf.portal.services``): six digits,
stored as a keyed hash (under its own purpose, so a registration code never resets a
password), ten minutes, five attempts; codes per ID number per hour and per day and per
client address are counted under the same keys as registration's. The first step never
tells whether an account exists or has a phone: the page says the same thing either way
(``reset_start`` returns ``None`` when nothing was sent).
"""

from __future__ import annotations

import datetime as dt
import secrets

from django.db import transaction
from django.utils import timezone

from dpf.accounts import credentials
from dpf.accounts.models import User
from dpf.core import audit, crypto
from dpf.core.errors import ValidationFailed
from dpf.portal import messaging
from dpf.portal.models import CitizenAccount, VerificationCode
from dpf.portal.services import (
    CODE_ATTEMPTS,
    CODE_MINUTES,
    CODE_PER_ADDRESS,
    CODE_PER_PERSON,
    CODE_PER_PERSON_DAY,
    SIGNATURE,
    _code_for_check,
    _new_code,
    _rate_take,
    person_key,
)
from dpf.registry.services import id_lookup_hash

RESET_PER_ADDRESS = ("reset_addr", 20, dt.timedelta(hours=1))


def _reset_hash(code_id: int, code: str) -> str:
    return crypto.lookup_hash(f"{code_id}:{code}", purpose="portal-reset")


def reset_start(
    *, id_number: str, client_address: str, now: dt.datetime | None = None
) -> int | None:
    """Send a reset code to the mobile number of the active portal account of this ID
    number (the number verified at registration, else the one on file). ``None``: nothing
    sent (no such account, or no mobile number) — the caller answers as if sent."""
    now = now or timezone.now()
    today = timezone.localdate(now)
    if not (id_number or "").strip():
        raise ValidationFailed(
            "id_required", "请填写身份证号码", "enter the ID number", field="id_number"
        )
    key = person_key(id_number, today)
    # Counted before the look-up, so the limits answer alike whether the account exists.
    _rate_take(
        [
            (RESET_PER_ADDRESS, client_address),
            (CODE_PER_PERSON, key),
            (CODE_PER_PERSON_DAY, key),
            (CODE_PER_ADDRESS, client_address),
        ],
        now,
    )
    account = (
        CitizenAccount.objects.filter(
            person__id_number_hash=id_lookup_hash(key),
            person__death_date__isnull=True,
            user__is_active=True,
        )
        .select_related("person")
        .first()
    )
    if account is None:
        return None
    phone = messaging.mobile_number(account.phone or "") or messaging.mobile_number(
        account.person.phone or ""
    )
    if phone is None:
        return None
    code = _new_code()
    with transaction.atomic():
        record = VerificationCode.objects.create(
            person=account.person,
            phone=phone,
            code_hash="",
            created_at=now,
            expires_at=now + dt.timedelta(minutes=CODE_MINUTES),
        )
        record.code_hash = _reset_hash(record.pk, code)
        record.save(update_fields=["code_hash"])
        audit.record(
            actor=None,
            actor_name="portal password reset",
            action="create",
            object_type="verification_code",
            object_id=record.pk,
            changes={
                "person": account.person_id,
                "phone": crypto.mask_phone(phone),
                "purpose": "password_reset",
            },
        )
    messaging.send(
        phone,
        f"{SIGNATURE}您正在重设网上账号的密码，验证码 {code}，{CODE_MINUTES}分钟内有效。"
        "如不是您本人操作，请不要告诉他人并拨打12385。",
    )
    return int(record.pk)


def _wrong_code(attempts: int) -> ValidationFailed:
    if attempts > CODE_ATTEMPTS:
        return ValidationFailed(
            "code_attempts",
            "验证码输入错误次数过多，请重新获取",
            "too many wrong codes: ask for a new one",
            field="code",
        )
    left = max(CODE_ATTEMPTS - attempts, 0)
    return ValidationFailed(
        "code_wrong",
        f"验证码不正确，还可以再试{left}次",
        f"the code is wrong: {left} attempts left",
        field="code",
    )


def reset_complete(
    *,
    code_id: int | None,
    code: str,
    new_password: str,
    decoy_attempts: int = 0,
    now: dt.datetime | None = None,
) -> User:
    """Check the code and set the new password; returns the account's user (its user name
    is shown: the person proved the phone). A lock-out of the account ends.

    ``code_id`` None: nothing was sent (no account, or no phone). The answers are then
    those of a real code typed wrong (``decoy_attempts``: how many were typed before,
    counted by the caller), so the second step tells no more than the first."""
    now = now or timezone.now()
    if code_id is None:
        raise _wrong_code(decoy_attempts + 1)
    with transaction.atomic():
        record = _code_for_check(code_id, now)
        expected = _reset_hash(record.pk, (code or "").strip())
        good = secrets.compare_digest(record.code_hash, expected)
        if not good:
            record.attempts += 1
            record.save(update_fields=["attempts"])
    if not good:
        raise _wrong_code(record.attempts)
    with transaction.atomic():
        record = _code_for_check(code_id, now)
        account = (
            CitizenAccount.objects.select_related("user").filter(person_id=record.person_id).first()
        )
        if account is None or not account.user.is_active:
            raise ValidationFailed(
                "code_unknown",
                "验证码已失效，请重新获取",
                "the code is no longer valid",
                field="code",
            )
        user = User.objects.select_for_update().get(pk=account.user_id)
        credentials.check_password(new_password, user, field="new_password")
        user.set_password(new_password)
        user.must_change_password = False
        user.save(update_fields=["password", "must_change_password"])
        record.used_at = now
        record.save(update_fields=["used_at"])
        audit.record(
            actor=user,
            action="change",
            object_type="user",
            object_id=user.pk,
            changes={"password": "reset_by_phone_code", "code": record.pk},
        )
    from axes.utils import reset

    reset(username=user.username)
    return user
