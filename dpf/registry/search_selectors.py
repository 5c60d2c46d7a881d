"""The registry's search: one box for a name (汉字 or pinyin), an ID number, a
certificate number or a phone, in the user's scope; one page of rows and a capped count.
Lists read only the columns they show, so encrypted fields are never decrypted for a list.
"""

from __future__ import annotations

import datetime as dt
import math
import re
from dataclasses import dataclass
from typing import Any

from django.contrib.postgres.fields import ArrayField
from django.db import connection
from django.db.models import F, Func, OuterRef, Q, QuerySet, Subquery, TextField
from django.db.models.functions import Lower

from dpf.accounts.scoping import region_in_scope, scope_queryset
from dpf.core.certnumber import Category, Level, parse_certificate_number
from dpf.core.dates import display_age
from dpf.core.dates import local_today as today
from dpf.core.errors import ValidationFailed
from dpf.core.idnumber import parse_id_number
from dpf.core.models import EffectiveDated, Region, region_prefix, starts_with_q
from dpf.core.text import fold_fullwidth_digits
from dpf.registry.models import (
    Certificate,
    Person,
    Sex,
)
from dpf.registry.services import certificate_lookup_hash, id_lookup_hash

# A search counts its matches only up to this many (a bounded COUNT over a LIMIT), so a
# broad query over the whole city never counts hundreds of thousands of rows.
COUNT_CAP = 1000
MAX_PER_PAGE = 100
# Stable across pages. ``Lower`` (a no-op: pinyin is stored lowercase) keeps SQLite from
# walking the whole name_pinyin index in order and testing every row against the filter;
# it filters first, then sorts the matches (PostgreSQL plans this way by itself).
ORDER = (Lower("name_pinyin"), "name", "pk")

_ID_RE = re.compile(r"^(\d{17}[\dX]|\d{15})$")
_CERT_RE = re.compile(r"^\d{17}[\dX]\d{2}$")
_NUMBERISH_RE = re.compile(r"^[\dX]+$")
_PINYIN_RE = re.compile(r"^[a-z' ]+$")


# --- search ----------------------------------------------------------------------------


def classify_query(query: str) -> tuple[str, str]:
    """What the search box holds: ``(kind, normalised text)``.

    Kinds: ``id`` (18- or 15-digit ID number), ``certificate`` (20 characters), ``pinyin``
    (letters only: initials ``zhm`` or full pinyin ``zhanghaiming``), ``name`` (anything
    else), ``empty``. Only an ID or certificate number is ever read as a number: a partial
    number is refused rather than matched (numbers are stored encrypted, only whole ones
    can be looked up).
    """
    # Full-width digits and X are what a Chinese input method types: the same number.
    text = fold_fullwidth_digits(re.sub(r"\s+", "", query or ""))
    if not text:
        return "empty", ""
    upper = text.upper()
    if _ID_RE.match(upper):
        return "id", upper
    if _CERT_RE.match(upper):
        return "certificate", upper
    if _NUMBERISH_RE.match(upper) and any(c.isdigit() for c in upper):
        return "partial_number", upper
    lower = (query or "").strip().lower()
    if _PINYIN_RE.match(lower):
        return "pinyin", re.sub(r"[' ]", "", lower)
    return "name", text


def looks_like_number(query: str) -> bool:
    """Would this query be read as an ID or certificate number (never put in a URL)?"""
    return classify_query(query)[0] in ("id", "certificate", "partial_number")


def _refuse_query(exc: ValidationFailed) -> ValidationFailed:
    return ValidationFailed(exc.code, exc.message_zh, exc.message_en, field="query")


def _region_q(user: Any, region_code: str) -> Q:
    """The filter for one region the user chose; refused when outside the user's scope."""
    code = (region_code or "").strip()
    valid_length = len(code) in (6, 9, 12) and code.isdigit()
    if not valid_length or not region_in_scope(user, code):
        # Same words as an unknown region: the user learns nothing outside the scope.
        raise ValidationFailed(
            "region_unknown", "所选地区不存在", "the region does not exist", field="region"
        )
    if len(code) == 12:
        return Q(village_code=code)
    if len(code) == 9:
        return Q(township_code=code)
    prefix = region_prefix(code)
    if prefix == code:
        return Q(county_code=code)
    return Q(county_code__startswith=prefix)


@dataclass(frozen=True)
class PersonRow:
    """One line of a list of persons (no encrypted field is read for it)."""

    pk: int
    name: str
    sex: str
    age: int
    id_number_masked: str
    county_name: str
    village_name: str
    category: int | None
    level: int | None
    deceased: bool

    @property
    def sex_label(self) -> str:
        return str(Sex(self.sex).label) if self.sex in Sex.values else self.sex

    @property
    def certificate_label(self) -> str:
        if self.category is None or self.level is None:
            return ""
        return f"{Category(self.category).label} {Level(self.level).label}"


@dataclass(frozen=True)
class SearchPage:
    kind: str
    rows: list[PersonRow]
    page: int
    per_page: int
    count: int  # matches, up to COUNT_CAP
    count_capped: bool  # more than COUNT_CAP matches

    @property
    def searched(self) -> bool:
        return self.kind != "none"

    @property
    def num_pages(self) -> int:
        return max(1, math.ceil(self.count / self.per_page))

    @property
    def has_previous(self) -> bool:
        return self.page > 1

    @property
    def has_next(self) -> bool:
        return self.page < self.num_pages

    @property
    def previous_page(self) -> int:
        return self.page - 1

    @property
    def next_page(self) -> int:
        return self.page + 1

    @property
    def first_index(self) -> int:
        return (self.page - 1) * self.per_page + 1 if self.rows else 0

    @property
    def last_index(self) -> int:
        return (self.page - 1) * self.per_page + len(self.rows)

    @property
    def page_numbers(self) -> list[int]:
        """A window of page numbers around the current one."""
        low = max(1, self.page - 2)
        high = min(self.num_pages, self.page + 2)
        return list(range(low, high + 1))


def _current_certificates(on: dt.date) -> QuerySet[Certificate]:
    return (
        Certificate.objects.filter(person=OuterRef("pk"))
        .filter(EffectiveDated.as_of_q(on))
        .order_by("-valid_from", "-pk")
    )


def _region_name(column: str) -> Subquery:
    return Subquery(Region.objects.filter(code=OuterRef(column)).values("name")[:1])


def person_rows(queryset: QuerySet[Person], on: dt.date) -> QuerySet[Any]:
    """The columns of a person list, with the certificate in force on ``on`` and the
    county and village names as correlated subqueries (one query for the whole page)."""
    current = _current_certificates(on)
    return queryset.annotate(
        cert_category=Subquery(current.values("category")[:1]),
        cert_level=Subquery(current.values("level")[:1]),
        county_name=_region_name("county_code"),
        village_name=_region_name("village_code"),
    ).values(
        "pk",
        "name",
        "sex",
        "birth_date",
        "id_number_masked",
        "county_name",
        "village_name",
        "cert_category",
        "cert_level",
        "death_date",
    )


def _row(values: dict[str, Any], on: dt.date) -> PersonRow:
    return PersonRow(
        pk=values["pk"],
        name=values["name"],
        sex=values["sex"],
        age=display_age(values["birth_date"], values["death_date"] or on),
        id_number_masked=values["id_number_masked"],
        county_name=values["county_name"] or "",
        village_name=values["village_name"] or "",
        category=values["cert_category"],
        level=values["cert_level"],
        deceased=values["death_date"] is not None,
    )


def search_persons(
    user: Any,
    *,
    query: str,
    region_code: str | None = None,
    page: int = 1,
    per_page: int = 20,
) -> SearchPage:
    """Find persons in the user's scope by ID number, certificate number, pinyin or name.

    An empty query with a region lists that region; an empty query without one searches
    nothing. Results are ordered by pinyin, name and id (stable across pages). Raises
    ``ValidationFailed`` (field ``query`` or ``region``) for a malformed number or a
    region outside the scope.
    """
    per_page = min(max(per_page, 1), MAX_PER_PAGE)
    # Pages past the counted matches are never linked; a hand-typed page number past
    # them (or too large for the database's OFFSET) is brought back within reach and
    # then to the last page below.
    page = min(max(page, 1), math.ceil(COUNT_CAP / per_page))
    kind, text = classify_query(query)
    if kind == "empty" and not region_code:
        return SearchPage("none", [], 1, per_page, 0, False)
    kind, queryset = _matching(user, kind, text, region_code)
    on = today()
    ordered = queryset.order_by(*ORDER)
    rows = _fetch_page(ordered, page, per_page, on)
    if page == 1 and len(rows) <= per_page:
        count, capped = len(rows), False
    else:
        count, capped = _capped_count(queryset)
        last = max(1, math.ceil(count / per_page))
        if not rows and page > last:
            page = last
            rows = _fetch_page(ordered, page, per_page, on)
    return SearchPage(kind, rows[:per_page], page, per_page, count, capped)


def _name_bigrams() -> Func:
    """``dpf_name_bigrams(name)``: the expression of the index ``person_name_bigrams``
    (PostgreSQL, migration registry/0013), written as the index has it."""
    return Func(F("name"), function="dpf_name_bigrams", output_field=ArrayField(TextField()))


def _matching(
    user: Any, kind: str, text: str, region_code: str | None
) -> tuple[str, QuerySet[Person]]:
    """The persons in the user's scope matching a classified query (``classify_query``):
    ``(kind, queryset)``, the kind ``browse`` for an empty query with a region. The one
    place the search box and its look-up apply the scope and the match."""
    queryset = scope_queryset(user, Person.objects.all())
    if region_code:
        queryset = queryset.filter(_region_q(user, region_code))
    if kind == "id":
        try:
            parsed = parse_id_number(text)
        except ValidationFailed as exc:
            raise _refuse_query(exc) from None
        queryset = queryset.filter(id_number_hash=id_lookup_hash(parsed.normalized))
    elif kind == "certificate":
        try:
            number = parse_certificate_number(text).normalized
        except ValidationFailed as exc:
            raise _refuse_query(exc) from None
        holders = Certificate.objects.filter(number_hash=certificate_lookup_hash(number))
        queryset = queryset.filter(pk__in=holders.values("person_id"))
    elif kind == "partial_number":
        raise ValidationFailed(
            "query_partial_number",
            "请输入完整的18位身份证号码或20位残疾人证号",
            "enter a whole 18-digit ID number or 20-character certificate number",
            field="query",
        )
    elif kind == "pinyin":
        queryset = queryset.filter(
            starts_with_q("name_initials", text) | starts_with_q("name_pinyin", text)
        )
    elif kind == "name":
        queryset = queryset.filter(name__contains=text)
        if len(text) == 2 and connection.vendor == "postgresql":
            # pg_trgm finds no trigram in two characters (张海): the name's pairs of
            # characters (migration registry/0013, a GIN index) narrow the rows instead of
            # the scope's every person. The same matches: a name contains two characters
            # exactly when they are one of its pairs, and ``name LIKE`` above still decides.
            queryset = queryset.alias(name_bigrams=_name_bigrams()).filter(
                name_bigrams__contains=[text]
            )
    else:
        kind = "browse"
    return kind, queryset


# --- look-up (search as you type) ------------------------------------------------------

LOOKUP_LIMIT = 10
LOOKUP_MIN_CHARS = 2


@dataclass(frozen=True)
class LookupMatch:
    """One suggestion of the search box: only what a picker shows (no encrypted field)."""

    pk: int
    name: str
    id_number_masked: str
    township_name: str


@dataclass(frozen=True)
class Lookup:
    kind: str
    matches: list[LookupMatch]
    more: bool  # more than ``LOOKUP_LIMIT`` persons match


def lookup_persons(
    user: Any, *, query: str, region_code: str | None = None, limit: int = LOOKUP_LIMIT
) -> Lookup:
    """The first ``limit`` persons in the user's scope that the search box would find for
    ``query``, in the search's order: the same classification, scope and match as
    ``search_persons``, one query, no count. A name or pinyin shorter than
    ``LOOKUP_MIN_CHARS`` finds nothing (too broad to suggest). Raises ``ValidationFailed``
    as the search does (a partial or malformed number, a region outside the scope)."""
    kind, text = classify_query(query)
    if kind == "empty" or (kind in ("name", "pinyin") and len(text) < LOOKUP_MIN_CHARS):
        return Lookup("none", [], False)
    kind, queryset = _matching(user, kind, text, region_code)
    # The ids first, then the township's name for those rows only (as ``_fetch_page``).
    ids = queryset.order_by(*ORDER).values("pk")[: limit + 1]
    rows = (
        Person.objects.filter(pk__in=ids)
        .annotate(township_name=_region_name("township_code"))
        .order_by(*ORDER)
        .values("pk", "name", "id_number_masked", "township_name")
    )
    matches = [
        LookupMatch(r["pk"], r["name"], r["id_number_masked"], r["township_name"] or "")
        for r in rows
    ]
    return Lookup(kind, matches[:limit], len(matches) > limit)


def _fetch_page(queryset: QuerySet[Person], page: int, per_page: int, on: dt.date) -> list[Any]:
    start = (page - 1) * per_page
    # The page's ids first (one extra tells whether a count is needed at all), then the
    # columns shown, so the certificate and region subqueries run for these rows only.
    page_ids = queryset.values("pk")[start : start + per_page + 1]
    rows = person_rows(Person.objects.filter(pk__in=page_ids), on)
    return [_row(v, on) for v in rows.order_by(*ORDER)]


def _capped_count(queryset: QuerySet[Person]) -> tuple[int, bool]:
    """COUNT over at most ``COUNT_CAP + 1`` rows: ``(count, more than the cap)``."""
    counted = queryset.order_by().values("pk")[: COUNT_CAP + 1].count()
    return min(counted, COUNT_CAP), counted > COUNT_CAP
