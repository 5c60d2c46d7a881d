"""Staff account administration (账号管理): every write on another user's account.

The city admin administers the accounts of the city, a county officer those of its county
(the permission ``staff_account``). An administrator

- reaches only the accounts placed in their region whose role they may grant; any other
  account (another county's, the city admin's, a citizen's, a superuser's, their own) is
  ``NotFound``: the same answer as an account that does not exist;
- never grants a role above their own (``grantable_roles``) nor places an account in a
  region outside theirs or at the wrong level (a township officer in a township);
- resets a password to a one-time password shown once: the user must change it at the next
  log-in (``User.must_change_password``, enforced by
  ``dpf.accounts.middleware.PasswordChangeRequiredMiddleware``); resets the second factor
  (the user enrols a new authenticator at the next log-in).

Every change is audited (``user`` entries: what changed, never a password). A refusal
writes nothing.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.db import transaction
from django.db.models import QuerySet
from django_otp.plugins.otp_totp.models import TOTPDevice

from dpf.accounts import credentials, organisations
from dpf.accounts.models import User
from dpf.accounts.permissions import require_permission
from dpf.accounts.scoping import regions_to_pick
from dpf.core import audit
from dpf.core.errors import NotFound
from dpf.core.inputs import refuse
from dpf.core.models import Region, RegionLevel
from dpf.core.roles import Role

# The region level each region-bound role sits at.
ROLE_LEVELS: dict[str, frozenset[str]] = {
    Role.CITY_ADMIN: frozenset({RegionLevel.CITY, RegionLevel.PROVINCE}),
    Role.COUNTY_OFFICER: frozenset({RegionLevel.COUNTY}),
    Role.TOWNSHIP_OFFICER: frozenset({RegionLevel.TOWNSHIP}),
    Role.VILLAGE_WORKER: frozenset({RegionLevel.VILLAGE}),
    Role.DEPARTMENT_EXCHANGE: frozenset({RegionLevel.CITY, RegionLevel.COUNTY}),
}

# The roles an administrator may grant: none above their own, none reaching beyond their
# region. A county officer does not grant ``viewer`` (its aggregates cover the whole city)
# nor ``volunteer`` (the city's volunteer service). Citizens open their accounts in the
# portal (phone code) or at the window, never here.
GRANTABLE: dict[str, tuple[Role, ...]] = {
    Role.CITY_ADMIN: (
        Role.CITY_ADMIN,
        Role.COUNTY_OFFICER,
        Role.TOWNSHIP_OFFICER,
        Role.VILLAGE_WORKER,
        Role.INSTITUTION_STAFF,
        Role.DEPARTMENT_EXCHANGE,
        Role.EMPLOYER,
        Role.VOLUNTEER,
        Role.VIEWER,
    ),
    Role.COUNTY_OFFICER: (
        Role.COUNTY_OFFICER,
        Role.TOWNSHIP_OFFICER,
        Role.VILLAGE_WORKER,
        Role.INSTITUTION_STAFF,
        Role.DEPARTMENT_EXCHANGE,
        Role.EMPLOYER,
    ),
}

NAME_MAX = 50


def grantable_roles(actor: User | None) -> tuple[Role, ...]:
    return GRANTABLE.get(str(getattr(actor, "role", "") or ""), ())


def _actor_region(actor: User | None) -> Region:
    region = getattr(actor, "region", None)
    if region is None:
        raise NotFound("account")
    return region


def managed_accounts(actor: User) -> QuerySet[User]:
    """The accounts ``actor`` administers: placed in their region, with a role they may
    grant, not a superuser, not their own. Empty without the permission."""
    region = getattr(actor, "region", None)
    roles = grantable_roles(actor)
    if region is None or not roles or not getattr(actor, "is_active", False):
        return User.objects.none()
    return (
        User.objects.filter(region__code__startswith=region.prefix, role__in=roles)
        .filter(is_superuser=False)
        .exclude(pk=actor.pk)
    )


def account_get(actor: User, user_id: int) -> User:
    """One account ``actor`` administers; ``NotFound`` for any other (never told apart)."""
    require_permission(actor, "view", "staff_account", user_id)
    account = managed_accounts(actor).select_related("region").filter(pk=user_id).first()
    if account is None:
        raise NotFound("account")
    return account


def _for_update(actor: User, user_id: int) -> User:
    require_permission(actor, "change", "staff_account", user_id)
    account = managed_accounts(actor).select_for_update().filter(pk=user_id).first()
    if account is None:
        raise NotFound("account")
    return account


@dataclass(frozen=True)
class Placement:
    role: str
    region: Region
    institution_code: str


def _placement(
    actor: User | None, *, role: str, region_code: str, institution_code: str
) -> Placement:
    """Check a role, region and organisation ``actor`` wants to give an account."""
    own = _actor_region(actor)
    if role not in Role.values or role == Role.CITIZEN:
        raise refuse("role_unknown", "请选择角色", "choose a role", "role")
    if role not in grantable_roles(actor):
        raise refuse(
            "role_above_granter",
            "不能授予该角色：它的权限高于您本人的角色或超出您的管辖范围",
            "you may not grant this role: it is above your own role or reaches beyond your region",
            "role",
        )
    institution_code = (institution_code or "").strip()
    organisation = None
    if role in organisations.kinds():
        organisation = organisations.find(role, institution_code)
        if organisation is None:
            raise refuse(
                "organisation_unknown",
                "请选择该账号所属的机构、单位或部门",
                "choose the institution, employer or department the account belongs to",
                "institution_code",
            )
        if organisation.county_code:
            region_code = organisation.county_code
    elif role in (Role.INSTITUTION_STAFF, Role.EMPLOYER):
        # No app registered the organisations of this role: refuse rather than guess.
        raise refuse(
            "organisation_unknown",
            "请选择该账号所属的机构、单位或部门",
            "choose the institution, employer or department the account belongs to",
            "institution_code",
        )
    else:
        institution_code = ""
    region = Region.objects.filter(code=(region_code or "").strip()).first()
    if region is None:
        raise refuse("region_unknown", "请选择所属地区", "choose the region", "region")
    if not region.code.startswith(own.prefix):
        raise refuse(
            "region_outside",
            "不能把账号设在您管辖范围以外的地区",
            "you may not place an account in a region outside your own",
            "institution_code"
            if organisation is not None and organisation.county_code
            else "region",
        )
    levels = ROLE_LEVELS.get(role)
    if levels is not None and region.level not in levels:
        names = "、".join(str(RegionLevel(lv).label) for lv in sorted(levels))
        raise refuse(
            "region_level",
            f"“{Role(role).label}”的所属地区应为{names}级",
            f"a {role} account belongs to a region of level {', '.join(sorted(levels))}",
            "region",
        )
    return Placement(role, region, institution_code)


def _clean_name(name: str) -> str:
    name = " ".join((name or "").split())
    if len(name) > NAME_MAX:
        raise refuse(
            "name_too_long",
            f"姓名最多{NAME_MAX}个字",
            f"the name has at most {NAME_MAX} characters",
            "name",
        )
    return name


@dataclass(frozen=True)
class IssuedPassword:
    account: User
    one_time_password: str  # shown once to the administrator, never stored in clear


@transaction.atomic
def account_create(
    *,
    actor: User | None,
    username: str,
    name: str,
    role: str,
    region_code: str = "",
    institution_code: str = "",
) -> IssuedPassword:
    """Open a staff account with a one-time password the user changes at the first log-in.

    A role whose login needs a second factor enrols it at that log-in.
    """
    require_permission(actor, "create", "staff_account")
    placement = _placement(
        actor, role=role, region_code=region_code, institution_code=institution_code
    )
    name = _clean_name(name)
    username = credentials.check_username(username)
    password = credentials.one_time_password()
    account = User(
        username=username,
        first_name=name,
        role=placement.role,
        region=placement.region,
        institution_code=placement.institution_code,
        must_change_password=True,
    )
    account.set_password(password)
    account.save()
    audit.record(
        actor=actor,
        action="create",
        object_type="user",
        object_id=account.pk,
        changes={
            "username": username,
            "role": placement.role,
            "region": placement.region.code,
            "institution_code": placement.institution_code,
            "password": "one_time",
        },
    )
    return IssuedPassword(account, password)


@transaction.atomic
def account_change(
    *,
    actor: User,
    user_id: int,
    name: str,
    role: str,
    region_code: str = "",
    institution_code: str = "",
    reason: str = "",
) -> User:
    """Change an account's name, role, region or organisation (all checked as on create)."""
    account = _for_update(actor, user_id)
    placement = _placement(
        actor, role=role, region_code=region_code, institution_code=institution_code
    )
    name = _clean_name(name)
    before = {
        "name": account.first_name,
        "role": account.role,
        "region": account.region_id or "",
        "institution_code": account.institution_code,
    }
    after = {
        "name": name,
        "role": placement.role,
        "region": placement.region.code,
        "institution_code": placement.institution_code,
    }
    changes = {k: [before[k], after[k]] for k in before if before[k] != after[k]}
    if not changes:
        return account
    account.first_name = name
    account.role = placement.role
    account.region = placement.region
    account.institution_code = placement.institution_code
    account.save(update_fields=["first_name", "role", "region", "institution_code"])
    if "role" in changes:
        # A second factor enrolled for the old role stays valid; nothing else follows the
        # role. The sessions of the account end (a new role takes effect at the next
        # log-in, never half-way through a page).
        _end_sessions(account)
    audit.record(
        actor=actor,
        action="change",
        object_type="user",
        object_id=account.pk,
        changes=changes,
        reason=reason,
    )
    return account


@transaction.atomic
def account_set_active(*, actor: User, user_id: int, active: bool, reason: str = "") -> User:
    """Disable (停用) or enable (启用) an account. A disabled account cannot log in, and
    its open sessions end at their next request (the backend refuses inactive users)."""
    account = _for_update(actor, user_id)
    if account.is_active == active:
        return account
    account.is_active = active
    account.save(update_fields=["is_active"])
    if not active:
        _end_sessions(account)
    audit.record(
        actor=actor,
        action="change",
        object_type="user",
        object_id=account.pk,
        changes={"is_active": [not active, active]},
        reason=reason,
    )
    return account


@transaction.atomic
def password_reset(*, actor: User, user_id: int, reason: str = "") -> IssuedPassword:
    """Replace the password by a one-time password (shown once to ``actor``); the user
    must change it at the next log-in. A lock-out of the account (failed log-ins) ends."""
    account = _for_update(actor, user_id)
    password = credentials.one_time_password()
    account.set_password(password)
    account.must_change_password = True
    account.save(update_fields=["password", "must_change_password"])
    _end_sessions(account)
    _clear_lockout(account.username)
    audit.record(
        actor=actor,
        action="change",
        object_type="user",
        object_id=account.pk,
        changes={"password": "reset", "must_change_password": True},
        reason=reason,
    )
    return IssuedPassword(account, password)


@transaction.atomic
def otp_reset(*, actor: User, user_id: int, reason: str = "") -> int:
    """Remove the account's authenticator devices: at the next log-in a role that needs
    the second factor enrols a new one (a lost or replaced phone). Returns how many."""
    account = _for_update(actor, user_id)
    removed, _ = TOTPDevice.objects.filter(user=account).delete()
    if removed:
        audit.record(
            actor=actor,
            action="change",
            object_type="user",
            object_id=account.pk,
            changes={"otp": "reset", "devices_removed": removed},
            reason=reason,
        )
    return int(removed)


# --- the user's own password ----------------------------------------------------------------


@transaction.atomic
def password_change(*, actor: User, old_password: str, new_password: str) -> None:
    """The user replaces their own password (required after a reset or a new account)."""
    user = User.objects.select_for_update().get(pk=actor.pk)
    if not user.check_password(old_password or ""):
        raise refuse(
            "password_wrong", "当前密码不正确", "the current password is wrong", "old_password"
        )
    if old_password == new_password:
        raise refuse(
            "password_same",
            "新密码不能与当前密码相同",
            "the new password must differ from the current one",
            "new_password",
        )
    credentials.check_password(new_password, user, field="new_password")
    user.set_password(new_password)
    was_required = user.must_change_password
    user.must_change_password = False
    user.save(update_fields=["password", "must_change_password"])
    actor.password = user.password
    actor.must_change_password = False
    audit.record(
        actor=user,
        action="change",
        object_type="user",
        object_id=user.pk,
        changes={"password": "changed", "was_required": was_required},
    )


def _end_sessions(account: User) -> None:
    """End every open session of ``account`` (database sessions, the platform's store)."""
    from django.contrib.sessions.models import Session
    from django.utils import timezone

    key = str(account.pk)
    ended = [
        s.session_key
        for s in Session.objects.filter(expire_date__gt=timezone.now()).iterator()
        if s.get_decoded().get("_auth_user_id") == key
    ]
    if ended:
        Session.objects.filter(session_key__in=ended).delete()


def _clear_lockout(username: str) -> None:
    from axes.utils import reset

    reset(username=username)


def region_choices(actor: User | None) -> list[tuple[str, Any]]:
    """The regions an account may be placed in by ``actor``: theirs and those under it down
    to the villages, in code order, grouped by county (``<optgroup>``)."""
    rows = regions_to_pick(actor)
    top: list[tuple[str, Any]] = []
    groups: dict[str, list[tuple[str, str]]] = {}
    names: dict[str, str] = {}
    for r in rows.only("code", "name", "level"):
        label = f"{r.name}（{r.get_level_display()}）"
        if r.level in (RegionLevel.PROVINCE, RegionLevel.CITY):
            top.append((r.code, label))
            continue
        county = r.code[:6]
        if r.level == RegionLevel.COUNTY:
            names[county] = r.name
        groups.setdefault(county, []).append((r.code, label))
    return top + [(names.get(county, county), options) for county, options in groups.items()]


def organisation_choices(actor: User | None) -> list[tuple[str, str]]:
    """The organisations ``actor`` may bind an account to, grouped by role's label."""
    region = getattr(actor, "region", None)
    if region is None:
        return []
    choices: list[tuple[str, str]] = []
    for role in grantable_roles(actor):
        if role not in organisations.kinds():
            continue
        for org in organisations.within(role, region.prefix):
            choices.append((org.code, f"{org.name}（{role.label}）"))
    return choices
