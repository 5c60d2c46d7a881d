"""User names, passwords and one-time passwords: the checks every account path shares (the
portal's registration and worker-opened accounts, the staff account administration, the
password change and reset)."""

from __future__ import annotations

import secrets
from typing import Any

from django.contrib.auth.password_validation import validate_password
from django.contrib.auth.validators import UnicodeUsernameValidator
from django.core.exceptions import ValidationError

from dpf.accounts.models import User
from dpf.core.errors import ValidationFailed


def check_username(username: str) -> str:
    """A new, free user name of 4 to 30 letters, digits or @.+-_ (compared case-blind)."""
    username = (username or "").strip()
    try:
        UnicodeUsernameValidator()(username)
    except ValidationError:
        username = ""
    if not 4 <= len(username) <= 30:
        raise ValidationFailed(
            "username_invalid",
            "用户名为4至30位字母、数字或 @.+-_",
            "the user name is 4 to 30 letters, digits or @.+-_",
            field="username",
        )
    if User.objects.filter(username__iexact=username).exists():
        raise ValidationFailed(
            "username_taken", "该用户名已被使用", "this user name is taken", field="username"
        )
    return username


def check_password(password: str, user: Any, *, field: str = "password") -> None:
    """Django's password validators (length, common, numeric, similar to the user)."""
    try:
        validate_password(password, user)
    except ValidationError as exc:
        raise ValidationFailed(
            "password_weak",
            "；".join(str(m) for m in exc.messages),
            "the password is too weak: " + "; ".join(str(m) for m in exc.messages),
            field=field,
        ) from None


def one_time_password() -> str:
    """An initial or reset password, readable on paper: no 0/O or 1/l; three groups of four
    joined by dashes (~71 bits). Shown once; the user must replace it at the next log-in
    (staff) or is asked to (citizens)."""
    alphabet = "abcdefghjkmnpqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ23456789"
    groups = ["".join(secrets.choice(alphabet) for _ in range(4)) for _ in range(3)]
    return "-".join(groups)
