"""The one rounding of indicator figures for display: pages, PDF, chart labels and the
number formats of the Excel report all take their decimals from here.

A rate (unit ``%``) shows one decimal (98.8, not 98.8399); a whole number shows no
decimals with thousands separators (12,345); any other figure at most two decimals.
The stored snapshot keeps its full precision; only what is shown is rounded.
"""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal

from dpf.core.spreadsheets import number_format

PERCENT = "%"
RATE_PLACES = 1
OTHER_PLACES = 2


def places(value: Decimal | None, unit: str = "") -> int:
    """Decimals shown for ``value`` of ``unit``."""
    if value is None or value == value.to_integral_value():
        return 0
    return RATE_PLACES if unit == PERCENT else OTHER_PLACES


def rounded(value: Decimal | None, unit: str = "") -> Decimal | None:
    """``value`` rounded as shown (half up: 98.85 → 98.9), for a chart or a workbook."""
    if value is None:
        return None
    step = Decimal(1).scaleb(-places(value, unit))
    return value.quantize(step, rounding=ROUND_HALF_UP)


def figure_text(value: Decimal | None, unit: str = "") -> str:
    """``value`` as a page shows it: "—" when there is none."""
    shown = rounded(value, unit)
    if shown is None:
        return "—"
    if unit != PERCENT and shown != shown.to_integral_value():
        shown = shown.normalize()  # 2.50 -> 2.5: the second decimal only when it says something
    return f"{shown:,}"


def excel_format(value: Decimal | None, unit: str = "") -> str:
    """The workbook's number format for ``value`` (``unit`` ``%``: a value in percent
    points, written as the fraction, shown as ``98.8%``)."""
    if unit == PERCENT:
        return number_format(RATE_PLACES, percent=True)
    return number_format(places(value, unit))


def excel_value(value: Decimal | None, unit: str = "") -> float | None:
    """``value`` as the workbook holds it: a rate as the fraction (98.84 → 0.9884)."""
    if value is None:
        return None
    return float(value / 100) if unit == PERCENT else float(value)
