"""Units and benefit names in the request's language (issue 17 part 10): English pages say
"person-times", not 人次."""

from __future__ import annotations

from django.utils import translation

from dpf.benefits.models import BenefitItem
from dpf.indicators.models import UNIT_LABELS, Indicator


def test_every_plan_unit_reads_in_english() -> None:
    for unit in UNIT_LABELS:
        with translation.override("en"):
            english = Indicator(unit=unit).unit_label
        with translation.override("zh-hans"):
            assert Indicator(unit=unit).unit_label == unit
        assert english != unit, unit
        assert english.isascii(), unit
    with translation.override("en"):
        assert Indicator(unit="人次").unit_label == "person-times"
        assert Indicator(unit="%").unit_label == "%"


def test_a_benefit_is_named_in_the_request_language() -> None:
    item = BenefitItem(name_zh="困难残疾人生活补贴", name_en="Living allowance")
    with translation.override("en"):
        assert item.name == "Living allowance"
    with translation.override("zh-hans"):
        assert item.name == "困难残疾人生活补贴"
