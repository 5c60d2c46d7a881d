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


def allow(*roles: Role | str, action: str = "view", object_type: str = "") -> Callable[[F], F]:
    """Logged-in users whose role is in ``roles``; others get the login page or a 404."""
    allowed = frozenset(Role(r) for r in roles)

    def decorate(view: F) -> F:
        @wraps(view)
        def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
            user = request.user
            if not user.is_authenticated:
                return redirect_to_login(request.get_full_path())
            if getattr(user, "role", None) not in allowed:
                from dpf.core import audit  # local: audit imports models

                audit.record(
                    actor=user,
                    action="permission_denied",
                    object_type=object_type or view.__name__,
                    request=request,
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
