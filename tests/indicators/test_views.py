"""Indicator pages: dashboard and report read snapshots only; roles; downloads."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.urls import reverse

from dpf.indicators.models import Plan, Snapshot, SnapshotRun
from tests.factories import make_user, report_download

pytestmark = pytest.mark.django_db

AS_OF = dt.date(2025, 12, 31)


@pytest.fixture
def run(regions) -> SnapshotRun:
    """Snapshots written directly: the pages must only read them."""
    plan = Plan.objects.get(code="P14")
    run = SnapshotRun.objects.create(plan=plan, as_of=AS_OF, finished_at=dt.datetime.now(dt.UTC))
    rows = []
    for ind in plan.indicators.all():
        for code, level, num, den in [
            ("150400", "city", 930, 1000),
            ("150402", "county", 3, 4),
            ("150404", "county", 97, 100),
        ]:
            value = Decimal(num) / Decimal(den) * 100 if ind.denominator else Decimal(num)
            rows.append(
                Snapshot(
                    run=run,
                    indicator=ind,
                    as_of=AS_OF,
                    region_code=code,
                    region_level=level,
                    numerator=num,
                    denominator=den if ind.denominator else None,
                    value=value,
                    target=ind.target,
                    status="at_risk",
                )
            )
    Snapshot.objects.bulk_create(rows)
    return run


def test_dashboard_lists_every_indicator_with_status_text(client, city_admin, run) -> None:
    client.force_login(city_admin)
    response = client.get(reverse("indicators:dashboard"))
    assert response.status_code == 200
    html = response.content.decode()
    for code in [f"I{n:02d}" for n in range(1, 12)]:
        assert code in html
    assert "存在风险" in html  # the status is text, not colour alone


def test_dashboard_in_english_names_indicators_in_english(client, city_admin, run) -> None:
    plan = Plan.objects.get(code="P14")
    i07 = plan.indicators.get(code="I07")
    assert i07.name_en
    assert i07.name_en != i07.name_zh
    client.force_login(city_admin)
    chinese = client.get(reverse("indicators:dashboard")).content.decode()
    assert i07.name_zh in chinese
    client.cookies["django_language"] = "en"
    english = client.get(reverse("indicators:dashboard")).content.decode()
    assert i07.name_en in english
    assert i07.name_zh not in english
    assert plan.name_en in english


def test_dashboard_reads_a_fixed_number_of_queries(
    client, city_admin, run, django_assert_max_num_queries
) -> None:
    client.force_login(city_admin)
    # 15 with the city admin's latest recomputation job (one query, whatever the figures).
    with django_assert_max_num_queries(15):
        client.get(reverse("indicators:dashboard"))


def test_viewer_sees_aggregates_but_no_drilldown(client, run) -> None:
    viewer = make_user("viewer", "150400")
    client.force_login(viewer)
    html = client.get(reverse("indicators:dashboard")).content.decode()
    assert "/persons/" not in html
    response = client.get(reverse("indicators:drilldown", args=["I07"]) + "?part=numerator")
    assert response.status_code == 404


def test_indicator_page_has_table_beside_chart(client, county_officer, run) -> None:
    client.force_login(county_officer)
    response = client.get(reverse("indicators:indicator", args=["I07"]))
    html = response.content.decode()
    assert response.status_code == 200
    assert 'id="chart-bars"' in html
    assert "<table" in html
    assert 'id="chart-data"' in html


def test_report_publish_version_suppresses_small_counts(client, city_admin, run) -> None:
    client.force_login(city_admin)
    internal = client.get(reverse("indicators:report")).content.decode()
    published = client.get(reverse("indicators:report") + "?publish=1").content.decode()
    assert "不公开" in published  # 150402 has a denominator of 4: its rate is withheld
    assert "少于5" in published
    assert "不公开" not in internal
    assert "少于5" not in internal


def test_report_downloads(client, city_admin, run) -> None:
    client.force_login(city_admin)
    pdf = report_download(client, format="pdf")
    assert pdf.status_code == 200
    assert pdf.content.startswith(b"%PDF")
    xlsx = report_download(client, format="xlsx", publish="1")
    assert xlsx.status_code == 200
    assert xlsx.content[:2] == b"PK"


def test_analysis_is_saved_by_city_admin_only(client, city_admin, county_officer, run) -> None:
    client.force_login(county_officer)
    client.post(reverse("indicators:report"), {"analysis": "县级不可写"})
    client.force_login(city_admin)
    client.post(reverse("indicators:report"), {"analysis": "全市康复服务覆盖率接近目标。"})
    html = client.get(reverse("indicators:report") + "?publish=1").content.decode()
    assert "全市康复服务覆盖率接近目标。" in html
    assert "县级不可写" not in html


def test_anonymous_is_sent_to_login(client, run) -> None:
    response = client.get(reverse("indicators:dashboard"))
    assert response.status_code == 302
    assert "/accounts/login/" in response["Location"]


def test_report_workbook_neutralises_formulas_including_tab_and_return(
    client, city_admin, run
) -> None:
    """Analysis text reaches the workbook; a line a spreadsheet would run as a formula,
    including one led by a tab or a carriage return, arrives as text."""
    import io

    from openpyxl import load_workbook

    client.force_login(city_admin)
    lines = ['=HYPERLINK("http://x","y")', "\t=1+1", "@SUM(A1)", "正常文字"]
    client.post(reverse("indicators:report"), {"analysis": "\n".join(lines)})
    xlsx = report_download(client, format="xlsx")
    assert xlsx.status_code == 200
    sheet = load_workbook(io.BytesIO(xlsx.content))["评估分析 Analysis"]
    values = [row[0] for row in sheet.iter_rows(values_only=True)]
    assert "'\t=1+1" in values
    assert '\'=HYPERLINK("http://x","y")' in values
    assert "'@SUM(A1)" in values
    assert "正常文字" in values
