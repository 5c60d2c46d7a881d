"""Evaluation reports (中期/终期评估): one data structure rendered as page, PDF and Excel.

The "publish" version holds aggregates only, with small-number suppression: a count of
1–4 is shown as "<5" and a ratio whose denominator is 1–4 is withheld.
"""

from __future__ import annotations

import io
from dataclasses import dataclass, field
from decimal import Decimal
from html import escape
from typing import Any

from django.http import HttpRequest, HttpResponse
from django.template.loader import render_to_string
from django.utils import timezone

from dpf.core import audit
from dpf.core.models import Region, RegionLevel
from dpf.indicators.compute import CITY
from dpf.indicators.models import (
    EvaluationReport,
    Indicator,
    Plan,
    Snapshot,
    SnapshotRun,
    Status,
)
from dpf.indicators.selectors import SUPPRESS_BELOW

STATUS_SYMBOL = {
    Status.ACHIEVED: "✔",
    Status.ON_TRACK: "→",
    Status.AT_RISK: "!",
    Status.NOT_ACHIEVED: "✘",
    Status.NO_DATA: "–",
}


@dataclass
class Cell:
    region: Region
    value: str
    numerator: str
    denominator: str
    status: str
    status_label: str
    symbol: str


@dataclass
class ReportRow:
    indicator: Indicator
    city: Cell
    counties: list[Cell]
    trend: list[tuple[str, str]]  # (as_of, value) at each year end available


@dataclass
class ReportData:
    plan: Plan
    run: SnapshotRun
    publish: bool
    title: str
    analysis: str
    rows: list[ReportRow] = field(default_factory=list)
    counties: list[Region] = field(default_factory=list)
    generated_at: Any = None

    @property
    def achieved(self) -> int:
        return sum(1 for r in self.rows if r.city.status == Status.ACHIEVED)


def _fmt(value: Decimal | None, unit: str = "") -> str:
    if value is None:
        return "—"
    if value == value.to_integral_value():
        return f"{int(value):,}"
    return f"{value:.2f}".rstrip("0").rstrip(".") if unit != "%" else f"{value:.1f}"


def _count(value: Decimal | None, publish: bool) -> str:
    if value is None:
        return "—"
    if publish and 0 < value < SUPPRESS_BELOW:
        return f"<{SUPPRESS_BELOW}"
    return _fmt(value)


def _cell(snapshot: Snapshot | None, region: Region, indicator: Indicator, publish: bool) -> Cell:
    if snapshot is None:
        return Cell(region, "—", "—", "—", Status.NO_DATA, str(Status.NO_DATA.label), "–")
    value = _fmt(snapshot.value, indicator.unit)
    small_den = snapshot.denominator is not None and 0 < snapshot.denominator < SUPPRESS_BELOW
    small_count = (
        not indicator.denominator
        and snapshot.numerator is not None
        and 0 < snapshot.numerator < SUPPRESS_BELOW
    )
    if publish and (small_den or small_count):
        value = f"<{SUPPRESS_BELOW}" if small_count else "（不公开）"
    status = Status(snapshot.status)
    return Cell(
        region=region,
        value=value,
        numerator=_count(snapshot.numerator, publish),
        denominator=_count(snapshot.denominator, publish),
        status=status.value,
        status_label=str(status.label),
        symbol=STATUS_SYMBOL[status],
    )


def build(plan: Plan, run: SnapshotRun, *, publish: bool) -> ReportData:
    counties = list(
        Region.objects.filter(level=RegionLevel.COUNTY, parent_id=CITY).order_by("code")
    )
    city = Region.objects.get(code=CITY)
    codes = [CITY] + [c.code for c in counties]
    snaps: dict[tuple[int, str], Snapshot] = {
        (s.indicator_id, s.region_code): s
        for s in Snapshot.objects.filter(run=run, region_code__in=codes)
    }
    year_ends = (
        Snapshot.objects.filter(
            indicator__plan=plan,
            region_code=CITY,
            as_of__month=12,
            as_of__day=31,
            as_of__lte=run.as_of,
        )
        .order_by("as_of")
        .values_list("indicator_id", "as_of", "value")
    )
    trends: dict[int, list[tuple[str, str]]] = {}
    for ind_id, as_of, value in year_ends:
        trends.setdefault(ind_id, []).append((str(as_of.year), _fmt(value)))
    stored = EvaluationReport.objects.filter(plan=plan, as_of=run.as_of).first()
    kind = (
        "终期评估"
        if run.as_of >= plan.end
        else ("中期评估" if plan.mid_term and run.as_of >= plan.mid_term else "监测")
    )
    data = ReportData(
        plan=plan,
        run=run,
        publish=publish,
        title=f"{plan.name_zh}{kind}报告（截至{run.as_of:%Y年%m月%d日}）",
        analysis=stored.analysis if stored else "",
        counties=counties,
        generated_at=timezone.localtime(),
    )
    for ind in plan.indicators.order_by("order", "code"):
        data.rows.append(
            ReportRow(
                indicator=ind,
                city=_cell(snaps.get((ind.pk, CITY)), city, ind, publish),
                counties=[_cell(snaps.get((ind.pk, c.code)), c, ind, publish) for c in counties],
                trend=trends.get(ind.pk, []),
            )
        )
    return data


def save_analysis(*, actor: Any, plan: Plan, as_of: Any, analysis: str) -> EvaluationReport:
    report, _ = EvaluationReport.objects.get_or_create(
        plan=plan, as_of=as_of, defaults={"title": f"{plan.name_zh} {as_of}"}
    )
    report.analysis = analysis
    report.updated_by = actor
    report.save(update_fields=["analysis", "updated_by", "updated_at"])
    audit.record(actor=actor, action="change", object_type="evaluation_report", object_id=report.pk)
    return report


def chart_data(indicator: Indicator, children: list[Any], trend: list[Snapshot]) -> dict[str, Any]:
    """Data for the ECharts bar and line charts (the tables beside them hold the same)."""
    return {
        "title": indicator.name_zh,
        "unit": indicator.unit,
        "target": float(indicator.target),
        "regions": [r.name for r, _s in children],
        "values": [float(s.value) if s and s.value is not None else None for _r, s in children],
        "trend_dates": [str(s.as_of) for s in trend],
        "trend_values": [float(s.value) if s.value is not None else None for s in trend],
    }


def bar_svg(row: ReportRow) -> str:
    """A plain SVG bar chart of the counties for the PDF (no JavaScript there)."""
    values: list[float] = []
    for cell in row.counties:
        try:
            values.append(float(cell.value.replace(",", "")))
        except ValueError:
            values.append(0.0)
    top = max([*values, float(row.indicator.target), 1.0])
    bar_h, gap, label_w, width = 14, 4, 90, 420
    height = len(values) * (bar_h + gap) + 10
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{width + label_w + 60}" '
        f'height="{height}" role="img" aria-label="{escape(row.indicator.name_zh)}">'
    ]
    for i, (cell, v) in enumerate(zip(row.counties, values, strict=True)):
        y = i * (bar_h + gap) + 5
        w = int(width * v / top)
        parts.append(
            f'<text x="0" y="{y + 11}" font-size="10">{escape(cell.region.name)}</text>'
            f'<rect x="{label_w}" y="{y}" width="{w}" height="{bar_h}" fill="#1f5f99"/>'
            f'<text x="{label_w + w + 4}" y="{y + 11}" font-size="10">'
            f"{escape(cell.value)} {cell.symbol}</text>"
        )
    tx = label_w + int(width * float(row.indicator.target) / top)
    parts.append(
        f'<line x1="{tx}" y1="0" x2="{tx}" y2="{height}" stroke="#b00" stroke-dasharray="4 2"/>'
    )
    parts.append("</svg>")
    return "".join(parts)


def pdf_response(request: HttpRequest, data: ReportData) -> HttpResponse:
    from weasyprint import HTML  # heavy import: only when a PDF is asked for

    html = render_to_string(
        "indicators/report_pdf.html",
        {"data": data, "charts": {r.indicator.code: bar_svg(r) for r in data.rows}},
        request=request,
    )
    pdf = HTML(string=html, base_url=request.build_absolute_uri("/")).write_pdf()
    response = HttpResponse(pdf, content_type="application/pdf")
    name = f"evaluation-{data.plan.code}-{data.run.as_of}{'-publish' if data.publish else ''}.pdf"
    response["Content-Disposition"] = f'attachment; filename="{name}"'
    return response


def xlsx_response(data: ReportData) -> HttpResponse:
    from openpyxl import Workbook
    from openpyxl.styles import Font

    wb = Workbook()
    ws = wb.active
    ws.title = "全市 City"
    ws.append([data.title])
    ws["A1"].font = Font(bold=True, size=14)
    ws.append(["生成时间 Generated", str(data.generated_at)])
    ws.append([])
    header = [
        "代码 Code",
        "指标 Indicator",
        "单位 Unit",
        "目标 Target",
        "数值 Value",
        "分子 Numerator",
        "分母 Denominator",
        "状态 Status",
    ]
    ws.append(header)
    for cell in ws[ws.max_row]:
        cell.font = Font(bold=True)
    for row in data.rows:
        ind = row.indicator
        ws.append(
            [
                ind.code,
                ind.name_zh,
                ind.unit,
                f"{ind.get_comparison_display()} {_fmt(ind.target)}",
                row.city.value,
                row.city.numerator,
                row.city.denominator,
                row.city.status_label,
            ]
        )
    ws.freeze_panes = "A5"
    by_county = wb.create_sheet("分旗县区 By county")
    by_county.append(["代码 Code", "指标 Indicator", *[c.name for c in data.counties]])
    for row in data.rows:
        by_county.append(
            [
                row.indicator.code,
                row.indicator.name_zh,
                *[f"{c.value} {c.symbol}" for c in row.counties],
            ]
        )
    by_county.freeze_panes = "C2"
    if data.analysis and not data.publish:
        notes = wb.create_sheet("评估分析 Analysis")
        for line in data.analysis.splitlines():
            notes.append([line])
    for sheet in wb.worksheets:
        for row_cells in sheet.iter_rows():
            for c in row_cells:
                if isinstance(c.value, str) and c.value[:1] in ("=", "+", "-", "@"):
                    c.value = "'" + c.value
    buf = io.BytesIO()
    wb.save(buf)
    response = HttpResponse(
        buf.getvalue(),
        content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    )
    name = f"evaluation-{data.plan.code}-{data.run.as_of}{'-publish' if data.publish else ''}.xlsx"
    response["Content-Disposition"] = f'attachment; filename="{name}"'
    return response
