"""Chifeng's counties as the demo needs them, and an invented township and village tree.

The 12 county rows are real and shipped by a migration (``core/0003_chifeng_regions``).
Township and village names are invented (``Region.synthetic = True``): the per-county
counts of streets, towns, townships and sumu are the 2023 statistical code set's
(DOMAIN.md), the codes follow the 9/12-digit pattern (county code + 001 …), and the
villages are a handful per township rather than the real 2,000-odd.
"""

from __future__ import annotations

import random
from dataclasses import dataclass

from pypinyin import lazy_pinyin

from dpf.core.errors import ValidationFailed
from dpf.core.models import Region, RegionLevel

CITY_CODE = "150400"
CITY_POPULATION = 4_035_967  # 2020 census


@dataclass(frozen=True)
class County:
    code: str
    name: str
    streets: int
    towns: int
    townships: int
    sumu: int
    population: int | None  # 2020 census where confirmed (DOMAIN.md), else None
    mongolian_weight: float  # relative share of Mongolians (illustrative, scaled to ~20%)

    @property
    def township_units(self) -> int:
        return self.streets + self.towns + self.townships + self.sumu


COUNTIES: tuple[County, ...] = (
    County("150402", "红山区", 11, 2, 0, 0, 469_100, 0.6),
    County("150403", "元宝山区", 6, 5, 1, 0, 285_000, 0.5),
    County("150404", "松山区", 8, 9, 5, 0, 706_300, 0.8),
    County("150421", "阿鲁科尔沁旗", 2, 7, 3, 4, None, 1.8),
    County("150422", "巴林左旗", 2, 7, 2, 2, None, 1.3),
    County("150423", "巴林右旗", 2, 5, 0, 4, None, 1.8),
    County("150424", "林西县", 2, 7, 2, 0, 187_000, 0.4),
    County("150425", "克什克腾旗", 3, 7, 2, 4, None, 1.3),
    County("150426", "翁牛特旗", 2, 8, 2, 4, None, 1.5),
    County("150428", "喀喇沁旗", 2, 7, 2, 0, None, 1.0),
    County("150429", "宁城县", 3, 13, 2, 0, None, 0.5),
    County("150430", "敖汉旗", 2, 11, 4, 1, 449_000, 0.6),
)
COUNTY_BY_CODE = {c.code: c for c in COUNTIES}

# ID-number address codes of people who came from elsewhere (real GB/T 2260 codes).
OTHER_INNER_MONGOLIA_CODES = (
    "150102",  # 呼和浩特市新城区
    "150203",  # 包头市昆都仑区
    "150502",  # 通辽市科尔沁区
    "150602",  # 鄂尔多斯市东胜区
    "150702",  # 呼伦贝尔市海拉尔区
    "150902",  # 乌兰察布市集宁区
    "152502",  # 锡林浩特市
)
OTHER_PROVINCE_CODES = (
    "130828",  # 河北省围场满族蒙古族自治县
    "211302",  # 辽宁省朝阳市双塔区
    "211381",  # 辽宁省北票市
    "210902",  # 辽宁省阜新市海州区
    "110105",  # 北京市朝阳区
    "220102",  # 吉林省长春市南关区
)


def county_populations() -> dict[str, float]:
    """Census population per county; the unconfirmed seven share the remainder evenly."""
    known = sum(c.population for c in COUNTIES if c.population is not None)
    unknown = [c for c in COUNTIES if c.population is None]
    share = (CITY_POPULATION - known) / len(unknown)
    return {c.code: float(c.population if c.population is not None else share) for c in COUNTIES}


def apportion(total: int, weights: dict[str, float]) -> dict[str, int]:
    """Split ``total`` in proportion to ``weights`` (largest remainder; sums exactly)."""
    whole = sum(weights.values())
    exact = {k: total * w / whole for k, w in weights.items()}
    counts = {k: int(v) for k, v in exact.items()}
    rest = total - sum(counts.values())
    for k in sorted(exact, key=lambda k: (counts[k] - exact[k], k))[:rest]:
        counts[k] += 1
    return counts


def mongolian_shares(target: float = 0.20) -> dict[str, float]:
    """Per-county Mongolian share, weighted by population to ``target`` overall."""
    pops = county_populations()
    total = sum(pops.values())
    mean = sum(pops[c.code] * c.mongolian_weight for c in COUNTIES) / total
    return {c.code: min(0.9, target * c.mongolian_weight / mean) for c in COUNTIES}


# --- invented place names ---------------------------------------------------------------

_NUMBERS = "头二三四五六七八九"
_DIRECTIONS = "大小东西南北前后上下老新"
_FEATURES = (
    "营子", "城子", "山湾", "沟", "台", "井", "梁", "甸子", "杖子", "窝铺", "店", "庙", "屯",
    "河", "川", "地", "湾子", "洼", "坡", "岗",
)  # fmt: skip
_TREES = ("榆树林子", "杨树沟", "柳条沟", "黄土梁", "石门子", "松树台", "桦木沟", "梨树沟")
_FAMILY = "王李张刘赵杨孙于高马郭宋韩白董田冯曹付贾石孟姜崔侯郝"
_MONGOLIAN_HEADS = (
    "巴彦", "查干", "乌兰", "哈日", "阿拉坦", "宝日", "呼和", "乌力吉", "敖包", "额尔敦",
    "达兰", "海拉苏", "包日", "罕", "塔本", "锡林",
)  # fmt: skip
_MONGOLIAN_TAILS = (
    "塔拉", "诺尔", "哈达", "温都尔", "高勒", "套海", "花", "锡勒", "浩特", "布拉格",
    "呼都嘎", "乌苏", "木伦", "敖包", "昭", "宝力格",
)  # fmt: skip
_URBAN = (
    "东城", "西城", "南城", "北城", "长青", "兴安", "新华", "振兴", "永安", "站前", "桥北",
    "铁南", "向阳", "建设", "文化", "滨河", "和平", "红旗", "民主", "友谊", "光明", "团结",
    "兴隆", "朝阳", "富强", "昌盛", "园丁", "明珠", "锦绣", "翠园", "阳光", "幸福", "和谐",
    "福苑", "清河", "学苑", "康宁", "金桥", "丽景", "长安", "春城", "欣苑", "碧水", "锦华",
    "裕民", "泰和", "富民", "松州", "天河", "景苑",
)  # fmt: skip

_SUFFIX = {
    "street": ("街道", "Subdistrict"),
    "town": ("镇", "Town"),
    "township": ("乡", "Township"),
    "sumu": ("苏木", "Sumu"),
    "community": ("社区", "Community"),
    "village": ("村", "Village"),
    "gacha": ("嘎查", "Gacha"),
}
_VILLAGE_KIND = {"street": "community", "town": "village", "township": "village", "sumu": "gacha"}


def _han_place(rng: random.Random) -> str:
    roll = rng.random()
    if roll < 0.35:
        return rng.choice(_FAMILY) + "家" + rng.choice(_FEATURES)
    if roll < 0.55:
        return rng.choice(_NUMBERS) + "道" + rng.choice(("沟", "河", "梁", "营子", "湾"))
    if roll < 0.85:
        return rng.choice(_DIRECTIONS) + rng.choice(_FEATURES)
    return rng.choice(_TREES)


def _stem(rng: random.Random, kind: str) -> str:
    if kind in ("street", "community"):
        return rng.choice(_URBAN)
    if kind in ("sumu", "gacha"):
        return rng.choice(_MONGOLIAN_HEADS) + rng.choice(_MONGOLIAN_TAILS)
    return _han_place(rng)


def _unique_stem(rng: random.Random, kind: str, used: set[str]) -> str:
    for _ in range(200):
        stem = _stem(rng, kind)
        if stem not in used:
            used.add(stem)
            return stem
    stem = f"{_stem(rng, kind)}{len(used)}"  # the word lists are exhausted: number it
    used.add(stem)
    return stem


@dataclass(frozen=True)
class RegionRow:
    code: str
    name: str
    name_en: str
    parent_code: str
    level: str
    kind: str


def _row(code: str, stem: str, kind: str, parent: str, level: str) -> RegionRow:
    zh, en = _SUFFIX[kind]
    pinyin = "".join(lazy_pinyin(stem)).capitalize()
    return RegionRow(code, stem + zh, f"{pinyin} {en}", parent, level, kind)


def demo_region_rows() -> list[RegionRow]:
    """The invented township and village tree: the same for every seed (townships first)."""
    rng = random.Random("dpf-demo-regions-1")
    townships: list[RegionRow] = []
    villages: list[RegionRow] = []
    for county in COUNTIES:
        used: set[str] = set()
        seq = 0
        for kind, count in (
            ("street", county.streets),
            ("town", county.towns),
            ("township", county.townships),
            ("sumu", county.sumu),
        ):
            for _ in range(count):
                seq += 1
                code = f"{county.code}{seq:03d}"
                townships.append(
                    _row(code, _unique_stem(rng, kind, used), kind, county.code, "township")
                )
                village_kind = _VILLAGE_KIND[kind]
                used_villages: set[str] = set()
                for j in range(1, rng.randint(3, 6) + 1):
                    stem = _unique_stem(rng, village_kind, used_villages)
                    villages.append(_row(f"{code}{j:03d}", stem, village_kind, code, "village"))
    return townships + villages


def ensure_demo_regions() -> int:
    """Create the invented tree where it is missing; return the number of regions created.

    Existing rows are never changed, and a county that already has real (non-synthetic)
    townships gets nothing invented: its real villages are used instead.
    """
    county_codes = [c.code for c in COUNTIES]
    present = set(
        Region.objects.filter(code__in=county_codes, level=RegionLevel.COUNTY).values_list(
            "code", flat=True
        )
    )
    missing = sorted(set(county_codes) - present)
    if missing:
        raise ValidationFailed(
            "demo_counties_missing",
            f"缺少旗县区地区代码（{', '.join(missing)}），请先执行 dpf migrate",
            f"county regions missing ({', '.join(missing)}): run dpf migrate first",
        )
    real = {
        code[:6]
        for code in Region.objects.filter(
            code__startswith="1504", level=RegionLevel.TOWNSHIP, synthetic=False
        ).values_list("code", flat=True)
    }
    existing = set(
        Region.objects.filter(
            code__startswith="1504", level__in=[RegionLevel.TOWNSHIP, RegionLevel.VILLAGE]
        ).values_list("code", flat=True)
    )
    new = [
        Region(
            code=r.code,
            name=r.name,
            name_en=r.name_en,
            parent_id=r.parent_code,
            level=r.level,
            kind=r.kind,
            synthetic=True,
        )
        for r in demo_region_rows()
        if r.code not in existing and r.code[:6] not in real
    ]
    Region.objects.bulk_create(new, batch_size=500)
    return len(new)


@dataclass(frozen=True)
class Village:
    code: str
    name: str
    township_name: str


def villages_by_county() -> dict[str, list[Village]]:
    """Every village-level region under each Chifeng county, in code order."""
    townships = dict(
        Region.objects.filter(code__startswith="1504", level=RegionLevel.TOWNSHIP).values_list(
            "code", "name"
        )
    )
    result: dict[str, list[Village]] = {c.code: [] for c in COUNTIES}
    rows = (
        Region.objects.filter(code__startswith="1504", level=RegionLevel.VILLAGE)
        .order_by("code")
        .values_list("code", "name")
    )
    for code, name in rows:
        if code[:6] in result:
            result[code[:6]].append(Village(code, name, townships.get(code[:9], "")))
    return result
