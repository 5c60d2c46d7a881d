"""Spreadsheet cells have one owner, ``dpf/core/spreadsheets.py`` (issue 16 part 3).

Three copies of the formula neutralising once drifted apart (the report's missed tab and
carriage return, so a cell starting ``\\t=`` reached Excel as a formula). A module that
holds its own trigger characters, a literal collection of ``"="`` with ``"@"`` or
``"+"``, or a ``startswith("=")`` guard that prefixes an apostrophe, is a copy: this test
names it. Reading a formula to refuse it (``exchange/parsing.is_formula``) is not writing
one and is left alone.
"""

from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
OWNER = ROOT / "dpf" / "core" / "spreadsheets.py"


def _strings(node: ast.AST) -> set[str]:
    if isinstance(node, ast.Tuple | ast.List | ast.Set):
        return {
            e.value for e in node.elts if isinstance(e, ast.Constant) and isinstance(e.value, str)
        }
    return set()


def neutraliser_copies(source: str) -> list[str]:
    """Where ``source`` neutralises formulas itself, as ``line N: what``."""
    found: list[tuple[int, str]] = []
    for node in ast.walk(ast.parse(source)):
        strings = _strings(node)
        if isinstance(node, ast.expr) and "=" in strings and strings & {"@", "+"}:
            found.append((node.lineno, "formula trigger characters"))
        if (
            isinstance(node, ast.BinOp)
            and isinstance(node.op, ast.Add)
            and isinstance(node.left, ast.Constant)
            and node.left.value == "'"
        ):
            found.append((node.lineno, "an apostrophe prefixed to a cell"))
    return [f"line {line}: {what}" for line, what in sorted(found)]


def test_no_module_neutralises_formulas_itself() -> None:
    found = {
        path.relative_to(ROOT).as_posix(): copies
        for path in sorted(ROOT.glob("dpf/**/*.py"))
        if path != OWNER and (copies := neutraliser_copies(path.read_text(encoding="utf-8")))
    }
    assert found == {}, f"use neutralise from dpf.core.spreadsheets instead: {found}"


def test_the_owner_is_what_the_check_looks_for() -> None:
    found = neutraliser_copies(OWNER.read_text(encoding="utf-8"))
    assert sorted(f.split(": ", 1)[1] for f in found) == [
        "an apostrophe prefixed to a cell",
        "formula trigger characters",
    ]


def test_the_check_names_each_copy() -> None:
    bad = (
        "def _safe(value):\n"
        "    if value.startswith(('=', '+', '-', '@')):\n"
        '        return "\'" + value\n'
        "    return value\n"
        "DANGEROUS = {'=', '@'}\n"
    )
    assert neutraliser_copies(bad) == [
        "line 2: formula trigger characters",
        "line 3: an apostrophe prefixed to a cell",
        "line 5: formula trigger characters",
    ]


def test_the_check_leaves_formula_detection_alone() -> None:
    good = (
        "def is_formula(value):\n"
        "    return isinstance(value, str) and value.lstrip().startswith('=')\n"
        "SIGNS = ('+', '-')\n"
    )
    assert neutraliser_copies(good) == []
