"""Route declarations for API operations, readable by the same route-walking test as pages.

``@api_allow(*roles)`` records the roles on the operation function (``dpf_access``, as
``dpf.core.access.allow`` does for pages). :func:`declare_routes` copies the union of the
declarations of every operation onto the Django view that serves its path, and refuses to
start when an operation has none ("no route without a rule").
"""

from __future__ import annotations

from collections.abc import Callable
from functools import partial
from typing import Any, TypeVar

from django.core.exceptions import ImproperlyConfigured
from django.urls import URLPattern, URLResolver

from dpf.accounts.permissions import PERMISSIONS, Scope
from dpf.core.access import ACCESS_ATTR, public
from dpf.core.roles import Role

F = TypeVar("F", bound=Callable[..., Any])


def api_allow(*roles: Role | str, action: str = "view", object_type: str = "") -> Callable[[F], F]:
    """Declare the roles of an API operation (enforced by the operation's auth)."""
    allowed = frozenset(Role(r) for r in roles)

    def decorate(func: F) -> F:
        setattr(
            func,
            ACCESS_ATTR,
            {"public": False, "roles": allowed, "action": action, "object_type": object_type},
        )
        return func

    return decorate


def api_permission_required(
    action: str, object_type: str, *, scope: Scope | str = Scope.INSTITUTION
) -> Callable[[F], F]:
    """``api_allow`` with the roles of the permission table that hold (action, object type)
    in ``scope``: the API's callers are the partner departments' accounts (institution
    scope); region staff, who hold the same actions, use the pages."""
    roles = frozenset(
        p.role
        for p in PERMISSIONS
        if p.action == action and p.object_type == object_type and p.scope == str(scope)
    )
    if not roles:
        raise ValueError(f"no role holds ({action}, {object_type}) in scope {scope}")
    return api_allow(*roles, action=action, object_type=object_type)


def _operations(callback: Any) -> list[Any]:
    for cell in getattr(callback, "__closure__", None) or ():
        contents = cell.cell_contents
        if hasattr(contents, "operations"):
            return list(contents.operations)
    return []


def declare_routes(patterns: list[URLPattern | URLResolver]) -> list[URLPattern | URLResolver]:
    """Put each path's operation declarations on its Django view; fail on an undeclared one."""
    for pattern in patterns:
        if isinstance(pattern, URLResolver):
            declare_routes(list(pattern.url_patterns))
            continue
        callback = pattern.callback
        if hasattr(callback, ACCESS_ATTR):
            continue
        operations = _operations(callback)
        if not operations:
            if isinstance(callback, partial) and pattern.name == "api-root":
                public(callback)
                continue
            raise ImproperlyConfigured(f"API route {pattern.pattern} has no access declaration")
        declarations = []
        for op in operations:
            declared = getattr(op.view_func, ACCESS_ATTR, None)
            if declared is None:
                raise ImproperlyConfigured(
                    f"API operation {op.view_func.__qualname__} has no @api_allow declaration"
                )
            declarations.append(declared)
        roles = frozenset().union(*(d["roles"] for d in declarations))
        setattr(
            callback,
            ACCESS_ATTR,
            {
                "public": all(d["public"] for d in declarations),
                "roles": roles,
                "action": ",".join(sorted({d.get("action", "") for d in declarations})),
                "object_type": ",".join(sorted({d.get("object_type", "") for d in declarations})),
                "api": True,
            },
        )
    return patterns
