"""Small-cell suppression: a small count is never shown to an audience not entitled to the
persons behind it — on the pages, in the chart data, in the Excel export — and cannot be
worked out from a total minus the other cells; officers of the region see it exactly.
"""

from __future__ import annotations

import io
import json
import re
from collections.abc import Mapping
from decimal import Decimal

import pytest
from django.test import Client, override_settings
from django.urls import reverse
from openpyxl import load_workbook

from dpf.indicators import disclosure, reports
from dpf.indicators.disclosure import (
    PUBLIC,
    SMALL,
    WITHHELD,
    Audience,
    primary_rate,
    suppress,
)
from tests.factories import make_user, report_download
from tests.indicators.conftest import AS_OF, I08

pytestmark = pytest.mark.django_db

DAY = AS_OF.isoformat()
ONE_OF_THREE = "33.3"  # I08 of 150402001 and 150404: 1 of 3 children in school, as shown
# (a rate one decimal, dpf.indicators.display; "33.33" would contain it)
ONE_OF_THREE_IN_REPORT = "33.3"  # the report gives a percentage one decimal

SONGSHAN = frozenset({"150404", "150404002"})  # what the officer of 150404 knows exactly
TREE = {
    "150400": None,
    "150402": "150400",
    "150402001": "150402",
    "150402002": "150402",
    "150402003": "150402",
    "150403": "150400",
    "150404": "150400",
    "150404002": "150404",
}


def _client(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def recoverable(
    table: Mapping[str, Mapping[str, Decimal | int | None]],
    hidden: Mapping[str, Mapping[str, str]],
    tree: Mapping[str, str | None],
    known: frozenset[str] = frozenset(),
) -> set[tuple[str, str]]:
    """What an attacker works out: every sum (a parent and its children) with exactly one
    unknown figure gives that figure; repeated until nothing more comes out."""
    unknown = {(code, q) for code, reasons in hidden.items() for q in reasons if code not in known}
    groups: dict[str, list[str]] = {}
    for code, parent in tree.items():
        if parent is not None and parent in table and code in table:
            groups.setdefault(parent, []).append(code)
    solved: set[tuple[str, str]] = set()
    quantities = {q for counts in table.values() for q in counts}
    progress = True
    while progress:
        progress = False
        for parent, kids in groups.items():
            for q in quantities:
                members = [(m, q) for m in (parent, *kids) if (m, q) in unknown - solved]
                if len(members) == 1:
                    solved.add(members[0])
                    progress = True
    return solved


# --- the rules, on tables -------------------------------------------------------------------


@pytest.mark.parametrize(
    ("n", "d", "expected"),
    [
        (1, 3, {"n": SMALL, "d": SMALL}),  # 1 of 3 disabled children
        (0, 3, {"n": SMALL, "d": SMALL}),  # "none of the 3" discloses as much
        (3, 1000, {"n": SMALL}),  # the rate would give the 3 back
        (997, 1000, {"n": WITHHELD}),  # ... and so would 997 of 1000 give the 3 left out
        (0, 100, {}),
        (50, 100, {}),
        (5, 5, {}),
    ],
)
def test_a_rates_own_small_cells(n, d, expected) -> None:
    assert primary_rate({"n": n, "d": d}, 5) == expected


def _i08_table() -> dict[str, dict[str, Decimal | int | None]]:
    return {code: {"n": n, "d": d} for code, (n, d) in I08.items()}


def test_one_small_township_gets_a_complement_so_total_minus_the_others_gives_nothing() -> None:
    table = _i08_table()
    hidden = suppress(table, TREE, PUBLIC, primary_rate)
    assert hidden["150402001"] == {"n": SMALL, "d": SMALL}
    # 红山区's numerator (71) is shown, so one more township's numerator is withheld: the
    # smallest of the others (30, 150402003).
    assert hidden["150402003"]["n"] == WITHHELD
    assert not recoverable(table, hidden, TREE)
    # Without the complements the attack works: 71 - 40 - 30 = 1.
    primary_only = {code: primary_rate(c, 5) for code, c in table.items()}
    assert ("150402001", "n") in recoverable(table, primary_only, TREE)


def test_complements_climb_and_descend_the_tree() -> None:
    """One small county beside one large one: the large county is withheld in the city's
    sum, and then one of its townships in the county's own sum."""
    tree = {"C": None, "A": "C", "B": "C", "a1": "A", "a2": "A", "b1": "B"}
    table: dict[str, dict[str, Decimal | int | None]] = {
        "C": {"n": 403},
        "A": {"n": 400},
        "B": {"n": 3},
        "a1": {"n": 150},
        "a2": {"n": 250},
        "b1": {"n": 3},
    }
    hidden = suppress(table, tree, PUBLIC)
    assert hidden["B"] == {"n": SMALL}
    assert hidden["b1"] == {"n": SMALL}
    assert hidden["A"] == {"n": WITHHELD}
    assert hidden["a1"] == {"n": WITHHELD}
    assert not recoverable(table, hidden, tree)


def test_an_entitled_users_exact_figures_count_as_known_when_complements_are_chosen() -> None:
    """The officer of 150404 knows its 1 of 3; the city's sum must still not give away
    another county's small figure."""
    officer_of_150404 = Audience(entitled=lambda code: code.startswith("150404"))
    table = _i08_table()
    hidden = suppress(table, TREE, officer_of_150404, primary_rate)
    assert "150404" not in hidden
    assert "150404002" not in hidden
    assert not recoverable(table, hidden, TREE, known=SONGSHAN)
    # Choosing complements as if 150404 were unknown would leave 150403's numerator open.
    as_public = suppress(table, TREE, PUBLIC, primary_rate)
    as_public = {c: r for c, r in as_public.items() if not c.startswith("150404")}
    assert ("150403", "n") in recoverable(table, as_public, TREE, known=SONGSHAN)


def test_the_threshold_is_a_setting() -> None:
    table = {"C": {"n": 107}, "A": {"n": 100}, "B": {"n": 7}}
    tree = {"C": None, "A": "C", "B": "C"}
    assert suppress(table, tree, PUBLIC) == {}
    with override_settings(DPF_SMALL_CELL_THRESHOLD=10):
        assert suppress(table, tree, PUBLIC) == {"B": {"n": SMALL}, "A": {"n": WITHHELD}}
        assert disclosure.Figure(Decimal(7), SMALL).label == "少于10"


@pytest.mark.parametrize("value", [1, 0, -3, "5", True, 2.5])
def test_a_threshold_that_would_show_single_persons_stops_the_checks(value) -> None:
    with override_settings(DPF_SMALL_CELL_THRESHOLD=value):
        errors = disclosure.check_threshold()
    assert [e.id for e in errors] == ["indicators.E001"]


def test_the_default_threshold_passes_the_checks() -> None:
    assert disclosure.check_threshold() == []


# --- the pages ------------------------------------------------------------------------------


def _row(html: str, name: str) -> str:
    """The table row whose header names ``name``."""
    match = re.search(rf"<tr>\s*<th scope=\"row\"><a [^>]*>{name}</a></th>(.*?)</tr>", html, re.S)
    assert match, name
    return match.group(1)


def _chart(html: str) -> dict:
    match = re.search(r'<script id="chart-data" type="application/json">(.*?)</script>', html)
    assert match
    return json.loads(match.group(1))


def test_a_viewer_sees_the_one_of_three_suppressed_on_the_page_and_in_the_chart(figures) -> None:
    viewer = make_user("viewer", "150400")
    html = (
        _client(viewer)
        .get(reverse("indicators:indicator", args=["I08"]) + f"?as_of={DAY}&region=150402")
        .content.decode()
    )
    small = _row(html, "测试街道一")
    assert "少于5" in small
    assert "不公开" in small
    assert ONE_OF_THREE not in small
    assert ">1<" not in small
    assert ">3<" not in small
    complement = _row(html, "测试街道三")  # 30 of 38: its numerator would give the 1 back
    assert "不公开" in complement
    assert ">30<" not in complement
    assert ONE_OF_THREE not in html
    assert "“少于5”" in html  # the explanation beside the table
    chart = _chart(html)
    townships = dict(zip(chart["regions"], chart["values"], strict=True))
    assert townships["测试街道一"] is None
    assert townships["测试街道三"] is None
    assert townships["测试街道二"] == 80.0
    assert 33.3333 not in chart["values"]
    # The township's own page: its trend (both months) is suppressed too.
    own = (
        _client(viewer)
        .get(reverse("indicators:indicator", args=["I08"]) + f"?as_of={DAY}&region=150402001")
        .content.decode()
    )
    assert ONE_OF_THREE not in own
    assert own.count("不公开") >= 2
    assert _chart(own)["trend_values"] == [None, None]


def test_the_officers_of_the_township_see_the_exact_figures(figures, county_officer) -> None:
    officer = make_user("township_officer", "150402001")
    dashboard = (
        _client(officer)
        .get(reverse("indicators:dashboard") + f"?as_of={DAY}&region=150402001")
        .content.decode()
    )
    assert ONE_OF_THREE in dashboard
    assert "少于5" not in dashboard
    assert "不公开" not in dashboard
    county_page = (
        _client(county_officer)
        .get(reverse("indicators:indicator", args=["I08"]) + f"?as_of={DAY}&region=150402")
        .content.decode()
    )
    assert ONE_OF_THREE in _row(county_page, "测试街道一")
    assert "少于5" not in county_page
    assert "不公开" not in county_page


def test_a_village_worker_sees_their_townships_small_cells_suppressed(
    figures, village_worker
) -> None:
    """Their village is part of the township: the other villages' persons are not theirs."""
    html = _client(village_worker).get(reverse("indicators:dashboard")).content.decode()
    assert "测试街道一" in html
    assert "少于5" in html
    assert ONE_OF_THREE not in html


def test_the_dashboard_suppresses_counts_of_persons_but_not_of_institutions(figures) -> None:
    viewer = make_user("viewer", "150400")
    html = (
        _client(viewer)
        .get(reverse("indicators:dashboard") + f"?as_of={DAY}&region=150404")
        .content.decode()
    )
    rows = {code: body for code, body in re.findall(r"<tr>\s*<td>(\w+)</td>(.*?)</tr>", html, re.S)}
    assert "少于5" in rows["I11"]
    assert ">2<" not in rows["I11"]
    assert "少于5" not in rows["T0306"]
    assert "2" in rows["T0306"]
    assert "不公开" in rows["I08"]
    assert ONE_OF_THREE not in rows["I08"]
    # Data quality beside the figures: 3 persons, 3 stale records, all small.
    quality = html[html.index('id="quality-h"') :]
    assert quality.count("少于5") >= 3
    assert "100.0%" not in quality


def _sheet_values(content: bytes) -> dict[str, list[list[object]]]:
    book = load_workbook(io.BytesIO(content))
    return {ws.title: [list(r) for r in ws.iter_rows(values_only=True)] for ws in book}


def _county_column(sheets: dict[str, list[list[object]]], code: str, county: str) -> str:
    sheet = sheets["分旗县区 By county"]
    column = sheet[0].index(county)
    row = next(r for r in sheet if r[0] == code)
    return str(row[column])


def test_the_excel_export_suppresses_for_a_viewer_and_an_officer_of_another_county(
    figures, county_officer
) -> None:
    viewer = make_user("viewer", "150400")
    public = _sheet_values(report_download(_client(viewer), as_of=DAY, format="xlsx").content)
    # 150403: 2 of 400 — the rate (0.5 %) would give the 2 back; 150404: 1 of 3.
    assert _county_column(public, "I08", "元宝山区").startswith("不公开")
    assert _county_column(public, "I08", "松山区").startswith("不公开")
    assert _county_column(public, "I11", "元宝山区").startswith("少于5")
    every_cell = " ".join(
        str(v) for rows in public.values() for r in rows if r[0] != "生成时间 Generated" for v in r
    )
    # Rates are the fractions (0.005, 0.3333) formatted as percentages.
    assert "0.005" not in every_cell
    assert "0.333" not in every_cell
    assert "“少于5”" in every_cell  # the note
    # The internal version read by 红山区's officer is their county's report: its
    # townships exact (the 1 of 3 of 测试街道一 too), no other county in it.
    internal = _sheet_values(
        report_download(_client(county_officer), as_of=DAY, format="xlsx").content
    )
    assert "分旗县区 By county" not in internal
    row = next(r for r in internal["分乡镇 By township"] if r[0] == "I08")
    column = internal["分乡镇 By township"][0].index("测试街道一")
    assert float(str(row[column])) == pytest.approx(1 / 3, abs=1e-6)
    assert "松山区" not in str(internal)
    # The city's report is read by the city admin: 松山区's 1 of 3 exact.
    city_admin = make_user("city_admin", "150400")
    city = _sheet_values(report_download(_client(city_admin), as_of=DAY, format="xlsx").content)
    assert float(_county_column(city, "I08", "松山区")) == pytest.approx(1 / 3, abs=1e-6)


def test_the_published_report_suppresses_for_everyone_and_the_city_admin_reads_it_all(
    figures, city_admin
) -> None:
    plan, run = figures.plan, figures
    published = reports.build(plan, run, PUBLIC)
    i08 = next(r for r in published.rows if r.indicator.code == "I08")
    songshan = next(c for c in i08.counties if c.region.code == "150404")
    shown = (songshan.value, songshan.numerator, songshan.denominator)
    assert shown == ("不公开", "少于5", "少于5")
    assert songshan.status == WITHHELD
    assert published.suppressed
    assert ONE_OF_THREE_IN_REPORT not in reports.bar_svg(i08)  # the PDF's chart
    internal = reports.build(plan, run, disclosure.audience_for(city_admin))
    i08 = next(r for r in internal.rows if r.indicator.code == "I08")
    songshan = next(c for c in i08.counties if c.region.code == "150404")
    assert (songshan.numerator, songshan.denominator) == ("1", "3")
    assert not internal.suppressed
    # The city admin's "publish" link gives the public version, not theirs.
    html = (
        _client(city_admin)
        .get(reverse("indicators:report") + f"?as_of={DAY}&publish=1")
        .content.decode()
    )
    assert ONE_OF_THREE_IN_REPORT not in html
    assert "少于5" in html


def test_a_suppressed_cells_rate_and_status_are_hidden_in_english_too(figures) -> None:
    client = _client(make_user("viewer", "150400"))
    client.cookies["django_language"] = "en"
    html = client.get(
        reverse("indicators:indicator", args=["I08"]) + f"?as_of={DAY}&region=150402"
    ).content.decode()
    assert "fewer than 5" in html
    assert "withheld" in html
    assert ONE_OF_THREE not in html


# --- cost -----------------------------------------------------------------------------------


@pytest.mark.parametrize("role", ["viewer", "village_worker"])
def test_suppressed_pages_read_a_fixed_number_of_queries(
    figures, role, django_assert_max_num_queries
) -> None:
    user = make_user(role, "150400" if role == "viewer" else "150402001001")
    client = _client(user)
    region = "150402001"
    with django_assert_max_num_queries(16):
        assert client.get(reverse("indicators:dashboard") + f"?region={region}").status_code == 200
    with django_assert_max_num_queries(16):
        page = client.get(reverse("indicators:indicator", args=["I08"]) + f"?region={region}")
        assert page.status_code == 200
    with django_assert_max_num_queries(16):
        assert client.get(reverse("indicators:report")).status_code == 200


def test_the_query_count_does_not_grow_with_the_regions(figures, django_assert_num_queries) -> None:
    """Suppression reads the whole tree in one query however many townships there are."""
    from dpf.core.models import Region
    from dpf.indicators.models import Indicator, Snapshot

    viewer = make_user("viewer", "150400")
    client = _client(viewer)
    url = reverse("indicators:indicator", args=["I08"]) + "?region=150402"
    client.get(url)
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as few:
        client.get(url)
    indicator = Indicator.objects.get(plan__code="P14", code="I08")
    run = figures
    for n in range(10, 40):
        code = f"150402{n:03d}"
        Region.objects.create(code=code, name=f"新街道{n}", parent_id="150402", level="township")
        Snapshot.objects.create(
            run=run,
            indicator=indicator,
            as_of=AS_OF,
            region_code=code,
            region_level="township",
            numerator=n % 7,
            denominator=10,
            value=Decimal(n % 7 * 10),
            target=indicator.target,
            status="at_risk",
        )
    with CaptureQueriesContext(connection) as many:
        html = client.get(url).content.decode()
    assert len(many) == len(few)
    assert "新街道39" in html


def test_every_record_kind_of_the_shipped_plan_is_counted_as_persons_unless_listed() -> None:
    from dpf.indicators.services import PLAN_14TH
    from dpf.indicators.specs import RECORDS_NOT_OF_PERSONS, counts_persons

    plan = json.loads(PLAN_14TH.read_text(encoding="utf-8"))
    kinds = {
        spec["records"]
        for item in plan["indicators"]
        for spec in (item["numerator"], item.get("denominator") or {})
        if "records" in spec
    }
    assert kinds >= RECORDS_NOT_OF_PERSONS
    assert counts_persons({"records": "home_renovation_completed"})
    assert counts_persons({"records": "a_kind_added_later"})  # deny by default
    assert not counts_persons({"records": "volunteer_team"})
    assert not counts_persons({"manual": True})
