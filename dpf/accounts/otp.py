"""The TOTP second factor (django-otp): policy per role, enrolment, the step after the password.

A user whose role requires it is *not* logged in when the password is right: the login
view parks the user id in the session ("pending") and the session becomes authenticated
only after a valid code from a confirmed device. Wrong codes count as failed logins (the
audit log and the django-axes lock-out both see them).

Every role that can see personal data in full — reveal a person's ID number, phone and
address, export an unmasked list or the bank list — must use it (``mandatory_roles``); the
security policy cannot switch it off for them. Only demo accounts on a demo installation
log in without it, so the demo and its journeys keep working.
"""

from __future__ import annotations

import base64
import time
from typing import Any

import segno
from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.signals import user_login_failed
from django.db import transaction
from django.http import HttpRequest
from django_otp.plugins.otp_totp.models import TOTPDevice

from dpf.accounts.models import RoleSecurityPolicy, User
from dpf.accounts.permissions import PERMISSIONS, Action, ObjectType, require_permission
from dpf.core import audit
from dpf.core.errors import ValidationFailed
from dpf.core.roles import Role

PENDING_KEY = "dpf_otp_pending"
PENDING_SECONDS = 5 * 60
MAX_CODE_FAILURES = 5
DEVICE_NAME = "default"


def mandatory_roles() -> frozenset[str]:
    """The roles that can see personal data in full, from the permission table: those
    holding ``reveal`` (which unmasked exports need too) or the export of payment lists
    (the bank list carries full ID numbers and bank accounts)."""
    return frozenset(
        str(p.role)
        for p in PERMISSIONS
        if p.action == Action.REVEAL
        or (p.action == Action.EXPORT and p.object_type == ObjectType.PAYMENT_LIST)
    )


def _demo_account_on_demo_installation(user: Any) -> bool:
    return bool(getattr(user, "demo", False)) and bool(settings.DPF_DEMO)


def default_requires_otp(role: str) -> bool:
    return role in mandatory_roles()


def required_for(user: Any) -> bool:
    """Does ``user`` need a second factor? Always for a mandatory role (except a demo
    account on a demo installation); otherwise the role's policy, else the default."""
    role = str(getattr(user, "role", "") or "")
    if role in mandatory_roles():
        return not _demo_account_on_demo_installation(user)
    row = RoleSecurityPolicy.objects.filter(role=role).values_list("require_otp", flat=True)
    stored = row.first()
    return default_requires_otp(role) if stored is None else bool(stored)


def policy_table() -> list[dict[str, Any]]:
    """Every role with its effective setting, whether it is the default, and whether the
    policy may change it (``mandatory``: never)."""
    stored = dict(RoleSecurityPolicy.objects.values_list("role", "require_otp"))
    mandatory = mandatory_roles()
    return [
        {
            "role": role,
            "label": role.label,
            "require_otp": role.value in mandatory
            or stored.get(role.value, default_requires_otp(role.value)),
            "is_default": role.value not in stored,
            "mandatory": role.value in mandatory,
        }
        for role in Role
    ]


@transaction.atomic
def policy_set(*, actor: User | None, role: str, require_otp: bool) -> RoleSecurityPolicy:
    """Require (or not) the second factor for ``role``. City admins only; audited. A
    mandatory role cannot be switched off."""
    require_permission(actor, "manage", "security_policy")
    if role not in Role.values:
        raise ValidationFailed(
            "role_unknown", "角色不存在", "the role does not exist", field="role"
        )
    if role in mandatory_roles() and not require_otp:
        raise ValidationFailed(
            "otp_mandatory",
            "该角色可以显示完整身份信息或导出未脱敏名单，必须使用动态口令，不能取消",
            "this role can reveal full personal data or export unmasked lists: "
            "the second factor is required and cannot be switched off",
            field="role",
        )
    before = required_for(_RoleOnly(role))
    policy, _ = RoleSecurityPolicy.objects.update_or_create(
        role=role, defaults={"require_otp": require_otp, "updated_by": actor}
    )
    if before != require_otp:
        audit.record(
            actor=actor,
            action="change",
            object_type="security_policy",
            object_id=role,
            changes={"require_otp": [before, require_otp]},
        )
    return policy


@transaction.atomic
def policy_update(*, actor: User | None, required_roles: set[str]) -> None:
    """Set every role's policy at once (the policy page): all or nothing. The mandatory
    roles stay required whatever ``required_roles`` says (the page shows them fixed)."""
    unknown = required_roles - set(Role.values)
    if unknown:
        raise ValidationFailed(
            "role_unknown", "角色不存在", "the role does not exist", field="role"
        )
    required_roles = required_roles | mandatory_roles()
    for role in Role:
        policy_set(actor=actor, role=role.value, require_otp=role.value in required_roles)


class _RoleOnly:
    def __init__(self, role: str) -> None:
        self.role = role


# --- the pending login ---------------------------------------------------------------


def begin_pending(request: HttpRequest, user: Any, next_url: str) -> None:
    """Password accepted, second factor due: remember who, not yet logged in."""
    request.session.cycle_key()
    request.session[PENDING_KEY] = {
        "user_id": user.pk,
        "backend": getattr(user, "backend", settings.AUTHENTICATION_BACKENDS[-1]),
        "next": next_url,
        "started": int(time.time()),
        "failures": 0,
    }


def pending(request: HttpRequest) -> tuple[Any, dict[str, Any]] | None:
    """The user waiting for the second factor, or None (nothing pending, or expired)."""
    data = request.session.get(PENDING_KEY)
    if not isinstance(data, dict):
        return None
    if int(time.time()) - int(data.get("started", 0)) > PENDING_SECONDS:
        clear_pending(request)
        return None
    user_id = data.get("user_id")
    if not isinstance(user_id, int):
        clear_pending(request)
        return None
    user = get_user_model().objects.filter(pk=user_id, is_active=True).first()
    if user is None:
        clear_pending(request)
        return None
    return user, data


def clear_pending(request: HttpRequest) -> None:
    request.session.pop(PENDING_KEY, None)


def code_failed(request: HttpRequest, user: Any) -> bool:
    """Count a wrong code; returns True when the pending login is abandoned."""
    user_login_failed.send(
        sender=__name__,
        credentials={"username": user.get_username(), "stage": "otp"},
        request=request,
    )
    data = request.session.get(PENDING_KEY) or {}
    data["failures"] = int(data.get("failures", 0)) + 1
    request.session[PENDING_KEY] = data
    if data["failures"] >= MAX_CODE_FAILURES:
        clear_pending(request)
        return True
    return False


# --- devices -------------------------------------------------------------------------


def confirmed_device(user: Any) -> TOTPDevice | None:
    return TOTPDevice.objects.filter(user=user, confirmed=True).order_by("id").first()


def enrolment_device(user: Any) -> TOTPDevice:
    """The unconfirmed device being enrolled (created once, kept until confirmed)."""
    device = TOTPDevice.objects.filter(user=user, confirmed=False).order_by("id").first()
    if device is None:
        device = TOTPDevice.objects.create(user=user, name=DEVICE_NAME, confirmed=False)
    return device


def secret_text(device: TOTPDevice) -> str:
    """The shared secret as base32, in groups of four for typing into an app."""
    raw = base64.b32encode(device.bin_key).decode("ascii").rstrip("=")
    return " ".join(raw[i : i + 4] for i in range(0, len(raw), 4))


def qr_data_uri(device: TOTPDevice) -> str:
    """The ``otpauth://`` URL as an inline SVG QR code (CSP allows ``img-src data:``)."""
    return str(segno.make(device.config_url, error="m").svg_data_uri(scale=5, border=2))


def verify_code(device: TOTPDevice, code: str) -> bool:
    code = "".join(ch for ch in (code or "") if ch.isdigit())
    return len(code) == 6 and bool(device.verify_token(code))


@transaction.atomic
def confirm_enrolment(*, user: Any, device: TOTPDevice, code: str) -> bool:
    """Confirm ``device`` with a first valid code; other devices of the user are removed."""
    if not verify_code(device, code):
        return False
    TOTPDevice.objects.filter(user=user).exclude(pk=device.pk).delete()
    device.confirmed = True
    device.save(update_fields=["confirmed"])
    audit.record(actor=user, action="create", object_type="otp_device", object_id=device.pk)
    return True
