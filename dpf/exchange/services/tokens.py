"""API tokens of partner departments: issued once in clear, stored as SHA-256 only."""

from __future__ import annotations

import hashlib
import secrets
from typing import Any

from django.db import transaction
from django.utils import timezone

from dpf.accounts.models import User
from dpf.core import audit
from dpf.core.errors import ValidationFailed
from dpf.core.roles import Role
from dpf.core.text import check_text_characters
from dpf.exchange.models import ExchangeToken

TOKEN_PREFIX = "dpfx_"  # noqa: S105 (a marker, not a secret)


def token_hash(raw: str) -> str:
    return hashlib.sha256(raw.encode("utf-8")).hexdigest()


DEPARTMENT_MAX = 50  # ExchangeToken.department


@transaction.atomic
def token_create(*, actor: User | None, department: str, user: Any) -> tuple[ExchangeToken, str]:
    """A new API token for a department account; the clear token is returned only here."""
    department = (department or "").strip()
    check_text_characters(department, field="department", label_zh="部门", label_en="department")
    if len(department) > DEPARTMENT_MAX:
        raise ValidationFailed(
            "department_long",
            f"部门名称不超过{DEPARTMENT_MAX}个字",
            f"the department is at most {DEPARTMENT_MAX} characters",
            field="department",
        )
    if not department:
        raise ValidationFailed(
            "department", "请填写部门", "the department is required", field="department"
        )
    if getattr(user, "role", None) != Role.DEPARTMENT_EXCHANGE or not user.is_active:
        raise ValidationFailed(
            "token_role",
            "令牌只能发给“部门数据交换”角色的有效账号",
            "tokens are only issued to active department_exchange accounts",
            field="user",
        )
    raw = TOKEN_PREFIX + secrets.token_urlsafe(32)
    token = ExchangeToken.objects.create(
        department=department,
        token_hash=token_hash(raw),
        token_prefix=raw[len(TOKEN_PREFIX) : len(TOKEN_PREFIX) + 6],
        user=user,
    )
    audit.record(
        actor=actor,
        action="token_create",
        object_type="exchange_token",
        object_id=token.pk,
        changes={"department": token.department, "user": user.pk},
    )
    return token, raw


@transaction.atomic
def token_revoke(*, actor: User | None, token: ExchangeToken) -> ExchangeToken:
    token.active = False
    token.save(update_fields=["active"])
    audit.record(
        actor=actor, action="token_revoke", object_type="exchange_token", object_id=token.pk
    )
    return token


def token_authenticate(raw: str) -> ExchangeToken | None:
    """The active token for ``raw`` whose account is an active department account."""
    if not raw or len(raw) > 200 or not raw.startswith(TOKEN_PREFIX):
        return None
    token = (
        ExchangeToken.objects.select_related("user", "user__region")
        .filter(token_hash=token_hash(raw), active=True)
        .first()
    )
    if token is None or not token.user.is_active:
        return None
    if token.user.role != Role.DEPARTMENT_EXCHANGE:
        return None
    ExchangeToken.objects.filter(pk=token.pk).update(last_used_at=timezone.now())
    return token
