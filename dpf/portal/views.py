"""Public pages of the portal: verifying an electronic certificate's QR code, registering
a citizen account."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from dpf.core.access import public
from dpf.core.errors import DomainError
from dpf.portal import ecert, services
from dpf.portal import password_reset as resets
from dpf.portal.forms import (
    PasswordResetConfirmForm,
    PasswordResetForm,
    RegisterConfirmForm,
    RegisterForm,
)

MAX_PAYLOAD = 400


@public
@require_http_methods(["GET", "POST"])
def verify(request: HttpRequest) -> HttpResponse:
    """Anyone may verify a code: scanned (``?p=``) or pasted into the form.

    A code that is not a genuine one (damaged, cut short, altered, signed with an unknown
    key) is refused: 400 with the reason. A genuine code answers 200 with the certificate's
    state, valid, expired or no longer valid (cancelled, re-graded)."""
    payload = (request.POST.get("payload") or request.GET.get("p") or "").strip()[:MAX_PAYLOAD]
    result = ecert.verify(payload) if payload else None
    refused = result is not None and result.status == "invalid"
    response = render(
        request,
        "portal/verify.html",
        {"result": result, "payload": payload},
        status=400 if refused else 200,
    )
    response.headers["Cache-Control"] = "no-store"
    # same-origin, not no-referrer: under no-referrer Chromium sends "Origin: null" with the
    # form's POST and Django's CSRF check refuses every pasted code (found by tests/e2e).
    response.headers["Referrer-Policy"] = "same-origin"
    return response


@public
def verify_keys(request: HttpRequest) -> JsonResponse:
    """The published Ed25519 public keys, for anyone who wants to verify offline."""
    keys = [
        {
            "kid": k.kid,
            "alg": "Ed25519",
            "public_key_hex": k.public_key,
            "current": k.current,
            "verify_until": k.verify_until.isoformat() if k.verify_until else None,
        }
        for k in ecert.published_keys()
    ]
    return JsonResponse({"format": "DPF1", "keys": keys})


# Registration (public) ----------------------------------------------------------------------

REGISTER_SESSION_KEY = "portal_register_code"


def client_address(request: HttpRequest) -> str:
    """Resolved like the login lock-out's (proxy-aware through django-axes settings)."""
    from axes.helpers import get_client_ip_address

    return str(get_client_ip_address(request) or request.META.get("REMOTE_ADDR", ""))


@public
@require_http_methods(["GET", "POST"])
def register(request: HttpRequest) -> HttpResponse:
    """Step 1: ID number and certificate number; a code is sent to the mobile number the
    federation has on file for the person (never to a number typed here)."""
    form = RegisterForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            started = services.registration_start(
                id_number=form.cleaned_data["id_number"],
                certificate_number=form.cleaned_data["certificate_number"],
                client_address=client_address(request),
            )
        except DomainError as refusal:
            _attach(form, refusal)
        else:
            request.session[REGISTER_SESSION_KEY] = started.code_id
            messages.success(
                request,
                _("验证码已发到您在残联登记的手机 %(phone)s，10分钟内有效。")
                % {"phone": started.phone_masked},
            )
            return redirect("portal:register_confirm")
    status = 400 if request.method == "POST" else 200
    response = render(request, "portal/register.html", {"form": form}, status=status)
    response.headers["Cache-Control"] = "no-store"
    return response


@public
@require_http_methods(["GET", "POST"])
def register_confirm(request: HttpRequest) -> HttpResponse:
    """Step 2: the code from the phone, a user name and a password."""
    code_id = request.session.get(REGISTER_SESSION_KEY)
    if not isinstance(code_id, int):
        return redirect("portal:register")
    form = RegisterConfirmForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            services.registration_complete(
                code_id=code_id,
                code=form.cleaned_data["code"],
                username=form.cleaned_data["username"],
                password=form.cleaned_data["password"],
            )
        except DomainError as refusal:
            _attach(form, refusal)
        else:
            del request.session[REGISTER_SESSION_KEY]
            messages.success(request, _("账号已开通，请用新的用户名和密码登录。"))
            return redirect(reverse("accounts:login") + "?next=" + reverse("portal:home"))
    status = 400 if request.method == "POST" else 200
    response = render(request, "portal/register_confirm.html", {"form": form}, status=status)
    response.headers["Cache-Control"] = "no-store"
    return response


# Forgotten password (public) ---------------------------------------------------------------

RESET_SESSION_KEY = "portal_reset_code"
RESET_DECOY_KEY = "portal_reset_decoy"  # wrong codes typed when nothing was sent


@public
@require_http_methods(["GET", "POST"])
def password_reset(request: HttpRequest) -> HttpResponse:
    """Step 1: the ID number; a code goes to the account's phone. The answer is the same
    whether an account exists or not."""
    form = PasswordResetForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            code_id = resets.reset_start(
                id_number=form.cleaned_data["id_number"],
                client_address=client_address(request),
            )
        except DomainError as refusal:
            _attach(form, refusal)
        else:
            request.session[RESET_SESSION_KEY] = code_id if code_id is not None else 0
            request.session[RESET_DECOY_KEY] = 0
            messages.success(
                request,
                _(
                    "如果该身份证号码开通了网上账号并登记了手机号码，验证码已发到该手机，"
                    "10分钟内有效。"
                ),
            )
            return redirect("portal:password_reset_confirm")
    status = 400 if request.method == "POST" else 200
    response = render(request, "portal/password_reset.html", {"form": form}, status=status)
    response.headers["Cache-Control"] = "no-store"
    return response


@public
@require_http_methods(["GET", "POST"])
def password_reset_confirm(request: HttpRequest) -> HttpResponse:
    """Step 2: the code and the new password."""
    code_id = request.session.get(RESET_SESSION_KEY)
    if not isinstance(code_id, int):
        return redirect("portal:password_reset")
    form = PasswordResetConfirmForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            user = resets.reset_complete(
                code_id=code_id or None,
                code=form.cleaned_data["code"],
                new_password=form.cleaned_data["new_password"],
                decoy_attempts=int(request.session.get(RESET_DECOY_KEY, 0)),
            )
        except DomainError as refusal:
            if not code_id:
                request.session[RESET_DECOY_KEY] = int(request.session.get(RESET_DECOY_KEY, 0)) + 1
            _attach(form, refusal)
        else:
            del request.session[RESET_SESSION_KEY]
            messages.success(
                request,
                _("密码已重设。您的用户名是 %(username)s，请用新密码登录。")
                % {"username": user.username},
            )
            return redirect(reverse("accounts:login") + "?next=" + reverse("portal:home"))
    status = 400 if request.method == "POST" else 200
    response = render(request, "portal/password_reset_confirm.html", {"form": form}, status=status)
    response.headers["Cache-Control"] = "no-store"
    return response


def _attach(form: Any, refusal: DomainError) -> None:
    name = refusal.field or ""
    form.add_error(name if name in form.fields else None, refusal.message)
