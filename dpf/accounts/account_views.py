"""Account pages: the administrator's staff accounts (账号管理) and everyone's own password.

Thin: parse, call ``dpf.accounts.administration`` or a selector, render. An account outside
the administrator's scope is ``NotFound`` in the service and answers 404. A one-time
password is shown once, in the answer to the POST that made it (never in a URL, a message
or the session), on a page that is not cached.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

from django.contrib import messages
from django.contrib.auth import update_session_auth_hash
from django.contrib.auth.views import redirect_to_login
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_POST

from dpf.accounts import administration, otp, selectors
from dpf.accounts.forms import (
    AccountFilterForm,
    AccountForm,
    PasswordChangeForm,
    ReasonForm,
    attach_refusal,
)
from dpf.accounts.http import AuthedHttpRequest
from dpf.accounts.models import User
from dpf.accounts.permissions import has_permission, permission_required
from dpf.core.access import public
from dpf.core.errors import ValidationFailed

PER_PAGE = 50


def _role_choices(actor: User | None) -> list[tuple[str, str]]:
    return [(r.value, str(r.label)) for r in administration.grantable_roles(actor)]


def _account_form(
    actor: User | None, data: Any = None, *, creating: bool, **kwargs: Any
) -> AccountForm:
    return AccountForm(
        data,
        roles=_role_choices(actor),
        regions=administration.region_choices(actor),
        organisations=administration.organisation_choices(actor),
        creating=creating,
        **kwargs,
    )


@permission_required("view", "staff_account")
def account_list(request: AuthedHttpRequest) -> HttpResponse:
    form = AccountFilterForm(request.GET or None, roles=_role_choices(request.user))
    filters = form.cleaned_data if form.is_valid() else {}
    accounts = selectors.staff_accounts(
        request.user,
        query=filters.get("q", ""),
        role=filters.get("role", ""),
        status=filters.get("status", ""),
    )
    page = Paginator(accounts, PER_PAGE).get_page(request.GET.get("page"))
    context = {
        "form": form,
        "page": page,
        "page_query": urlencode({k: v for k, v in filters.items() if v}),
        "can_create": has_permission(request.user, "create", "staff_account"),
    }
    return render(request, "accounts/staff_list.html", context)


@permission_required("create", "staff_account")
@never_cache
def account_new(request: AuthedHttpRequest) -> HttpResponse:
    # A link may preselect the role and organisation (an institution's page: its staff);
    # only the choices the administrator is offered can be selected, and the service checks.
    preset = {k: request.GET.get(k, "") for k in ("role", "institution_code")}
    form = _account_form(request.user, request.POST or None, creating=True, initial=preset)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            issued = administration.account_create(
                actor=request.user,
                username=data["username"],
                name=data["name"],
                role=data["role"],
                region_code=data["region"],
                institution_code=data["institution_code"],
            )
        except ValidationFailed as refusal:
            attach_refusal(form, refusal)
        else:
            return render(
                request, "accounts/staff_issued.html", {"issued": issued, "created": True}
            )
    status = 400 if form.is_bound and form.errors else 200
    return render(request, "accounts/staff_form.html", {"form": form}, status=status)


@permission_required("view", "staff_account")
@never_cache
def account_detail(request: AuthedHttpRequest, user_id: int) -> HttpResponse:
    account = administration.account_get(request.user, user_id)
    can_change = has_permission(request.user, "change", "staff_account")
    form = None
    if can_change:
        initial = {
            "name": account.first_name,
            "role": account.role,
            "region": account.region_id or "",
            "institution_code": account.institution_code,
        }
        data = request.POST if request.method == "POST" else None
        form = _account_form(request.user, data, creating=False, initial=initial)
        if data is not None and form.is_valid():
            cleaned = form.cleaned_data
            try:
                administration.account_change(
                    actor=request.user,
                    user_id=account.pk,
                    name=cleaned["name"],
                    role=cleaned["role"],
                    region_code=cleaned["region"],
                    institution_code=cleaned["institution_code"],
                    reason=cleaned["reason"],
                )
            except ValidationFailed as refusal:
                attach_refusal(form, refusal)
            else:
                messages.success(request, _("账号已修改"))
                return redirect("accounts:staff_account", user_id=account.pk)
    context = {
        "account": account,
        "form": form,
        "can_change": can_change,
        "has_device": otp.confirmed_device(account) is not None,
        "otp_required": otp.required_for(account),
        "reason_form": ReasonForm(),
    }
    status = 400 if form is not None and form.is_bound and form.errors else 200
    return render(request, "accounts/staff_detail.html", context, status=status)


def _reason(request: HttpRequest) -> str:
    form = ReasonForm(request.POST)
    return form.cleaned_data["reason"] if form.is_valid() else ""


@permission_required("change", "staff_account")
@require_POST
def account_active(request: AuthedHttpRequest, user_id: int) -> HttpResponse:
    """Disable (``active=0``) or enable (``active=1``) an account."""
    active = request.POST.get("active") == "1"
    administration.account_set_active(
        actor=request.user, user_id=user_id, active=active, reason=_reason(request)
    )
    messages.success(request, _("账号已启用") if active else _("账号已停用"))
    return redirect("accounts:staff_account", user_id=user_id)


@permission_required("change", "staff_account")
@require_POST
@never_cache
def account_password_reset(request: AuthedHttpRequest, user_id: int) -> HttpResponse:
    issued = administration.password_reset(
        actor=request.user, user_id=user_id, reason=_reason(request)
    )
    return render(request, "accounts/staff_issued.html", {"issued": issued, "created": False})


@permission_required("change", "staff_account")
@require_POST
def account_otp_reset(request: AuthedHttpRequest, user_id: int) -> HttpResponse:
    removed = administration.otp_reset(actor=request.user, user_id=user_id, reason=_reason(request))
    if removed:
        messages.success(request, _("动态口令已重置，该用户下次登录时重新绑定"))
    else:
        messages.info(request, _("该账号没有绑定动态口令，无需重置"))
    return redirect("accounts:staff_account", user_id=user_id)


# --- one's own password ----------------------------------------------------------------------


@public
@never_cache
def password_change(request: HttpRequest) -> HttpResponse:
    """Change one's own password; the only page open while a change is required."""
    if not request.user.is_authenticated:
        return redirect_to_login(request.get_full_path())
    required = bool(getattr(request.user, "must_change_password", False))
    form = PasswordChangeForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            administration.password_change(
                actor=request.user,
                old_password=form.cleaned_data["old_password"],
                new_password=form.cleaned_data["new_password"],
            )
        except ValidationFailed as refusal:
            attach_refusal(form, refusal)
        else:
            update_session_auth_hash(request, request.user)
            messages.success(request, _("密码已修改"))
            target = request.GET.get("next", "")
            if not url_has_allowed_host_and_scheme(target, allowed_hosts={request.get_host()}):
                target = ""
            return redirect(target or "core:home")
    status = 400 if form.is_bound and form.errors else 200
    context = {"form": form, "required": required}
    return render(request, "accounts/password_change.html", context, status=status)
