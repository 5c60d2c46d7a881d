"""Route access declarations: every view says who may use it ("no route without a rule").

``@public`` marks a page anyone may open; ``@allow(*roles)`` a page for logged-in users with
one of ``roles``. A test walks the URL resolver and fails on any view without a declaration,
and the authorisation matrix in the tests runs every route as every role.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from functools import wraps
from typing import Any, TypeVar

from django.contrib.auth.views import redirect_to_login
from django.http import Http404, HttpRequest, HttpResponse

from dpf.core.roles import Role

F = TypeVar("F", bound=Callable[..., Any])

ACCESS_ATTR = "dpf_access"


def public(view: F) -> F:
    """Anyone, logged in or not."""
    setattr(view, ACCESS_ATTR, {"public": True, "roles": frozenset(Role)})
    return view


DENIAL_AUDITED_ATTR = "_dpf_denial_audited"


def audit_denial(
    request: HttpRequest, *, object_type: str, object_id: object = "", action: str = ""
) -> None:
    """Write one ``permission_denied`` entry for this request (never two)."""
    if getattr(request, DENIAL_AUDITED_ATTR, False):
        return
    from dpf.core import audit  # local: audit imports models

    audit.record(
        actor=request.user,
        action="permission_denied",
        object_type=object_type[:50],
        object_id=str(object_id)[:64],
        changes={"attempted": action} if action else None,
        request=request,
    )
    setattr(request, DENIAL_AUDITED_ATTR, True)


def _object_id(kwargs: dict[str, Any]) -> str:
    return ",".join(str(v) for v in kwargs.values())


def allow(*roles: Role | str, action: str = "view", object_type: str = "") -> Callable[[F], F]:
    """Logged-in users whose role is in ``roles``; others get the login page or a 404.

    ``action`` and ``object_type`` name what the route does (they appear in the audit entry
    of a refused attempt); ``dpf.accounts.permissions.permission_required`` derives
    ``roles`` from the permission table instead of listing them.
    """
    allowed = frozenset(Role(r) for r in roles)

    def decorate(view: F) -> F:
        @wraps(view)
        def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
            user = request.user
            if not user.is_authenticated:
                return redirect_to_login(request.get_full_path())
            if getattr(user, "role", None) not in allowed:
                audit_denial(
                    request,
                    object_type=object_type or view.__name__,
                    object_id=_object_id(kwargs),
                    action=action,
                )
                raise Http404
            result: HttpResponse = view(request, *args, **kwargs)
            return result

        setattr(
            wrapper,
            ACCESS_ATTR,
            {"public": False, "roles": allowed, "action": action, "object_type": object_type},
        )
        return wrapper  # type: ignore[return-value]

    return decorate


def declaration_of(view: Callable[..., Any]) -> dict[str, Any] | None:
    """The declaration of a resolved view (looks through class-based views too)."""
    for candidate in (view, getattr(view, "view_class", None), getattr(view, "cls", None)):
        if candidate is not None and hasattr(candidate, ACCESS_ATTR):
            declared: dict[str, Any] = getattr(candidate, ACCESS_ATTR)
            return declared
    return None


def roles_of(roles: Iterable[Role]) -> list[str]:
    return sorted(str(r) for r in roles)
