"""What "refused with a clear message" means on a page, in JSON and on a command line."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from html.parser import HTMLParser
from typing import Any

_CJK = re.compile(r"[\u3400-\u9fff]")
_LATIN_WORD = re.compile(r"[A-Za-z]{3,}")
_ERROR_CLASSES = {"error-summary", "field-error", "errorlist", "messages", "message", "error"}
_SPECIAL = set("<>\"'&")


def has_chinese(text: str) -> bool:
    return bool(_CJK.search(text))


def has_english(text: str) -> bool:
    return bool(_LATIN_WORD.search(text))


class _ErrorText(HTMLParser):
    """Collects the text inside elements whose class marks an error or a message."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.depth = 0  # >0 while inside an error element
        self.stack: list[bool] = []
        self.parts: list[str] = []

    VOID = {"br", "img", "input", "meta", "link", "hr", "area", "base", "col", "source", "wbr"}

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in self.VOID:
            return
        classes = set((dict(attrs).get("class") or "").split())
        opens = bool(classes & _ERROR_CLASSES) or dict(attrs).get("role") == "alert"
        self.stack.append(opens)
        if opens:
            self.depth += 1

    def handle_endtag(self, tag: str) -> None:
        if tag in self.VOID or not self.stack:
            return
        if self.stack.pop():
            self.depth -= 1

    def handle_data(self, data: str) -> None:
        if self.depth > 0 and data.strip():
            self.parts.append(data.strip())


def error_text(html: str) -> str:
    parser = _ErrorText()
    parser.feed(html)
    return " ".join(parser.parts)


@dataclass
class Failures:
    """Collects (item, entry point, problem) so one test reports every failing case."""

    found: list[str] = field(default_factory=list)

    def add(self, item: Any, where: str, problem: str) -> None:
        name = getattr(item, "id", None) or getattr(item, "name", None) or str(item)[:40]
        self.found.append(f"{where} <- {name}: {problem}")

    def check(self) -> None:
        assert not self.found, f"{len(self.found)} case(s) not refused:\n" + "\n".join(self.found)


def page_refusal_problem(response: Any, *, lang: str = "zh", raw: str = "") -> str:
    """Why ``response`` is not a clear refusal ('' when it is).

    A refusal is a 4xx answer (never a redirect to a saved record, never a 500) whose error
    block holds a message in the page's language; ``raw``, the hostile value, must not be
    echoed unescaped when it holds HTML's special characters.
    """
    status = response.status_code
    if status >= 500:
        return f"HTTP {status}"
    if not 400 <= status < 500:
        return f"HTTP {status} (not a 4xx refusal)"
    html = response.content.decode("utf-8", "replace")
    message = error_text(html)
    if not message:
        return "no error message on the page"
    if lang == "zh" and not has_chinese(message):
        return f"the message is not in Chinese: {message[:80]!r}"
    if lang == "en" and (not has_english(message) or has_chinese(message)):
        return f"the message is not in English: {message[:80]!r}"
    if raw and set(raw) & _SPECIAL and len(raw) < 5000 and raw in html:
        return "the value is echoed unescaped"
    return ""


def json_refusal_problem(response: Any, *, codes: set[str] | None = None) -> str:
    """A JSON 4xx with a code and both messages (the API's error body)."""
    status = response.status_code
    if not 400 <= status < 500:
        return f"HTTP {status}"
    try:
        body = response.json()
    except ValueError:
        return "the answer is not JSON"
    if not isinstance(body, dict):
        return "the answer is not an error object"
    message, english = str(body.get("message", "")), str(body.get("message_en", ""))
    if not body.get("code"):
        return "no error code"
    if codes is not None and body["code"] not in codes:
        return f"code {body['code']!r}, expected one of {sorted(codes)}"
    if not has_chinese(message) or not has_english(english):
        return f"messages not in both languages: {message[:60]!r} / {english[:60]!r}"
    return ""
