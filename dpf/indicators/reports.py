"""Evaluation reports (中期/终期评估): one data structure rendered as page, PDF and Excel.

Every figure goes through small-cell suppression (``dpf.indicators.disclosure``) for the
report's audience: the published version ("publish", a public document) for nobody
entitled, so every small count of every region is "少于5" and what would let it be worked
out is "不公开"; the internal version for its user, exact only where they are entitled
to the persons behind a figure (a city admin: everywhere).
"""

from __future__ import annotations

import datetime as dt
import io
from dataclasses import dataclass, field
from decimal import Decimal
from html import escape
from typing import Any

from django.db.models import Q
from django.template.loader import render_to_string
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from dpf.accounts.models import User
from dpf.accounts.permissions import Scope, require_permission, scope_of
from dpf.core import audit
from dpf.core.inputs import refuse
from dpf.core.models import Region, RegionLevel
from dpf.core.regions import counties, display_names, root_code
from dpf.core.spreadsheets import append_row, neutralise_workbook, number_format
from dpf.indicators import selectors
from dpf.indicators.disclosure import WITHHELD, Audience, Figure, audience_for, explanation
from dpf.indicators.disclosure import Cell as DisclosedCell
from dpf.indicators.display import excel_format, excel_value, figure_text, rounded
from dpf.indicators.models import (
    EvaluationReport,
    Indicator,
    Plan,
    Snapshot,
    SnapshotRun,
    Status,
)
from dpf.jobs import outputs
from dpf.jobs.models import ACTIVE, Job, JobStatus
from dpf.jobs.services import job_start

STATUS_SYMBOL = {
    Status.ACHIEVED: "✔",
    Status.ON_TRACK: "→",
    Status.AT_RISK: "!",
    Status.NOT_ACHIEVED: "✘",
    Status.NO_DATA: "–",
    Status.NO_TARGET: "·",
}


@dataclass
class Cell:
    region: Region
    value: str  # as shown, rounded (``display.figure_text``) or the hidden figure's label
    numerator: str
    denominator: str
    status: str
    status_label: str
    symbol: str
    # The same as the workbook holds them: the number (full precision) or the label.
    numbers: tuple[Decimal | str | None, ...] = (None, None, None)


@dataclass
class ReportRow:
    indicator: Indicator
    city: Cell  # the report's region (the city, or the county of a county's report)
    counties: list[Cell]  # each region one level below
    trend: list[tuple[str, str]]  # (as_of, value) at each year end available


@dataclass
class ReportData:
    plan: Plan
    run: SnapshotRun
    publish: bool
    title: str
    analysis: str
    region: Region | None = None  # the report's region: the city, or a county
    rows: list[ReportRow] = field(default_factory=list)
    # The regions one level below ``region``: the counties of the city, a county's townships.
    counties: list[Region] = field(default_factory=list)
    generated_at: Any = None
    suppressed: bool = False  # some figure is hidden: the report carries the explanation
    explanation: str = ""

    @property
    def achieved(self) -> int:
        return sum(1 for r in self.rows if r.city.status == Status.ACHIEVED)


def _text(figure: Figure, unit: str = "") -> str:
    if figure.hidden:
        return figure.label
    return figure_text(figure.number, unit)


def _number(figure: Figure) -> Decimal | str | None:
    """What a workbook cell holds: the number, or the label of a hidden figure."""
    return figure.label if figure.hidden else figure.number


def _cell(cell: DisclosedCell | None, region: Region, indicator: Indicator) -> Cell:
    if cell is None:
        return Cell(region, "—", "—", "—", Status.NO_DATA, str(Status.NO_DATA.label), "–")
    if cell.status == WITHHELD:
        status, label, symbol = WITHHELD, _("不公开"), ""
    else:
        status = cell.status
        label, symbol = str(Status(status).label), STATUS_SYMBOL[Status(status)]
    return Cell(
        region=region,
        value=_text(cell.value, indicator.unit),
        numerator=_text(cell.numerator),
        denominator=_text(cell.denominator),
        status=status,
        status_label=label,
        symbol=symbol,
        numbers=(_number(cell.value), _number(cell.numerator), _number(cell.denominator)),
    )


def build(
    plan: Plan, run: SnapshotRun, audience: Audience, region: Region | None = None
) -> ReportData:
    """The report of ``run`` for ``region`` (the city by default: a county's report holds
    the county and its townships) as ``audience`` reads it: the published version is read
    by the public audience (nobody entitled); the internal one by its user, exact only
    where they are entitled to the persons behind the figures."""
    city_code = root_code()
    top = region if region is not None else Region.objects.get(code=city_code)
    if top.code == city_code:
        county_list = list(counties())
    else:
        county_list = list(
            Region.objects.filter(parent=top, level=RegionLevel.TOWNSHIP).order_by("code")
        )
    city = top
    codes = [top.code] + [c.code for c in county_list]
    indicators = list(plan.indicators.order_by("order", "code"))
    units = {i.pk: i.unit for i in indicators}
    year_end = Q(as_of__month=12, as_of__day=31, as_of__lte=run.as_of)
    cells = selectors.disclosed_cells(
        Snapshot.objects.filter(indicator__plan=plan).filter(Q(run=run) | year_end),
        selectors.Shown(run.as_of, frozenset(codes), always=frozenset({top.code})),
        top.code,
        {i.pk: i for i in indicators},
        audience,
    )
    trends: dict[int, list[tuple[str, str]]] = {}
    for (as_of, ind_id, code), cell in sorted(cells.items(), key=lambda item: item[0][0]):
        if code == top.code and year_end_of(as_of):
            trends.setdefault(ind_id, []).append(
                (str(as_of.year), _text(cell.value, units[ind_id]))
            )
    stored = EvaluationReport.objects.filter(plan=plan, as_of=run.as_of).first()
    kind = (
        "终期评估"
        if run.as_of >= plan.end
        else ("中期评估" if plan.mid_term and run.as_of >= plan.mid_term else "监测")
    )
    data = ReportData(
        plan=plan,
        run=run,
        publish=audience.public,
        title=f"{plan.name_zh}{kind}报告（{'' if top.code == city_code else top.name + '，'}"
        f"截至{run.as_of:%Y年%m月%d日}）",
        region=top,
        analysis=stored.analysis if stored else "",
        counties=county_list,
        generated_at=timezone.localtime(),
    )
    data.suppressed = any(cell.hidden for cell in cells.values())
    data.explanation = explanation()
    for ind in indicators:
        data.rows.append(
            ReportRow(
                indicator=ind,
                city=_cell(cells.get((run.as_of, ind.pk, top.code)), city, ind),
                counties=[
                    _cell(cells.get((run.as_of, ind.pk, c.code)), c, ind) for c in county_list
                ],
                trend=trends.get(ind.pk, []),
            )
        )
    return data


def year_end_of(day: dt.date) -> bool:
    return day.month == 12 and day.day == 31


def save_analysis(*, actor: User | None, plan: Plan, as_of: Any, analysis: str) -> EvaluationReport:
    require_permission(actor, "change", "evaluation_report", plan.code)
    report, _created = EvaluationReport.objects.get_or_create(
        plan=plan, as_of=as_of, defaults={"title": f"{plan.name_zh} {as_of}"}
    )
    report.analysis = analysis
    report.updated_by = actor
    report.save(update_fields=["analysis", "updated_by", "updated_at"])
    audit.record(actor=actor, action="change", object_type="evaluation_report", object_id=report.pk)
    return report


def chart_data(
    indicator: Indicator,
    children: list[tuple[Region, DisclosedCell | None]],
    trend: list[DisclosedCell],
) -> dict[str, Any]:
    """Data for the ECharts bar and line charts (the tables beside them hold the same): a
    suppressed value is left out (``null``), never sent to the browser."""

    def number(cell: DisclosedCell | None) -> float | None:
        shown = rounded(cell.value.shown, indicator.unit) if cell is not None else None
        return float(shown) if shown is not None else None

    return {
        "title": indicator.name_zh,
        "unit": indicator.unit,
        "target": float(indicator.target),
        "regions": [r.name for r, _cell in children],
        "values": [number(cell) for _r, cell in children],
        "trend_dates": [str(cell.as_of) for cell in trend],
        "trend_values": [number(cell) for cell in trend],
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


def _file_stem(data: ReportData) -> str:
    region = f"-{data.region.code}" if data.region is not None else ""
    return (
        f"evaluation-{data.plan.code}{region}-{data.run.as_of}{'-publish' if data.publish else ''}"
    )


PDF = "application/pdf"
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def file_name(data: ReportData, fmt: str) -> str:
    return f"{_file_stem(data)}.{fmt}"


def pdf_bytes(data: ReportData) -> bytes:
    """The report as a PDF (in the active language; the PDF has no links or images to
    fetch: the charts are inline SVG)."""
    from weasyprint import HTML  # heavy import: only when a PDF is asked for

    html = render_to_string(
        "indicators/report_pdf.html",
        {"data": data, "charts": {r.indicator.code: bar_svg(r) for r in data.rows}},
    )
    return bytes(HTML(string=html).write_pdf() or b"")


def _decimal(value: Decimal | str | None) -> Decimal | None:
    return value if isinstance(value, Decimal) else None


def _workbook_value(value: Decimal | str | None, unit: str = "") -> float | str | None:
    """A figure as its workbook cell holds it: the number (a rate as its fraction, the
    cell's format shows 98.8%), or the label that stands for a hidden figure ("少于5")."""
    if isinstance(value, Decimal):
        return excel_value(value, unit)
    return value if value is not None else "—"


def xlsx_bytes(data: ReportData) -> bytes:
    """The report as a workbook: figures as numbers with number formats."""
    from openpyxl import Workbook
    from openpyxl.styles import Font

    wb = Workbook()
    ws = wb.active
    city_wide = data.region is None or data.region.level == RegionLevel.CITY
    ws.title = "全市 City" if city_wide else "本地区 Region"
    ws.append([data.title])
    ws["A1"].font = Font(bold=True, size=14)
    ws.append(["生成时间 Generated", str(data.generated_at)])
    ws.append([])
    header = [
        "代码 Code",
        "指标 Indicator",
        "单位 Unit",
        "比较 Comparison",
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
        value, numerator, denominator = row.city.numbers
        cells = [
            ind.code,
            ind.name_zh,
            ind.unit,
            ind.get_comparison_display(),
            _workbook_value(ind.target, ind.unit),
            _workbook_value(value, ind.unit),
            _workbook_value(numerator),
            _workbook_value(denominator),
            row.city.status_label,
        ]
        formats = {
            4: excel_format(ind.target, ind.unit),
            5: excel_format(_decimal(value), ind.unit),
            6: number_format(),
            7: number_format(),
        }
        append_row(ws, cells, formats)
    ws.freeze_panes = "A5"
    by_county = wb.create_sheet("分旗县区 By county" if city_wide else "分乡镇 By township")
    status_sheet = wb.create_sheet(
        "分旗县区状态 Status by county" if city_wide else "分乡镇状态 Status by township"
    )
    for sheet in (by_county, status_sheet):
        sheet.append(["代码 Code", "指标 Indicator", *[c.name for c in data.counties]])
        sheet.freeze_panes = "C2"
    for row in data.rows:
        ind = row.indicator
        values = [c.numbers[0] for c in row.counties]
        append_row(
            by_county,
            [ind.code, ind.name_zh, *[_workbook_value(v, ind.unit) for v in values]],
            {i + 2: excel_format(_decimal(v), ind.unit) for i, v in enumerate(values)},
        )
        status_sheet.append([ind.code, ind.name_zh, *[c.status_label for c in row.counties]])
    if data.suppressed:
        for sheet in (ws, by_county, status_sheet):
            sheet.append([])
            sheet.append(["说明 Note", data.explanation])
    if data.analysis and not data.publish:
        notes = wb.create_sheet("评估分析 Analysis")
        for line in data.analysis.splitlines():
            notes.append([line])
    neutralise_workbook(wb)
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


# The report's PDF and workbook as background jobs (dpf.jobs kind ``indicators.report``):
# laid out for every indicator and every county or township they take longer than a request
# should at a city's scale. The page starts the job; the file is offered on the report page
# to the user who asked for it (``dpf.jobs.outputs``).
REPORT_KIND = "indicators.report"
FORMATS = {"pdf": PDF, "xlsx": XLSX}


@dataclass(frozen=True)
class ReportRequest:
    """What a report file is made of; the job's params, checked when it is queued and again
    when it runs (as the user who asked: a scope withdrawn meanwhile refuses the job)."""

    plan: Plan
    run: SnapshotRun
    region: Region
    publish: bool
    fmt: str
    language: str

    def params(self) -> dict[str, Any]:
        return {
            "plan": self.plan.code,
            "as_of": str(self.run.as_of),
            "region": self.region.code,
            "publish": self.publish,
            "format": self.fmt,
            "language": self.language,
        }


def report_request(actor: Any, params: dict[str, Any]) -> ReportRequest:
    """The report ``params`` name, as ``actor`` may read it: a viewer reads the published
    version only; a region outside their scope is not found (audited); a date without a
    snapshot or a format other than PDF and Excel is refused."""
    require_permission(actor, "view", "evaluation_report")
    fmt = str(params.get("format", ""))
    if fmt not in FORMATS:
        raise refuse(
            "format", "文件格式须为PDF或Excel", "the format must be PDF or Excel", "format"
        )
    plan = selectors.plan_by_code(params.get("plan") or None, drafts=True)
    raw = str(params.get("as_of") or "")
    try:
        as_of = dt.date.fromisoformat(raw) if raw else None  # none: the newest, as the page
    except ValueError:
        raise refuse(
            "date", "统计日期无效（YYYY-MM-DD）", "the date is not valid (YYYY-MM-DD)", "as_of"
        ) from None
    run = selectors.run_for(plan, as_of)
    if run is None:
        raise refuse("no_snapshot", "该日期没有指标快照", "no snapshot on that date", "as_of")
    region = selectors.indicator_region(actor, params.get("region") or None)
    publish = bool(params.get("publish")) or (
        scope_of(actor, "view", "evaluation_report") == Scope.AGGREGATE
    )
    language = str(params.get("language") or "zh-hans")
    return ReportRequest(plan, run, region, publish, fmt, language)


def report_start(*, actor: User, params: dict[str, Any]) -> tuple[Job, bool]:
    """Queue one report file; a second start of the same file by the same user while the
    first runs joins it. What the job would refuse is refused here first."""
    wanted = report_request(actor, params).params()
    key = ":".join([REPORT_KIND, *(str(v) for v in wanted.values()), str(actor.pk)])
    return job_start(actor=actor, kind=REPORT_KIND, key=key, params=wanted)


def report_document(actor: Any, params: dict[str, Any]) -> tuple[str, str, bytes]:
    """The file (name, content type, content) of a report job, made as ``actor`` reads it."""
    wanted = report_request(actor, params)
    with translation.override(wanted.language):
        data = build(
            wanted.plan,
            wanted.run,
            audience_for(actor, publish=wanted.publish),
            wanted.region,
        )
        content = pdf_bytes(data) if wanted.fmt == "pdf" else xlsx_bytes(data)
    return file_name(data, wanted.fmt), FORMATS[wanted.fmt], content


def report_file(*, actor: User, job_id: int) -> tuple[str, str, bytes]:
    """A report file the user's job made (only theirs: another user's, an unfinished or an
    expired one is not found); the download is audited."""
    job, output = outputs.output_for(actor, job_id, kinds=(REPORT_KIND,), belongs=lambda j: True)
    data = outputs.read(output)
    audit.record(
        actor=actor,
        action="download",
        object_type="evaluation_report",
        object_id=job.params.get("region", ""),
        changes={"job": job_id, "file": output.filename},
    )
    return output.filename, output.content_type, data


@dataclass(frozen=True)
class ReportFile:
    """One of the user's report files, as the report page lists it."""

    job: Job
    label: str
    output: Any
    active: bool


def report_files(user: Any) -> list[ReportFile]:
    """The user's last ten report files (finished or not)."""
    jobs = outputs.recent_outputs(user, kinds=(REPORT_KIND,), belongs=lambda j: True)
    names = display_names({str(j.params.get("region", "")) for j in jobs})
    rows = []
    for job in jobs:
        p = job.params
        version = _("公开版") if p.get("publish") else _("内部版")
        fmt = "PDF" if p.get("format") == "pdf" else "Excel"
        region = names.get(str(p.get("region", "")), "")
        label = f"{fmt} · {region} · {p.get('as_of', '')} · {version}"
        done = job.status == JobStatus.DONE
        rows.append(
            ReportFile(
                job, label, getattr(job, "output", None) if done else None, job.status in ACTIVE
            )
        )
    return rows
