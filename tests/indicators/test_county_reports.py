"""A county officer's dashboard and evaluation report open on their county; the report
can be produced for each county as page, PDF and Excel (issue 17 part 7)."""

from __future__ import annotations

import datetime as dt
import io

import pytest
from django.test import Client
from django.urls import reverse
from openpyxl import load_workbook

from tests.factories import make_user, report_download
from tests.indicators.conftest import AS_OF

pytestmark = pytest.mark.django_db

DAY = AS_OF.isoformat()


def _client(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def test_a_county_officers_default_dashboard_shows_their_county(figures, county_officer) -> None:
    assert county_officer.region_id.startswith("150402")
    response = _client(county_officer).get(reverse("indicators:dashboard"))
    assert response.status_code == 200
    assert response.context["region"].code == "150402"
    html = response.content.decode()
    assert "<h1>指标监测 · 红山区</h1>" in html
    assert "region=150402" in html  # the report link keeps the county


def test_a_county_officers_default_report_is_their_county_with_its_townships(
    figures, county_officer
) -> None:
    response = _client(county_officer).get(reverse("indicators:report") + f"?as_of={DAY}")
    assert response.status_code == 200
    data = response.context["data"]
    assert data.region.code == "150402"
    assert "红山区" in data.title
    assert [r.code for r in data.counties] == ["150402001", "150402002", "150402003"]
    html = response.content.decode()
    assert "红山区指标完成情况" in html
    assert "松山区" not in html
    assert "元宝山区" not in html
    assert "分苏木乡镇街道" in html
    assert "评估分析" not in html  # the city's analysis is on the city's report


def test_the_county_report_downloads_carry_the_county(figures, county_officer) -> None:
    client = _client(county_officer)
    xlsx = report_download(client, as_of=DAY, region="150402", format="xlsx")
    assert xlsx.status_code == 200
    assert "150402" in xlsx["Content-Disposition"]
    book = load_workbook(io.BytesIO(xlsx.content))
    assert book.sheetnames[:2] == ["本地区 Region", "分乡镇 By township"]
    assert "红山区" in str(book["本地区 Region"]["A1"].value)
    pdf = report_download(client, as_of=DAY, region="150402", format="pdf")
    assert pdf.status_code == 200
    assert pdf.content.startswith(b"%PDF")
    assert "150402" in pdf["Content-Disposition"]


def test_the_city_admin_produces_the_report_of_any_county(figures, city_admin) -> None:
    client = _client(city_admin)
    city = client.get(reverse("indicators:report") + f"?as_of={DAY}")
    assert city.context["data"].region.code == "150400"
    assert f"as_of={DAY}&amp;region=150404" in city.content.decode()  # each county's report
    county = client.get(reverse("indicators:report") + f"?as_of={DAY}&region=150404")
    assert county.status_code == 200
    assert county.context["data"].region.code == "150404"
    assert [r.code for r in county.context["data"].counties] == ["150404002"]


def test_another_countys_report_is_refused(figures, county_officer) -> None:
    response = report_download(_client(county_officer), as_of=DAY, region="150404", format="xlsx")
    assert response.status_code == 404


def test_a_viewers_report_stays_the_citys(figures) -> None:
    viewer = make_user("viewer", "150400")
    response = _client(viewer).get(reverse("indicators:report") + f"?as_of={DAY}")
    assert response.context["data"].region.code == "150400"


def _certified(actor, village: str, name: str):
    from dpf.registry import services as registry
    from tests.factories import make_person

    person = make_person(actor=actor, name=name, village_code=village)
    start = dt.date(2024, 1, 1)
    registry.certificate_issue(
        actor=actor,
        person=person,
        category=4,
        level=2,
        issue_date=start,
        valid_from=start,
        expires_on=dt.date(2030, 12, 31),
    )
    return person


def test_the_drill_down_of_a_township_reaches_its_villages(figures, city_admin) -> None:
    _certified(city_admin, "150402001001", "王一")
    _certified(city_admin, "150402001001", "王二")
    _certified(city_admin, "150402001002", "李三")
    client = _client(city_admin)
    url = (
        reverse("indicators:drilldown", args=["I07"])
        + f"?as_of={DAY}&region=150402001&part=denominator"
    )
    page = client.get(url)
    assert page.status_code == 200
    assert [(v.code, n) for v, n in page.context["villages"]] == [
        ("150402001001", 2),
        ("150402001002", 1),
    ]
    html = page.content.decode()
    assert "&amp;village=150402001002" in html
    one = client.get(url + "&village=150402001002")
    assert [p.name for p in one.context["page"]] == ["李三"]
    assert one.context["village"].name in one.content.decode()
    # A village of another township is not found.
    assert client.get(url + "&village=150404002001").status_code == 404
