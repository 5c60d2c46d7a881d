"""docs/security.md holds the permission table generated from the code, byte for byte."""

from __future__ import annotations

import io
from pathlib import Path

from django.core.management import call_command

from dpf.accounts.permissions import PERMISSIONS, markdown_table
from dpf.core.roles import Role

DOC = Path(__file__).resolve().parents[2] / "docs" / "security.md"
START = "<!-- permission-table:start -->\n"
END = "<!-- permission-table:end -->"


def _documented_table() -> str:
    text = DOC.read_text(encoding="utf-8")
    assert START in text, "docs/security.md lost its table markers"
    assert END in text, "docs/security.md lost its table markers"
    return text.split(START, 1)[1].split(END, 1)[0]


def test_security_doc_table_matches_the_declarations():
    assert _documented_table() == markdown_table(), (
        "docs/security.md is out of date: paste the output of `dpf security table` "
        "between the permission-table markers"
    )


def test_security_table_command_prints_every_role_and_grant():
    out = io.StringIO()
    call_command("security", "table", stdout=out)
    table = out.getvalue()
    assert table == markdown_table()
    for role in Role:
        assert f"| `{role.value}` |" in table
    for p in PERMISSIONS:
        row = f"| `{p.role.value}` | {p.role.label} | {p.scope.value} | `{p.action.value}` |"
        assert any(
            line.startswith(row) and f"`{p.object_type.value}`" in line
            for line in table.splitlines()
        )
