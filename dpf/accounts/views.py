"""Log in (password, then the TOTP code when the role requires it), log out, login policy."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django import forms
from django.conf import settings
from django.contrib import messages
from django.contrib.auth import login as auth_login
from django.contrib.auth import views as auth_views
from django.contrib.auth.forms import AuthenticationForm
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import redirect, render
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext_lazy as _
from django.views.decorators.cache import never_cache
from django.views.decorators.csrf import csrf_protect

from dpf.accounts import otp, selectors
from dpf.accounts.backends import DEMO_PASSWORD
from dpf.accounts.http import AuthedHttpRequest
from dpf.accounts.permissions import permission_required
from dpf.core.access import public
from dpf.core.errors import ValidationFailed


class LoginView(auth_views.LoginView):
    template_name = "accounts/login.html"

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        context["demo_accounts"] = selectors.demo_accounts()
        context["demo_password"] = DEMO_PASSWORD
        # Where the demo's text messages (portal SMS codes) are written instead of sent; the
        # same rule as dpf.portal.messaging.outbox_path (accounts sits below the portal).
        configured = getattr(settings, "DPF_MESSAGE_OUTBOX", None)
        context["demo_outbox"] = configured or str(
            Path(settings.DATA_DIR) / "messages" / "outbox.txt"
        )
        return context

    def form_valid(self, form: AuthenticationForm) -> HttpResponse:
        user = form.get_user()
        if otp.required_for(user):
            otp.begin_pending(self.request, user, self.get_success_url())
            if otp.confirmed_device(user) is None:
                return redirect("accounts:otp_enrol")
            return redirect("accounts:otp_verify")
        return super().form_valid(form)


login = public(LoginView.as_view())
logout = public(auth_views.LogoutView.as_view())


class CodeForm(forms.Form):
    code = forms.CharField(
        label=_("动态口令（6位数字）"),
        max_length=10,
        widget=forms.TextInput(
            attrs={"autocomplete": "one-time-code", "inputmode": "numeric", "autofocus": True}
        ),
    )


def _finish_login(
    request: HttpRequest, user: Any, data: dict[str, Any], device: Any
) -> HttpResponse:
    otp.clear_pending(request)
    user.backend = data["backend"]
    user.otp_device = device  # django-otp stores the verified device in the session
    auth_login(request, user, backend=data["backend"])
    target = str(data.get("next") or "")
    if not url_has_allowed_host_and_scheme(target, allowed_hosts={request.get_host()}):
        target = "/"
    return HttpResponseRedirect(target)


def _locked(request: HttpRequest, user: Any) -> bool:
    from axes.handlers.proxy import AxesProxyHandler

    return bool(AxesProxyHandler.is_locked(request, {"username": user.get_username()}))


@public
@never_cache
@csrf_protect
def otp_verify(request: HttpRequest) -> HttpResponse:
    """Second step of the login: the code from the user's authenticator app."""
    found = otp.pending(request)
    if found is None:
        return redirect("accounts:login")
    user, data = found
    device = otp.confirmed_device(user)
    if device is None:
        return redirect("accounts:otp_enrol")
    form = CodeForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        if _locked(request, user):
            otp.clear_pending(request)
            return render(request, "accounts/locked.html", {"failure_limit": 5}, status=429)
        if otp.verify_code(device, form.cleaned_data["code"]):
            return _finish_login(request, user, data, device)
        if otp.code_failed(request, user):
            messages.error(request, _("动态口令错误次数过多，请重新登录。"))
            return redirect("accounts:login")
        form.add_error("code", _("动态口令不正确或已过期"))
    return render(request, "accounts/otp_verify.html", {"form": form})


@public
@never_cache
@csrf_protect
def otp_enrol(request: HttpRequest) -> HttpResponse:
    """Set up the authenticator app: QR code and secret, confirmed by a first code.

    Reached after the password when the role requires a second factor and the user has no
    device yet, or by a logged-in user without a device. A user who already has a
    confirmed device cannot replace it here (an administrator resets it).
    """
    found = otp.pending(request)
    if found is not None:
        user, data = found
    elif request.user.is_authenticated:
        user, data = request.user, None
    else:
        return redirect("accounts:login")
    if otp.confirmed_device(user) is not None:
        return redirect("accounts:otp_verify" if data is not None else "core:home")
    device = otp.enrolment_device(user)
    form = CodeForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        if otp.confirm_enrolment(user=user, device=device, code=form.cleaned_data["code"]):
            if data is not None:
                return _finish_login(request, user, data, device)
            messages.success(request, _("动态口令已启用"))
            return redirect("core:home")
        if data is not None and otp.code_failed(request, user):
            messages.error(request, _("动态口令错误次数过多，请重新登录。"))
            return redirect("accounts:login")
        form.add_error("code", _("动态口令不正确或已过期"))
    context = {
        "form": form,
        "qr": otp.qr_data_uri(device),
        "secret": otp.secret_text(device),
    }
    return render(request, "accounts/otp_enrol.html", context)


@permission_required("manage", "security_policy")
def security_policy(request: AuthedHttpRequest) -> HttpResponse:
    """City admins choose which roles must log in with a second factor."""
    if request.method == "POST":
        wanted = set(request.POST.getlist("require_otp"))
        try:
            otp.policy_update(actor=request.user, required_roles=wanted)
        except ValidationFailed as exc:
            messages.error(request, exc.message)
        else:
            messages.success(request, _("安全策略已保存"))
        return redirect("accounts:security_policy")
    return render(request, "accounts/security_policy.html", {"policies": otp.policy_table()})
