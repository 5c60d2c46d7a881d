"""Small-cell suppression (小数抑制): what an audience may see of the indicator figures.

A figure that counts persons (or their households, services, complaints) and lies between
1 and the threshold minus one (``DPF_SMALL_CELL_THRESHOLD``, default 5) is shown as "少于5"
to anyone not entitled to the persons behind it, and the rate and status derived from it
are withheld; so is a count whose complement within its population is that small (498 of
500 covered names the two who are not). So that a hidden figure cannot be worked out as a
total minus the others, every sum of the region tree (the city is the sum of its counties,
a county of its townships) left with exactly one hidden figure gets a second one withheld
("不公开", complementary suppression): the smallest sibling the audience is not entitled
to, else the total; repeated until no sum has exactly one.

Entitled to a region's persons is whoever's personal-data scope covers the whole region
(``dpf.accounts.scoping.region_persons_in_scope``): the officers of that region and above
see its figures exactly, and those exact figures count as known when complements are
chosen. Viewers, and everyone reading the published report, are entitled to nobody.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from decimal import Decimal
from typing import Any, NamedTuple

from django.conf import settings
from django.core import checks
from django.utils.translation import gettext as _

from dpf.accounts.scoping import region_persons_in_scope
from dpf.indicators.specs import counts_persons

SMALL = "small"  # the figure itself is small: shown as "少于5"
WITHHELD = "withheld"  # hidden to protect a small figure: shown as "不公开"
DEFAULT_THRESHOLD = 5
QUALITY_COUNTS = ("persons", "surveyed", "stale", "expiring")

Counts = Mapping[str, Decimal | int | None]  # quantity -> count, for one region
Primary = Callable[[Counts, int], dict[str, str]]


def threshold() -> int:
    """Counts from 1 up to this minus one are small (``DPF_SMALL_CELL_THRESHOLD``)."""
    return int(getattr(settings, "DPF_SMALL_CELL_THRESHOLD", DEFAULT_THRESHOLD))


def check_threshold(**_kwargs: Any) -> list[checks.CheckMessage]:
    """System check: a threshold below 2 would show single persons' counts."""
    value = getattr(settings, "DPF_SMALL_CELL_THRESHOLD", DEFAULT_THRESHOLD)
    if isinstance(value, bool) or not isinstance(value, int) or value < 2:
        return [
            checks.Error(
                "DPF_SMALL_CELL_THRESHOLD 须为不小于2的整数 / "
                "DPF_SMALL_CELL_THRESHOLD must be a whole number of at least 2",
                id="indicators.E001",
            )
        ]
    return []


@dataclass(frozen=True)
class Audience:
    """Who reads the figures: ``entitled(region_code)`` says whether they are entitled to
    every person behind that region's figures."""

    entitled: Callable[[str], bool]
    public: bool = False


PUBLIC = Audience(entitled=lambda _code: False, public=True)


def audience_for(user: Any, *, publish: bool = False) -> Audience:
    """The audience of a page: ``user``, or the public for the published version."""
    if publish:
        return PUBLIC
    return Audience(entitled=lambda code: region_persons_in_scope(user, code))


class Figure(NamedTuple):
    """One number as the audience sees it; ``hidden`` is "", ``SMALL`` or ``WITHHELD``.
    (Tuples: a page over five years of monthly runs builds thousands of them.)"""

    number: Decimal | None
    hidden: str = ""

    @property
    def shown(self) -> Decimal | None:
        """The number, or ``None`` when it is hidden (or absent)."""
        return None if self.hidden else self.number

    @property
    def label(self) -> str:
        """What stands in place of a hidden number ("" when it is shown)."""
        if self.hidden == SMALL:
            return _("少于%(n)d") % {"n": threshold()}
        if self.hidden == WITHHELD:
            return _("不公开")
        return ""


def explanation() -> str:
    """The note beside every table with a hidden figure."""
    limit = threshold()
    return _(
        "“少于%(n)d”：人数为1至%(m)d，为保护个人隐私不显示具体数字，由此计算的比例和状态"
        "也不显示。“不公开”：为防止由合计和其他数字推算出被隐藏的数字而不显示。"
        "您有权查看其人员名单的地区显示准确数字。"
    ) % {"n": limit, "m": limit - 1}


class SnapshotFigures(NamedTuple):
    """The columns of a stored snapshot that the pages show."""

    as_of: dt.date
    indicator_id: int
    region_code: str
    numerator: Decimal | None
    denominator: Decimal | None
    value: Decimal | None
    target: Decimal | None
    status: str


class Cell(NamedTuple):
    """An indicator's figures for one region on one date, as the audience sees them.
    ``status`` is a ``Status`` value, or ``WITHHELD`` when the value is hidden."""

    region_code: str
    as_of: dt.date
    numerator: Figure
    denominator: Figure
    value: Figure
    target: Decimal | None
    status: str

    @property
    def hidden(self) -> bool:
        return bool(self.numerator.hidden or self.denominator.hidden or self.value.hidden)


def _small(count: Decimal | int | None, limit: int) -> bool:
    return count is not None and 0 < count < limit


def primary_rate(counts: Counts, limit: int) -> dict[str, str]:
    """A rate's own small cells: a small population hides both counts; a small numerator,
    or a small remainder (population minus numerator), hides the numerator."""
    n, d = counts.get("n"), counts.get("d")
    if _small(d, limit):
        return {"n": SMALL, "d": SMALL}
    if _small(n, limit):
        return {"n": SMALL}
    if n is not None and d is not None and _small(d - n, limit):
        return {"n": WITHHELD}
    return {}


def primary_counts(counts: Counts, limit: int) -> dict[str, str]:
    """Plain counts: each small one is hidden."""
    return {q: SMALL for q, count in counts.items() if _small(count, limit)}


def suppress(  # noqa: C901
    table: Mapping[str, Counts],
    parent_of: Mapping[str, str | None],
    audience: Audience,
    primary: Primary = primary_counts,
) -> dict[str, dict[str, str]]:
    """The figures of one table (region code -> quantity -> count) that ``audience`` may not
    see, and why: region code -> quantity -> ``SMALL`` or ``WITHHELD``.

    ``parent_of`` is the region tree; a region's count is the sum of its children's. The
    table must hold every region of the tree the counts are shown for (a page showing one
    township still needs its siblings and the county to choose the complements).
    """
    limit = threshold()
    entitled = {code: audience.entitled(code) for code in table}
    hidden: dict[str, dict[str, str]] = {code: {} for code in table}
    for code, counts in table.items():
        if not entitled[code]:
            hidden[code].update(primary(counts, limit))
    children: dict[str, list[str]] = defaultdict(list)
    for code in sorted(table):
        parent = parent_of.get(code)
        if parent is not None and parent in table:
            children[parent].append(code)
    quantities = sorted({q for counts in table.values() for q in counts})
    changed = True
    while changed:
        changed = False
        for parent, kids in children.items():
            for q in quantities:
                if table[parent].get(q) is None:
                    continue  # no sum to solve
                unknown = [m for m in (parent, *kids) if q in hidden[m]]
                if len(unknown) != 1:
                    continue
                victim = _complement(table, hidden, entitled, parent, kids, q)
                if victim is not None:
                    hidden[victim][q] = WITHHELD
                    changed = True
    return {code: reasons for code, reasons in hidden.items() if reasons}


def _complement(
    table: Mapping[str, Counts],
    hidden: Mapping[str, Mapping[str, str]],
    entitled: Mapping[str, bool],
    parent: str,
    kids: list[str],
    q: str,
) -> str | None:
    """The second figure to withhold in a sum: the smallest sibling the audience does not
    know, else the total."""
    candidates = [
        (count, kid)
        for kid in kids
        if q not in hidden[kid] and not entitled[kid] and (count := table[kid].get(q)) is not None
    ]
    if candidates:
        return min(candidates)[1]
    if q not in hidden[parent] and not entitled[parent]:
        return parent
    return None


CellKey = tuple[dt.date, int, str]  # (as of, indicator id, region code)


def indicator_cells(
    rows: Iterable[SnapshotFigures],
    indicators: Mapping[int, Any],
    parent_of: Mapping[str, str | None],
    audience: Audience,
    keep: Callable[[CellKey], bool] | None = None,
) -> dict[CellKey, Cell]:
    """The rows ``keep`` selects (all by default) as cells the audience may see.

    Rows are grouped by date and indicator; each group is one table for ``suppress`` and
    must hold the whole region tree unless the audience is entitled to every region in it.
    """
    groups: dict[tuple[dt.date, int], dict[str, SnapshotFigures]] = defaultdict(dict)
    for row in rows:
        groups[(row.as_of, row.indicator_id)][row.region_code] = row
    cells: dict[CellKey, Cell] = {}
    for (as_of, indicator_id), by_region in groups.items():
        indicator = indicators[indicator_id]
        rate = bool(indicator.denominator)
        hidden: dict[str, dict[str, str]] = {}
        if counts_persons(indicator.numerator) or counts_persons(indicator.denominator):
            table: dict[str, Counts] = {
                code: ({"n": r.numerator, "d": r.denominator} if rate else {"n": r.numerator})
                for code, r in by_region.items()
            }
            hidden = suppress(table, parent_of, audience, primary_rate if rate else primary_counts)
        for code, row in by_region.items():
            key = (as_of, indicator_id, code)
            if keep is None or keep(key):
                cells[key] = _cell(row, hidden.get(code, {}), rate=rate)
    return cells


def _cell(row: SnapshotFigures, hidden: Mapping[str, str], *, rate: bool) -> Cell:
    numerator = Figure(row.numerator, hidden.get("n", ""))
    denominator = Figure(row.denominator, hidden.get("d", ""))
    if rate:
        value_hidden = WITHHELD if numerator.hidden or denominator.hidden else ""
    else:
        value_hidden = numerator.hidden  # a count's value is its numerator
    value = Figure(row.value, value_hidden)
    return Cell(
        region_code=row.region_code,
        as_of=row.as_of,
        numerator=numerator,
        denominator=denominator,
        value=value,
        target=row.target,
        status=WITHHELD if value.hidden else row.status,
    )


def quality_figures(
    quality: Mapping[str, Mapping[str, Any]],
    region_code: str,
    parent_of: Mapping[str, str | None],
    audience: Audience,
) -> dict[str, Figure] | None:
    """The data-quality counts of one region (``SnapshotRun.quality``), suppressed like the
    indicators; the survey share is withheld with either of its counts."""
    own = quality.get(region_code)
    if own is None:
        return None
    hidden: dict[str, str] = {}
    if not audience.entitled(region_code):
        table = {
            code: {q: counts.get(q) for q in QUALITY_COUNTS} for code, counts in quality.items()
        }
        hidden = suppress(table, parent_of, audience).get(region_code, {})
    figures = {q: Figure(_decimal(own.get(q)), hidden.get(q, "")) for q in QUALITY_COUNTS}
    share_hidden = WITHHELD if hidden.get("persons") or hidden.get("surveyed") else ""
    figures["surveyed_share"] = Figure(_decimal(own.get("surveyed_share")), share_hidden)
    return figures


def _decimal(value: Any) -> Decimal | None:
    return None if value is None else Decimal(str(value))
