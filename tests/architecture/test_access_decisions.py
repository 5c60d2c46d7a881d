"""The permission table decides all access: no view module names a role.

Routes declare access with ``permission_required`` (``dpf.accounts.permissions``), template
flags come from ``has_permission`` (or ``user|can:"action object_type"`` in a template),
services refuse with ``require_permission``. A view module (``dpf/*/views*.py``,
``dpf/*/*_views.py``, the API's modules) that imports ``Role``, lists roles with ``@allow``
or compares a user's role decides access beside the table: this test names it.
"""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
# The API's declaration machinery (``api_allow``, ``api_permission_required``), like
# ``dpf.core.access`` for pages: it takes roles, the API's operations do not.
NOT_VIEWS = {ROOT / "dpf" / "api" / "access.py"}
ROLE_NAMES = {"Role", "REGION_STAFF", "ALL_ROLES"}


def view_modules() -> list[Path]:
    found = {
        *ROOT.glob("dpf/*/views*.py"),
        *ROOT.glob("dpf/*/*_views.py"),
        *ROOT.glob("dpf/api/*.py"),
    }
    return sorted(found - NOT_VIEWS)


def _names_a_role(node: ast.AST) -> bool:
    """``x.role`` or ``getattr(x, "role", …)``: a user's role."""
    if isinstance(node, ast.Attribute) and node.attr == "role":
        return True
    return (
        isinstance(node, ast.Call)
        and isinstance(node.func, ast.Name)
        and node.func.id == "getattr"
        and len(node.args) >= 2
        and isinstance(node.args[1], ast.Constant)
        and node.args[1].value == "role"
    )


def role_decisions(source: str) -> list[str]:
    """Where ``source`` decides access by role instead of by the permission table."""
    found: list[str] = []
    for node in ast.walk(ast.parse(source)):
        line = getattr(node, "lineno", 0)
        if isinstance(node, ast.ImportFrom):
            names = {a.name for a in node.names}
            if node.module == "dpf.core.roles":
                found.append(f"line {line}: imports {', '.join(sorted(names))} from dpf.core.roles")
            if node.module in ("dpf.core.access", "dpf.api.access") and names & {
                "allow",
                "api_allow",
            }:
                found.append(f"line {line}: imports a role-list decorator (allow/api_allow)")
        elif isinstance(node, ast.Import) and any(a.name == "dpf.core.roles" for a in node.names):
            found.append(f"line {line}: imports dpf.core.roles")
        elif isinstance(node, ast.Name) and node.id in ROLE_NAMES:
            found.append(f"line {line}: uses {node.id}")
        elif isinstance(node, ast.Compare) and any(
            _names_a_role(n) for n in (node.left, *node.comparators)
        ):
            found.append(f"line {line}: compares a role")
    return sorted(set(found), key=lambda s: int(s.split(":")[0].removeprefix("line ")))


def test_there_are_view_modules_to_check() -> None:
    names = {p.relative_to(ROOT).as_posix() for p in view_modules()}
    expected = {"dpf/registry/views.py", "dpf/workflow/payment_views.py", "dpf/api/exchange.py"}
    assert expected <= names


@pytest.mark.parametrize("path", view_modules(), ids=lambda p: p.relative_to(ROOT).as_posix())
def test_no_view_module_decides_access_by_role(path: Path) -> None:
    found = role_decisions(path.read_text(encoding="utf-8"))
    assert found == [], (
        f"{path.relative_to(ROOT)} decides access by role; use permission_required / "
        f"has_permission (dpf.accounts.permissions) instead: {found}"
    )


@pytest.mark.parametrize(
    ("bad", "reported"),
    [
        ("from dpf.core.roles import Role\n", "imports Role from dpf.core.roles"),
        ("from dpf.core.roles import REGION_STAFF\n", "imports REGION_STAFF"),
        ("import dpf.core.roles\n", "imports dpf.core.roles"),
        ("from dpf.core.access import allow, public\n", "role-list decorator"),
        ("ok = request.user.role == 'city_admin'\n", "compares a role"),
        ("ok = getattr(request.user, 'role', None) in STAFF\n", "compares a role"),
        ("ok = 'county_officer' != user.role\n", "compares a role"),
        ("STAFF = (Role.CITY_ADMIN,)\n", "uses Role"),
    ],
)
def test_the_check_names_each_way_of_deciding_by_role(bad: str, reported: str) -> None:
    """The check can fail: each pattern in a deliberately bad module is reported."""
    found = role_decisions("from dpf.core.access import public\n" + bad)
    assert len(found) == 1
    assert reported in found[0]
    assert found[0].startswith("line 2:")


def test_the_check_accepts_the_permission_table() -> None:
    good = (
        "from dpf.accounts.permissions import has_permission, permission_required\n"
        "from dpf.core.access import public\n"
        "ok = has_permission(request.user, 'approve', 'payment_list')\n"
        "same = step.code == other.code\n"
    )
    assert role_decisions(good) == []


# Templates: a flag comes from the table (``user|can:"action object_type"``, or
# ``user|may_open:"app:name"`` for a link), never from the viewing user's role. (Showing who
# recorded something, ``a.recorded_by.role``, is not an access decision.)
TEMPLATE_ROLE_RE = re.compile(r"\buser\.role\b\s*(==|!=|\bin\b|\bnot\b)|\bin\s+user\.role\b")


def template_role_decisions(text: str) -> list[int]:
    return [n for n, line in enumerate(text.splitlines(), 1) if TEMPLATE_ROLE_RE.search(line)]


def test_no_template_decides_by_the_users_role() -> None:
    found = {
        path.relative_to(ROOT).as_posix(): lines
        for path in sorted(ROOT.glob("dpf/**/templates/**/*.html"))
        if (lines := template_role_decisions(path.read_text(encoding="utf-8")))
    }
    assert found == {}, f"use user|can or has_permission instead of user.role: {found}"


def test_the_template_check_names_a_role_comparison() -> None:
    bad = '{% load dpf_permissions %}\n{% if user.role == "city_admin" %}x{% endif %}\n'
    assert template_role_decisions(bad) == [2]
    assert template_role_decisions('{% if user.role != "village_worker" %}') == [1]
    good = '{% if user|can:"create snapshot" %}{{ a.recorded_by.role }}{% endif %}'
    assert template_role_decisions(good) == []
