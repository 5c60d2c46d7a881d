"""The small kit views share (issue 16 part 4).

A page records a read of personal data with ``audit.record_view``: eleven views built the
same ``audit.record(actor=request.user, action="view", …)`` by hand, two without the
request (so without the client's address). The one call takes the request, so the user,
the role, the region and the address are always recorded.

A view tells refusals apart by their type (``except NotFound``; ``PermissionRefused`` is a
``NotFound``) or by a code the service names (``services.CERTIFICATE_OVERLAP``), never by
a string typed again in the view.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
VIEWS = sorted(p for p in (ROOT / "dpf").rglob("*.py") if "views" in p.name)


def _hand_built_reads(tree: ast.Module) -> list[int]:
    lines = []
    for node in ast.walk(tree):
        if (
            isinstance(node, ast.Call)
            and isinstance(node.func, ast.Attribute)
            and node.func.attr == "record"
            and any(
                k.arg == "action" and isinstance(k.value, ast.Constant) and k.value.value == "view"
                for k in node.keywords
            )
        ):
            lines.append(node.lineno)
    return lines


def test_views_record_reads_and_there_are_views_to_check() -> None:
    calls = sum(p.read_text(encoding="utf-8").count("audit.record_view(") for p in VIEWS)
    assert calls >= 20


@pytest.mark.parametrize("path", VIEWS, ids=lambda p: str(p.relative_to(ROOT)))
def test_a_view_records_a_read_through_record_view(path: Path) -> None:
    lines = _hand_built_reads(ast.parse(path.read_text(encoding="utf-8")))
    assert not lines, f"{path.relative_to(ROOT)} lines {lines}: use audit.record_view(request, …)"


def _codes_compared_to_strings(tree: ast.Module) -> list[int]:
    lines = []
    for node in ast.walk(tree):
        if not (isinstance(node, ast.Compare) and isinstance(node.left, ast.Attribute)):
            continue
        if node.left.attr != "code":
            continue
        for right in node.comparators:
            items = right.elts if isinstance(right, ast.Tuple | ast.List | ast.Set) else [right]
            if any(isinstance(i, ast.Constant) and isinstance(i.value, str) for i in items):
                lines.append(node.lineno)
    return lines


@pytest.mark.parametrize("path", VIEWS, ids=lambda p: str(p.relative_to(ROOT)))
def test_a_view_does_not_compare_error_codes_to_strings(path: Path) -> None:
    lines = _codes_compared_to_strings(ast.parse(path.read_text(encoding="utf-8")))
    assert not lines, (
        f"{path.relative_to(ROOT)} lines {lines}: catch the refusal's type, or compare with "
        "the code the service names"
    )
