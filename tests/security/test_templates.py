"""No template holds what the Content-Security-Policy blocks: inline scripts, event-handler
attributes (``onclick=``), ``javascript:`` URLs (the CSP has no ``unsafe-inline``)."""

from __future__ import annotations

from pathlib import Path

from tests.security.test_routes import INLINE_SCRIPT_RE

DPF = Path(__file__).resolve().parents[2] / "dpf"


def test_no_template_holds_an_inline_script_or_event_handler():
    templates = sorted(DPF.rglob("templates/**/*.html"))
    assert len(templates) > 20
    offending = [
        f"{path.relative_to(DPF)}: {found.group(0)[:60]}"
        for path in templates
        for found in [INLINE_SCRIPT_RE.search(path.read_text(encoding="utf-8"))]
        if found
    ]
    assert offending == []


def test_the_pattern_catches_what_the_csp_would_block():
    for html in (
        "<script>alert(1)</script>",
        '<script type="module">x()</script>',
        '<button type="button" onclick="go()">',
        '<body onload="init()">',
        '<a href="javascript:void(0)">',
    ):
        assert INLINE_SCRIPT_RE.search(html), html
    for html in (
        '<script src="/static/js/app.js" defer></script>',
        '<script id="chart-data" type="application/json">{"a": 1}</script>',
        '<button type="submit" name="online">',
        "<p>Questions online = welcome</p>",
    ):
        assert not INLINE_SCRIPT_RE.search(html), html
