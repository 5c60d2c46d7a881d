"""Login, logout and failed logins go to the audit log (connected in ``AccountsConfig``)."""

from __future__ import annotations

from typing import Any

from django.contrib.auth.signals import user_logged_in, user_logged_out, user_login_failed
from django.http import HttpRequest

from dpf.core import audit
from dpf.core.logging import redact


def on_login(sender: Any, request: HttpRequest | None, user: Any, **kwargs: Any) -> None:
    audit.record(actor=user, action="login", object_type="user", object_id=user.pk, request=request)


def on_logout(sender: Any, request: HttpRequest | None, user: Any, **kwargs: Any) -> None:
    if user is None:
        return
    audit.record(
        actor=user, action="logout", object_type="user", object_id=user.pk, request=request
    )


def on_login_failed(
    sender: Any, credentials: dict[str, Any], request: HttpRequest | None = None, **kwargs: Any
) -> None:
    # The typed user name is kept (it tells a guessing attack apart), redacted in case
    # someone typed an ID number or phone into it; the password never reaches here.
    username = redact(str(credentials.get("username", "")))[:150]
    audit.record(
        actor=None,
        actor_name=username,
        action="login_failure",
        object_type="user",
        changes={"stage": str(credentials.get("stage", "password"))},
        request=request,
    )


def connect() -> None:
    user_logged_in.connect(on_login, dispatch_uid="dpf_audit_login")
    user_logged_out.connect(on_logout, dispatch_uid="dpf_audit_logout")
    user_login_failed.connect(on_login_failed, dispatch_uid="dpf_audit_login_failed")
