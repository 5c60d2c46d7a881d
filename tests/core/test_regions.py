"""The region tree: shipped counties, ``dpf regions load`` (all or nothing), one-query subtree."""

from __future__ import annotations

import io
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command
from django.db import connection

from dpf.core.models import Region, RegionLevel
from dpf.core.regions import descendants, roll_up, under_q

pytestmark = pytest.mark.django_db

# DOMAIN.md: the 12 county-level divisions of Chifeng (there is no 150427).
CHIFENG_COUNTIES = {
    "150402": "红山区", "150403": "元宝山区", "150404": "松山区", "150421": "阿鲁科尔沁旗",
    "150422": "巴林左旗", "150423": "巴林右旗", "150424": "林西县", "150425": "克什克腾旗",
    "150426": "翁牛特旗", "150428": "喀喇沁旗", "150429": "宁城县", "150430": "敖汉旗",
}  # fmt: skip

HEADER = "code,name,parent_code,level\n"
GOOD = (
    "150402901,北山街道,150402,township\n"
    "150402901001,北山社区,150402901,village\n"
    "150402901002,南山社区,150402901,village\n"
    "150404901,东镇,150404,township\n"
    "150404901001,东村,150404901,village\n"
)


def _load(tmp_path: Path, body: str, *extra: str) -> str:
    path = tmp_path / "regions.csv"
    path.write_text(HEADER + body, encoding="utf-8")
    out = io.StringIO()
    call_command("regions", "load", str(path), *extra, stdout=out)
    return out.getvalue()


def _codes() -> set[str]:
    return set(Region.objects.values_list("code", flat=True))


def test_the_twelve_counties_are_shipped() -> None:
    counties = Region.objects.filter(parent_id="150400", level=RegionLevel.COUNTY)
    assert dict(counties.values_list("code", "name")) == CHIFENG_COUNTIES
    assert Region.objects.get(code="150400").name == "赤峰市"


def test_load_townships_and_villages(tmp_path: Path) -> None:
    assert "loaded 5 regions" in _load(tmp_path, GOOD)
    village = Region.objects.get(code="150402901002")
    assert (village.name, village.level, village.parent_id) == ("南山社区", "village", "150402901")
    assert not village.synthetic
    # Loading the same file again updates in place.
    _load(tmp_path, GOOD.replace("南山社区", "南山新社区"), "--synthetic")
    village.refresh_from_db()
    assert village.name == "南山新社区"
    assert village.synthetic
    assert Region.objects.filter(code__startswith="1504029").count() == 3


@pytest.mark.parametrize(
    ("bad_row", "words"),
    [
        ("150402901003,西山社区,150402901,hamlet\n", "level"),
        ("15040290100,西山社区,150402901,village\n", "code length"),
        ("150402901003,,150402901,village\n", "name is empty"),
        ("150402901001,重复社区,150402901,village\n", "duplicate code"),
        ("150404901003,错位社区,150402901,village\n", "not under its parent"),
        ("150402901003,无上级社区,,village\n", "parent code is missing"),
        # These pass the row checks and are refused while writing: rolled back whole.
        ("150402902001,孤儿社区,150402902,village\n", "does not exist"),
        ("150402001,跳级街道,150400,township\n", "not of the level above"),
    ],
)
def test_a_bad_row_refuses_the_whole_file(tmp_path: Path, bad_row: str, words: str) -> None:
    before = _codes()
    with pytest.raises(CommandError) as info:
        _load(tmp_path, GOOD + bad_row)
    assert words in str(info.value)
    assert "/" in str(info.value)  # Chinese / English
    assert _codes() == before  # not even the good rows before it


def test_missing_columns_are_refused(tmp_path: Path) -> None:
    path = tmp_path / "regions.csv"
    path.write_text("code,name\n150402901,北山街道\n", encoding="utf-8")
    with pytest.raises(CommandError, match="parent_code"):
        call_command("regions", "load", str(path))
    assert not Region.objects.filter(code="150402901").exists()


def test_everything_under_a_county_is_one_indexed_query(
    tmp_path: Path, django_assert_num_queries
) -> None:
    _load(tmp_path, GOOD)
    with django_assert_num_queries(1):
        under = descendants("150402")
    assert [r.code for r in under] == ["150402", "150402901", "150402901001", "150402901002"]
    city = {r.code for r in descendants("150400")}
    assert {"150400", "150404901001"} | set(CHIFENG_COUNTIES) <= city
    assert "150000" not in city
    assert [r.code for r in descendants("150402901")][1:] == ["150402901001", "150402901002"]


def test_the_subtree_query_uses_the_code_index() -> None:
    queryset = Region.objects.filter(under_q("150402"))
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            # The test table is tiny; forbid the sequential scan to see whether an index
            # can answer the query at all.
            cursor.execute("SET LOCAL enable_seqscan = off")
        plan = queryset.explain()
        assert "Index" in plan, plan
        assert "Seq Scan" not in plan, plan
    else:
        plan = queryset.explain()
        assert "SEARCH" in plan, plan
        assert "INDEX" in plan or "PRIMARY KEY" in plan, plan


def test_the_root_region_is_one_setting(settings) -> None:
    """Another city or a province runs the platform by configuration: the counties every
    pick list and figure starts from follow DPF_ROOT_REGION, nothing else."""
    from dpf.core.regions import counties, root_prefix

    chifeng = list(counties().values_list("code", flat=True))
    assert len(chifeng) == 12
    assert all(c.startswith("1504") for c in chifeng)
    settings.DPF_ROOT_REGION = "150000"  # Inner Mongolia: Chifeng's counties are among its own
    assert root_prefix() == "15"
    assert set(chifeng) <= set(counties().values_list("code", flat=True))
    settings.DPF_ROOT_REGION = "150500"  # Tongliao: none of Chifeng's counties
    assert root_prefix() == "1505"
    assert not counties().filter(code__in=chifeng).exists()
    from dpf.benefits.selectors import county_names  # the catalogue's county names too

    assert not set(county_names()) & set(chifeng)
    settings.DPF_ROOT_REGION = "150400"
    assert set(county_names()) == set(chifeng)


def test_a_county_outside_the_root_cannot_get_a_rule_widening(settings) -> None:
    from dpf.benefits.services.common import check_region
    from dpf.core.errors import DomainError

    check_region("150402", required=True)  # a Chifeng county, root Chifeng: accepted
    settings.DPF_ROOT_REGION = "150500"
    with pytest.raises(DomainError):
        check_region("150402", required=True)


def test_roll_up_sums_each_region_by_its_prefix_as_a_scan_would() -> None:
    """``roll_up`` gives, for every region, what summing the keys that start with its
    prefix gives (the loop it replaced, regions × townships), in one pass."""
    counts = {
        "150402001": 3,
        "150402002": 4,
        "150404001": 5,
        "150421": 7,  # a county-level key counts for the county and the city only
        "999999001": 11,  # outside the city
    }
    regions = [
        Region(code="150400", level=RegionLevel.CITY),
        Region(code="150402", level=RegionLevel.COUNTY),
        Region(code="150421", level=RegionLevel.COUNTY),
        Region(code="150402001", level=RegionLevel.TOWNSHIP),
        Region(code="150404009", level=RegionLevel.TOWNSHIP),
    ]
    sums = roll_up(counts, regions)
    for region in regions:
        scanned = sum(v for k, v in counts.items() if k.startswith(region.prefix))
        assert sums.get(region.prefix, 0) == scanned, region.code
    assert [sums.get(r.prefix, 0) for r in regions] == [19, 7, 7, 3, 0]
