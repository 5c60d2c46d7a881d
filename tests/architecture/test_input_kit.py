"""Refusals and free text have one home, ``dpf/core/inputs.py`` (issue 16 part 4).

A service raises ``refuse(code, zh, en, field)`` and cleans one-line text with
``clean_text``; a module that defines its own ``_refuse``/``refuse`` returning a
``ValidationFailed``, or its own ``_text``/``_optional_text`` calling
``check_text_characters``, is a copy that drifts (a different code, a different message):
this test names it. Helpers building another exception (``LevyInputInvalid``,
``RuleError``) are not copies.
"""

from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
KIT = ROOT / "dpf" / "core" / "inputs.py"
REFUSERS = {"_refuse", "refuse"}
TEXT_CLEANERS = {"_text", "_optional_text"}


def _called(node: ast.AST) -> str | None:
    """The name called by ``node`` (``f(…)`` or ``mod.f(…)``), else None."""
    if not isinstance(node, ast.Call):
        return None
    if isinstance(node.func, ast.Name):
        return node.func.id
    if isinstance(node.func, ast.Attribute):
        return node.func.attr
    return None


def kit_copies(source: str) -> list[str]:
    """The functions of ``source`` that copy the kit, as ``line N: name``."""
    found = []
    for node in ast.walk(ast.parse(source)):
        if not isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
            continue
        inside = list(ast.walk(node))
        if node.name in REFUSERS and any(
            isinstance(n, ast.Return) and n.value and _called(n.value) == "ValidationFailed"
            for n in inside
        ):
            found.append(f"line {node.lineno}: {node.name} returns a ValidationFailed")
        if node.name in TEXT_CLEANERS and any(
            _called(n) == "check_text_characters" for n in inside
        ):
            found.append(f"line {node.lineno}: {node.name} calls check_text_characters")
    return found


def test_no_module_copies_the_input_kit() -> None:
    found = {
        path.relative_to(ROOT).as_posix(): copies
        for path in sorted(ROOT.glob("dpf/**/*.py"))
        if path != KIT and (copies := kit_copies(path.read_text(encoding="utf-8")))
    }
    assert found == {}, f"use refuse / clean_text from dpf.core.inputs instead: {found}"


def test_the_kit_itself_is_what_the_check_looks_for() -> None:
    """Scanning the kit finds its ``refuse``: the check looks at the right shape."""
    found = kit_copies(KIT.read_text(encoding="utf-8"))
    assert [f.split(": ", 1)[1] for f in found] == ["refuse returns a ValidationFailed"]


def test_the_check_names_each_copy() -> None:
    bad = (
        "from dpf.core import errors\n"
        "def _refuse(code, zh, en, field=None):\n"
        "    return ValidationFailed(code, zh, en, field=field)\n"
        "def refuse(code, zh, en):\n"
        "    return errors.ValidationFailed(code, zh, en, field='file')\n"
        "def _text(raw, *, field, label, limit):\n"
        "    text = ' '.join(raw.split())\n"
        "    check_text_characters(text, field=field, label_zh=label[0], label_en=label[1])\n"
        "    return text\n"
        "def _optional_text(raw, **kw):\n"
        "    if raw:\n"
        "        text.check_text_characters(raw, **kw)\n"
        "    return raw\n"
    )
    assert kit_copies(bad) == [
        "line 2: _refuse returns a ValidationFailed",
        "line 4: refuse returns a ValidationFailed",
        "line 6: _text calls check_text_characters",
        "line 10: _optional_text calls check_text_characters",
    ]


def test_the_check_leaves_other_helpers_alone() -> None:
    good = (
        "from dpf.core.inputs import clean_text, refuse\n"
        "def _refuse(code, zh, en, field_name=None):\n"
        "    return LevyInputInvalid(code, zh, en, field_name)\n"
        "def refuse(code, zh, en, pos):\n"
        "    return RuleError(code, zh, en, pos)\n"
        "def _text(figure, unit=''):\n"
        "    return f'{figure.value}{unit}'\n"
        "def _note(raw, *, field):\n"
        "    check_text_characters(raw, field=field, label_zh='说明', label_en='note')\n"
        "    return raw\n"
    )
    assert kit_copies(good) == []
