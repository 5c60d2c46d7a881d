"""Figures rounded for display (98.8, not 98.8399) on every page and in the PDF's chart;
the Excel report holds numbers with number formats, not text (issue 17 part 7)."""

from __future__ import annotations

import io
from decimal import Decimal

import pytest
from django.test import Client
from django.urls import reverse
from openpyxl import load_workbook

from dpf.core.spreadsheets import append_row, number_format
from dpf.indicators.display import excel_format, excel_value, figure_text, rounded
from tests.factories import report_download
from tests.indicators.conftest import AS_OF, I08

pytestmark = pytest.mark.django_db

DAY = AS_OF.isoformat()


@pytest.mark.parametrize(
    ("value", "unit", "shown"),
    [
        ("98.8399", "%", "98.8"),
        ("98.85", "%", "98.9"),  # half up, not to even
        ("100.0000", "%", "100"),
        ("12345", "人", "12,345"),
        ("2.5000", "个", "2.5"),
        ("1234.567", "个", "1,234.57"),
    ],
)
def test_a_figure_is_rounded_for_display(value: str, unit: str, shown: str) -> None:
    assert figure_text(Decimal(value), unit) == shown


def test_no_figure_is_a_dash_and_the_stored_precision_is_untouched() -> None:
    assert figure_text(None) == "—"
    value = Decimal("98.8399")
    assert rounded(value, "%") == Decimal("98.8")
    assert value == Decimal("98.8399")


def test_a_rate_goes_to_a_workbook_as_its_fraction_formatted_as_a_percentage() -> None:
    assert excel_value(Decimal("98.8399"), "%") == pytest.approx(0.988399)
    assert excel_format(Decimal("98.8399"), "%") == "0.0%"
    assert excel_format(Decimal("12345"), "人") == "#,##0"
    assert excel_format(Decimal("2.5"), "个") == "#,##0.00"


def test_append_row_formats_numbers_only() -> None:
    from openpyxl import Workbook

    sheet = Workbook().active
    append_row(
        sheet, ["I08", Decimal("0.5"), "少于5", 7], {1: "0.0%", 2: "0.0%", 3: number_format()}
    )
    a, b, c, d = sheet[1]
    assert (a.data_type, b.data_type, c.data_type, d.data_type) == ("s", "n", "s", "n")
    assert (b.number_format, c.number_format, d.number_format) == ("0.0%", "General", "#,##0")


def _dashboard_rate(html: str, code: str) -> str:
    row = html[html.index(f"<td>{code}</td>") :]
    return row[: row.index("</tr>")]


def test_the_dashboard_and_the_indicator_page_show_rates_to_one_decimal(
    figures, city_admin
) -> None:
    client = Client()
    client.force_login(city_admin)
    n, d = I08["150400"]  # 74 of 494: 14.9797... %
    expected = figure_text(Decimal(n) / Decimal(d) * 100, "%")
    assert expected == "15.0"
    dashboard = client.get(reverse("indicators:dashboard") + f"?as_of={DAY}").content.decode()
    assert f"{expected} %" in _dashboard_rate(dashboard, "I08")
    assert "14.98" not in dashboard
    detail = client.get(reverse("indicators:indicator", args=["I08"]) + f"?as_of={DAY}")
    html = detail.content.decode()
    n, d = I08["150402"]  # 71 of 91: 78.0219... %
    assert "78.0 %" in html
    assert "78.02" not in html
    assert 78.0 in detail.context["chart"]["values"]  # the chart's labels are rounded too


def test_the_excel_report_holds_numbers_with_number_formats(figures, city_admin) -> None:
    client = Client()
    client.force_login(city_admin)
    response = report_download(client, as_of=DAY, format="xlsx")
    book = load_workbook(io.BytesIO(response.content))
    city = book["全市 City"]
    header = [c.value for c in city[4]]
    row = next(r for r in city.iter_rows(min_row=5) if r[0].value == "I08")
    value = row[header.index("数值 Value")]
    numerator = row[header.index("分子 Numerator")]
    target = row[header.index("目标 Target")]
    n, d = I08["150400"]
    assert value.data_type == "n"
    assert value.value == pytest.approx(n / d, abs=1e-6)
    assert value.number_format == "0.0%"
    assert numerator.data_type == "n"
    assert numerator.value == n
    assert numerator.number_format == "#,##0"
    assert target.data_type == "n"
    assert target.number_format == "0.0%"
    by_county = book["分旗县区 By county"]
    names = [c.value for c in by_county[1]]
    i08 = next(r for r in by_county.iter_rows(min_row=2) if r[0].value == "I08")
    hongshan = i08[names.index("红山区")]
    n, d = I08["150402"]
    assert hongshan.data_type == "n"
    assert hongshan.value == pytest.approx(n / d, abs=1e-6)
    assert hongshan.number_format == "0.0%"
    i11 = next(r for r in by_county.iter_rows(min_row=2) if r[0].value == "I11")
    assert i11[names.index("红山区")].data_type == "n"
    assert i11[names.index("红山区")].number_format == "#,##0"
    status = book["分旗县区状态 Status by county"]
    assert any(c.value == "存在风险" for r in status.iter_rows() for c in r)


def test_the_trend_is_a_table_beside_the_chart_with_the_same_rounded_figures(
    figures, county_officer
) -> None:
    """Every monthly snapshot of the region is a row of the trend table; the chart's line
    holds the same dates and the same rounded values (nothing only in the chart)."""
    client = Client()
    client.force_login(county_officer)  # 红山区: the page opens on the county
    response = client.get(reverse("indicators:indicator", args=["I08"]) + f"?as_of={DAY}")
    html = response.content.decode()
    chart = response.context["chart"]
    assert chart["trend_dates"] == ["2025-11-30", "2025-12-31"]
    table = html[html.index('id="trend-h"') :]
    table = table[table.index("<tbody>") : table.index("</tbody>")]
    n, d = I08["150402"]
    shown = figure_text(Decimal(n) / Decimal(d) * 100, "%")
    for day, value in zip(chart["trend_dates"], chart["trend_values"], strict=True):
        assert f'<th scope="row">{day}</th>' in table
        assert value == float(shown)
    assert table.count(f"{shown} %") == 2
    assert table.count(f'<td class="num">{n}</td>') == 2  # the numerator beside it


def test_the_hand_entered_values_are_shown_rounded(regions, city_admin) -> None:
    from dpf.indicators.models import Indicator, ManualValue

    indicator = Indicator.objects.filter(plan__code="P14", unit="%").first()
    assert indicator is not None
    ManualValue.objects.create(
        indicator=indicator,
        region_code="150400",
        year=2025,
        value=Decimal("98.84"),
        source="统计年鉴",
        entered_by=city_admin,
    )
    client = Client()
    client.force_login(city_admin)
    html = client.get(reverse("indicators:manual")).content.decode()
    assert '<td class="num">98.8</td>' in html
    assert "98.84" not in html
