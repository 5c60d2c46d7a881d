"""Every user-facing string has English, and the English catalogue is well formed.

No GNU gettext here (CI may not have it): the catalogue is read with polib, the templates
with Django's own template lexer and the Python sources with ``ast``. The scan finds
``{% translate "…" %}`` / ``{% trans "…" %}``, ``{% blocktranslate %}…{% endblocktranslate %}``
and ``_("…")`` in templates, and single-literal ``_``/``gettext``/``gettext_lazy``/
``ngettext`` calls in the Python of ``dpf/`` and ``config/`` (f-strings and computed
arguments are skipped: they cannot be looked up). ``dpf makemessages -l en`` finds the same
strings with gettext's tools.
"""

from __future__ import annotations

import ast
import re
from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from typing import NamedTuple

import polib  # type: ignore[import-untyped]
import pytest
from django.template.base import Lexer, TokenType
from django.utils.text import smart_split
from django.utils.translation import trim_whitespace

ROOT = Path(__file__).resolve().parents[2]
DPF = ROOT / "dpf"
PO_PATH = DPF / "locale" / "en" / "LC_MESSAGES" / "django.po"

# Names under which django.utils.translation's functions are called, by original name.
SINGULAR = {"gettext", "gettext_lazy", "gettext_noop"}
PLURAL = {"ngettext", "ngettext_lazy"}

# %(name)s, %s, %d … and {name} / {0} / {} (str.format); %% is a literal percent sign.
PERCENT_RE = re.compile(r"%(?:\([^)]*\))?[-#0 +]*\d*(?:\.\d+)?[sdifreEgGxXoc%]")
BRACE_RE = re.compile(r"(?<!\{)\{([A-Za-z_][A-Za-z0-9_]*|\d*)(?:![rsa])?(?::[^{}]*)?\}(?!\})")


class Found(NamedTuple):
    msgid: str
    where: str  # path:line, relative to the repository


# --- the catalogue -----------------------------------------------------------------------


@pytest.fixture(scope="module")
def catalogue() -> polib.POFile:
    return polib.pofile(str(PO_PATH))


def _entries(po: polib.POFile) -> list[polib.POEntry]:
    return [e for e in po if not e.obsolete and e.msgid != ""]


def _placeholders(text: str) -> Counter[str]:
    found = Counter(m.group(0) for m in PERCENT_RE.finditer(text) if m.group(0) != "%%")
    found.update("{" + m.group(1) + "}" for m in BRACE_RE.finditer(text))
    return found


def test_every_entry_has_english(catalogue: polib.POFile) -> None:
    empty = [
        e.msgid
        for e in _entries(catalogue)
        if (
            not e.msgstr.strip()
            if not e.msgid_plural
            else not all((e.msgstr_plural.get(i) or "").strip() for i in range(2))
        )
    ]
    assert not empty, "entries without English in django.po:\n" + "\n".join(empty)


def test_no_entry_is_fuzzy(catalogue: polib.POFile) -> None:
    fuzzy = [e.msgid for e in _entries(catalogue) if "fuzzy" in e.flags]
    assert not fuzzy, (
        "fuzzy entries (a machine guess, not used at run time; check the English and "
        "remove the flag):\n" + "\n".join(fuzzy)
    )


def test_no_msgid_appears_twice(catalogue: polib.POFile) -> None:
    counts = Counter((e.msgctxt, e.msgid) for e in _entries(catalogue))
    twice = [msgid for (_ctx, msgid), n in counts.items() if n > 1]
    assert not twice, "msgids defined more than once (msgfmt refuses the file):\n" + "\n".join(
        twice
    )


def test_placeholders_match(catalogue: polib.POFile) -> None:
    wrong = []
    for e in _entries(catalogue):
        if e.msgid_plural:
            source = _placeholders(e.msgid) | _placeholders(e.msgid_plural)
            # English: the singular form may drop the count ("one record"), nothing else.
            forms = {i: e.msgstr_plural.get(i, "") for i in range(2)}
            plural_ok = _placeholders(forms[1]) == _placeholders(e.msgid_plural)
            singular_ok = set(_placeholders(forms[0])) <= set(source)
            if not (plural_ok and singular_ok):
                wrong.append(f"{e.msgid!r} -> {forms!r}")
        elif _placeholders(e.msgid) != _placeholders(e.msgstr):
            wrong.append(f"{e.msgid!r} -> {e.msgstr!r}")
    assert not wrong, "placeholders differ between msgid and msgstr:\n" + "\n".join(wrong)


def test_python_format_flags_are_right(catalogue: polib.POFile) -> None:
    named = re.compile(r"%\([^)]+\)[sd]")
    wrong = []
    for e in _entries(catalogue):
        has = bool(named.search(e.msgid) or named.search(e.msgid_plural or ""))
        if has != ("python-format" in e.flags):
            wrong.append(f"{e.msgid!r} (flags: {', '.join(e.flags) or 'none'})")
    assert not wrong, (
        "a msgid with %(name)s placeholders needs '#, python-format', and only such a "
        "msgid has it:\n" + "\n".join(wrong)
    )


# --- the sources -------------------------------------------------------------------------


def _rel(path: Path) -> str:
    return str(path.relative_to(ROOT))


def _unquote(token: str) -> str | None:
    if len(token) >= 2 and token[0] == token[-1] and token[0] in "\"'":
        return token[1:-1]
    return None


INLINE_GETTEXT_RE = re.compile(r"""\b_\(\s*(?:"([^"]*)"|'([^']*)')\s*\)""")


def template_msgids(source: str, where: str) -> Iterator[Found]:  # noqa: C901
    """The literal msgids of one template, as Django looks them up at run time."""
    block: list[str] | None = None
    plural: list[str] | None = None
    trimmed = False
    start = 0
    in_comment = False
    for token in Lexer(source).tokenize():
        line = f"{where}:{token.lineno}"
        if token.token_type == TokenType.BLOCK:
            bits = list(smart_split(token.contents))
            tag = bits[0] if bits else ""
            if in_comment:
                in_comment = tag != "endcomment"
                continue
            if tag == "comment":
                in_comment = True
            elif tag in ("translate", "trans") and len(bits) > 1:
                literal = _unquote(bits[1])
                if literal is not None:
                    # TranslateNode doubles "%" before the look-up.
                    yield Found(literal.replace("%", "%%"), line)
            elif tag in ("blocktranslate", "blocktrans"):
                block, plural, trimmed, start = [], None, "trimmed" in bits, token.lineno or 0
            elif tag == "plural" and block is not None:
                plural = []
            elif tag in ("endblocktranslate", "endblocktrans") and block is not None:
                text = "".join(block)
                yield Found(trim_whitespace(text) if trimmed else text, f"{where}:{start}")
                block = plural = None
            if block is None:
                for m in INLINE_GETTEXT_RE.finditer(token.contents):
                    yield Found(m.group(1) if m.group(1) is not None else m.group(2), line)
        elif in_comment:
            continue
        elif block is not None:
            target = plural if plural is not None else block
            if token.token_type == TokenType.VAR:
                target.append(f"%({token.contents})s")
            elif token.token_type == TokenType.TEXT:
                target.append(token.contents.replace("%", "%%"))
        elif token.token_type == TokenType.VAR:
            for m in INLINE_GETTEXT_RE.finditer(token.contents):
                yield Found(m.group(1) if m.group(1) is not None else m.group(2), line)


def python_msgids(source: str, where: str) -> Iterator[Found]:
    """Single-literal calls of django.utils.translation's gettext functions, by any alias."""
    tree = ast.parse(source)
    aliases: dict[str, str] = {}
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and node.module == "django.utils.translation":
            for alias in node.names:
                if alias.name in SINGULAR | PLURAL:
                    aliases[alias.asname or alias.name] = alias.name
    if not aliases:
        return
    for node in ast.walk(tree):
        if not (isinstance(node, ast.Call) and isinstance(node.func, ast.Name)):
            continue
        original = aliases.get(node.func.id)
        if original is None or not node.args:
            continue
        first = node.args[0]
        if isinstance(first, ast.Constant) and isinstance(first.value, str):
            yield Found(first.value, f"{where}:{node.lineno}")


def _templates() -> list[Path]:
    return sorted(p for p in DPF.rglob("*.html") if "static" not in p.parts)


def _python_files() -> list[Path]:
    return sorted([*DPF.rglob("*.py"), *(ROOT / "config").rglob("*.py")])


def _missing(found: list[Found], po: polib.POFile) -> list[str]:
    known = {e.msgid for e in _entries(po)}
    return sorted({f"{f.where}: {f.msgid!r}" for f in found if f.msgid not in known})


def test_template_strings_are_in_the_catalogue(catalogue: polib.POFile) -> None:
    found = [
        f
        for path in _templates()
        for f in template_msgids(path.read_text(encoding="utf-8"), _rel(path))
    ]
    assert len(found) > 100, "the template scan found almost nothing: is the pattern broken?"
    missing = _missing(found, catalogue)
    assert not missing, (
        "template strings without English in dpf/locale/en/LC_MESSAGES/django.po:\n"
        + "\n".join(missing)
    )


def test_python_strings_are_in_the_catalogue(catalogue: polib.POFile) -> None:
    found = [
        f
        for path in _python_files()
        for f in python_msgids(path.read_text(encoding="utf-8"), _rel(path))
    ]
    assert len(found) > 100, "the Python scan found almost nothing: is the pattern broken?"
    missing = _missing(found, catalogue)
    assert not missing, (
        "Python strings without English in dpf/locale/en/LC_MESSAGES/django.po:\n"
        + "\n".join(missing)
    )


# --- the scanners themselves -------------------------------------------------------------


def test_template_scan_finds_each_form() -> None:
    source = (
        "{% load i18n %}<h1>{% translate \"甲\" %}</h1><p>{% trans '乙' as x %}</p>\n"
        '<a title="{% translate \'丙\' noop %}">{{ _("丁")|upper }}</a>\n'
        "{% blocktranslate with n=a %}共 {{ n }} 项，100%{% endblocktranslate %}\n"
        "{% blocktranslate count n=c trimmed %}\n  一项\n  {{ n }}\n"
        "{% plural %}{{ n }} 项{% endblocktranslate %}\n"
        '{% comment %}{% translate "不算" %}{% endcomment %}{% translate var %}'
    )
    found = list(template_msgids(source, "t.html"))
    assert [f.msgid for f in found] == ["甲", "乙", "丙", "丁", "共 %(n)s 项，100%%", "一项 %(n)s"]
    assert found[0].where == "t.html:1"
    assert found[4].where == "t.html:3"


def test_python_scan_finds_literal_calls_only() -> None:
    source = (
        "from django.utils.translation import gettext as _, gettext_lazy, ngettext as nt\n"
        "a = _('甲')\nb = gettext_lazy(\"乙\")\nc = nt('一项', '%(n)s 项', 2)\n"
        "d = _(f'{a}')\ne = _(a)\nf = print('不算')\n"
    )
    found = list(python_msgids(source, "m.py"))
    assert [(f.msgid, f.where) for f in found] == [
        ("甲", "m.py:2"),
        ("乙", "m.py:3"),
        ("一项", "m.py:4"),
    ]
    assert not list(python_msgids("_ = print\n_('不算')\n", "n.py"))


def test_missing_msgids_are_reported_with_their_file(catalogue: polib.POFile) -> None:
    found = [Found("指标监测", "a.html:1"), Found("从未翻译过的文字", "b.html:7")]
    assert _missing(found, catalogue) == ["b.html:7: '从未翻译过的文字'"]
