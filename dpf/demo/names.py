"""Synthetic personal names for the demo registry: Han, Mongolian, Manchu and Hui.

Surname weights approximate northern China and Inner Mongolia (王李张刘 lead; 陈黄 are
rarer than in the south; 白包宝 are common among Chifeng's Mongolians). Given names follow
the fashion of the holder's birth decade. Every name is invented; any match with a real
person is chance.
"""

from __future__ import annotations

import bisect
import itertools
import random
from collections.abc import Sequence

HAN = "汉族"
MONGOLIAN = "蒙古族"
MANCHU = "满族"
HUI = "回族"

# Per mille, roughly northern China.
HAN_SURNAMES: tuple[tuple[str, int], ...] = (
    ("王", 72), ("李", 70), ("张", 68), ("刘", 58), ("赵", 30), ("杨", 28), ("陈", 25),
    ("孙", 22), ("于", 18), ("高", 18), ("马", 16), ("郭", 13), ("徐", 13), ("周", 13),
    ("吴", 12), ("宋", 11), ("黄", 10), ("朱", 10), ("韩", 10), ("白", 9), ("胡", 9),
    ("董", 8), ("田", 8), ("冯", 8), ("曹", 8), ("付", 7), ("贾", 7), ("石", 7), ("孟", 7),
    ("姜", 7), ("崔", 7), ("侯", 6), ("郝", 6), ("何", 6), ("许", 6), ("梁", 6), ("魏", 6),
    ("吕", 6), ("苏", 6), ("任", 6), ("闫", 6), ("邓", 5), ("罗", 5), ("谢", 5), ("姚", 5),
    ("袁", 5), ("薛", 5), ("段", 5), ("常", 5), ("程", 5), ("范", 5), ("金", 5), ("尹", 4),
    ("沈", 4), ("唐", 4), ("史", 4), ("贺", 4), ("武", 4), ("包", 3), ("鲍", 3), ("关", 3),
    ("陶", 3), ("彭", 3), ("蒋", 3), ("潘", 3), ("秦", 3), ("毛", 3), ("邵", 3), ("孔", 3),
    ("邱", 2), ("顾", 2), ("龚", 2), ("万", 2), ("钱", 2), ("严", 2), ("戴", 2), ("汤", 2),
    ("单", 2), ("曾", 2), ("翟", 2), ("宫", 2), ("佟", 2), ("解", 1), ("盖", 1), ("乐", 1),
)  # fmt: skip

# Mongolian families that use a Chinese-style name lean to these surnames.
MONGOLIAN_SURNAMES: tuple[tuple[str, int], ...] = (
    ("包", 30), ("白", 25), ("宝", 10), ("韩", 8), ("鲍", 5), ("王", 8), ("李", 6),
    ("张", 5), ("刘", 5), ("于", 4), ("吴", 4), ("陈", 3), ("赵", 3), ("金", 3),
)  # fmt: skip
MANCHU_SURNAMES: tuple[tuple[str, int], ...] = (
    ("关", 20), ("佟", 15), ("那", 8), ("富", 6), ("金", 10), ("赵", 10), ("王", 8),
    ("李", 8), ("张", 6), ("刘", 6), ("何", 5), ("肖", 4), ("傅", 4), ("郎", 4),
)  # fmt: skip
HUI_SURNAMES: tuple[tuple[str, int], ...] = (
    ("马", 40), ("杨", 10), ("李", 8), ("张", 8), ("王", 8), ("金", 8), ("丁", 6),
    ("白", 6), ("沙", 4), ("海", 3), ("穆", 3), ("纳", 2),
)  # fmt: skip

# Given names by sex and birth era: born before 1960, 1960–1989, from 1990.
HAN_GIVEN: dict[tuple[str, int], tuple[str, ...]] = {
    ("M", 0): (
        "国华", "建国", "德明", "振华", "树林", "玉林", "占山", "福山", "景春", "长海",
        "凤山", "文举", "宝山", "海", "富", "贵", "永祥", "志刚", "庆有", "满仓", "玉才",
        "春生", "金山", "树森", "万福", "殿臣", "德胜", "宝财", "广财", "俊", "明德",
    ),
    ("M", 1): (
        "志强", "建军", "伟", "强", "磊", "军", "勇", "海军", "晓东", "立新", "卫东",
        "红军", "明", "涛", "刚", "鹏", "建华", "永刚", "海涛", "国庆", "宏伟", "振宇",
        "亮", "超", "斌", "学军", "春雷", "宝军", "文军", "国强", "海明", "立国",
    ),
    ("M", 2): (
        "浩", "宇", "子轩", "浩然", "宇航", "博文", "一鸣", "俊杰", "天宇", "子豪",
        "梓豪", "皓轩", "佳豪", "鑫", "晨阳", "思远", "铭泽", "宇轩", "家乐", "奕辰",
        "泽宇", "嘉懿", "梓睿", "明轩",
    ),
    ("F", 0): (
        "桂兰", "秀英", "淑珍", "玉兰", "凤英", "秀兰", "桂芝", "淑兰", "玉珍", "秀珍",
        "凤兰", "桂英", "素芳", "玉梅", "淑华", "桂荣", "秀云", "凤琴", "玉芝", "淑琴",
    ),
    ("F", 1): (
        "丽", "静", "敏", "艳", "红梅", "海燕", "丽娟", "秀梅", "春梅", "晓燕", "丽华",
        "艳红", "小红", "红艳", "燕", "娟", "霞", "玲", "芳", "丽丽", "春艳", "颖",
        "晓丽", "雪梅", "冬梅", "慧敏",
    ),
    ("F", 2): (
        "欣怡", "梓涵", "雨桐", "一诺", "子涵", "诗涵", "思雨", "佳怡", "雨萱", "梦琪",
        "可馨", "语嫣", "紫萱", "婧", "悦", "晨曦", "雅琪", "欣妍", "若汐", "佳琪",
    ),
}  # fmt: skip

# Mongolian given names (transliterated), used alone or after 包/白/宝 ….
MONGOLIAN_GIVEN: dict[str, tuple[str, ...]] = {
    "M": (
        "巴特尔", "额尔敦", "那仁", "朝鲁", "苏和", "宝音", "孟和", "阿拉坦", "敖其尔",
        "巴雅尔", "布和", "吉日嘎拉", "额尔德木图", "乌力吉", "满都拉", "巴根", "哈斯巴根",
        "图门", "斯琴巴特尔", "特木尔", "达来", "胡日查", "宝力道", "巴图", "毕力格",
        "那顺", "阿木古楞", "格日勒图", "查干", "达林太", "那日苏", "乌日图", "阿古达木",
    ),
    "F": (
        "其其格", "乌兰", "斯琴", "高娃", "萨仁", "图雅", "娜仁花", "其木格", "乌云",
        "塔娜", "托娅", "哈斯", "萨日娜", "乌日娜", "阿拉坦其其格", "斯琴高娃", "格日乐",
        "那仁高娃", "孟根", "诺敏", "琪琪格", "吉雅", "苏日娜", "敖登", "阿茹娜", "娜布其",
        "宝日玛", "乌云其木格",
    ),
}  # fmt: skip


# Characters for composed two-character given names (more variety than the lists above).
GIVEN_CHARS: dict[str, tuple[str, str]] = {
    "M": ("志建国海立文宏俊明永德春晓振学子浩宇天博家嘉鹏云长玉树金福庆",
          "强伟军涛杰峰龙东斌亮超刚辉勇林华平生成明阳宇轩飞鑫磊山江波"),
    "F": ("秀丽玉桂淑凤美春晓海红艳雪思雨梓欣佳诗梦子雅婷静素金彩月",
          "娟敏燕霞琳颖慧萍芳兰英珍梅月洁琴云华玲凤涵怡萱琪悦冉彤"),
}  # fmt: skip


class WeightedChoice:
    """Fast repeated weighted choice (cumulative weights, bisect)."""

    def __init__(self, items: Sequence[tuple[str, float]]) -> None:
        self.values = [v for v, _ in items]
        self.cumulative = list(itertools.accumulate(w for _, w in items))
        self.total = self.cumulative[-1]

    def pick(self, rng: random.Random) -> str:
        return self.values[bisect.bisect_right(self.cumulative, rng.random() * self.total)]


_SURNAMES = {
    HAN: WeightedChoice(HAN_SURNAMES),
    MONGOLIAN: WeightedChoice(MONGOLIAN_SURNAMES),
    MANCHU: WeightedChoice(MANCHU_SURNAMES),
    HUI: WeightedChoice(HUI_SURNAMES),
}


def _era(birth_year: int) -> int:
    return 0 if birth_year < 1960 else 1 if birth_year < 1990 else 2


def surname_for(rng: random.Random, ethnicity: str) -> str:
    return _SURNAMES.get(ethnicity, _SURNAMES[HAN]).pick(rng)


def han_name(rng: random.Random, sex: str, birth_year: int, surname: str) -> str:
    if rng.random() < 0.45:
        first, second = GIVEN_CHARS[sex]
        return surname + rng.choice(first) + rng.choice(second)
    return surname + rng.choice(HAN_GIVEN[(sex, _era(birth_year))])


def person_name(
    rng: random.Random, sex: str, birth_year: int, ethnicity: str, surname: str | None = None
) -> str:
    """A plausible name; ``surname`` keeps a family's surname (a father's child)."""
    if ethnicity == MONGOLIAN:
        if surname is None:
            roll = rng.random()
            if roll < 0.5:
                return rng.choice(MONGOLIAN_GIVEN[sex])
            surname = surname_for(rng, MONGOLIAN)
            if roll < 0.7:
                return surname + rng.choice(MONGOLIAN_GIVEN[sex])
        elif rng.random() < 0.5:
            return surname + rng.choice(MONGOLIAN_GIVEN[sex])
    return han_name(rng, sex, birth_year, surname or surname_for(rng, ethnicity))


_BARE_MONGOLIAN = frozenset(MONGOLIAN_GIVEN["M"] + MONGOLIAN_GIVEN["F"])


def family_surname(name: str) -> str | None:
    """The surname a child would inherit (None for a bare Mongolian name)."""
    return None if name in _BARE_MONGOLIAN else name[0]
