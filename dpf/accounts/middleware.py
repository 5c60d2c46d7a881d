"""A user whose password was set by someone else changes it before anything else."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.contrib.auth.views import redirect_to_login
from django.http import HttpRequest, HttpResponse
from django.shortcuts import resolve_url

# What such a user may still open: the change itself, logging out, the second factor's
# steps, the language and display switches.
ALLOWED_VIEWS = frozenset(
    {
        "accounts:password_change",
        "accounts:logout",
        "accounts:login",
        "accounts:otp_verify",
        "accounts:otp_enrol",
        "set_language",
        "core:display",
    }
)


class PasswordChangeRequiredMiddleware:
    """Every other page answers a redirect to the password change while the logged-in
    user's ``must_change_password`` is set (an account opened, or a password reset, by an
    administrator: the one-time password was seen by someone else). After
    ``AuthenticationMiddleware``."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        return self.get_response(request)

    def process_view(
        self,
        request: HttpRequest,
        view_func: Callable[..., Any],
        view_args: tuple[Any, ...],
        view_kwargs: dict[str, Any],
    ) -> HttpResponse | None:
        user = getattr(request, "user", None)
        if user is None or not user.is_authenticated:
            return None
        if not getattr(user, "must_change_password", False):
            return None
        match = request.resolver_match
        if match is not None and match.view_name in ALLOWED_VIEWS:
            return None
        return redirect_to_login(
            request.get_full_path(),
            resolve_url("accounts:password_change"),
        )
