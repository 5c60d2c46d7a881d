"""The services' input kit (``dpf.core.inputs``): refusals, free text, dates not after today."""

from __future__ import annotations

import datetime as dt

import pytest

from dpf.core.errors import ValidationFailed
from dpf.core.inputs import clean_text, not_after, refuse
from dpf.core.text import InvalidText

LABEL = ("活动地点", "place")
TODAY = dt.date(2026, 3, 2)


def test_refuse_returns_the_refusal_to_raise() -> None:
    refusal = refuse("region", "地区不存在", "unknown region", "county")
    assert type(refusal) is ValidationFailed
    assert refusal.as_dict() == {
        "code": "region",
        "message": "地区不存在",
        "message_en": "unknown region",
        "field": "county",
    }
    assert refuse("x", "中", "en").field is None


@pytest.mark.parametrize("raw", ["", "   ", "\t\n", None])
def test_required_text_left_empty_is_refused(raw: str) -> None:
    with pytest.raises(ValidationFailed) as refused:
        clean_text(raw, field="place", label=LABEL, limit=10)
    assert refused.value.as_dict() == {
        "code": "required",
        "message": "请填写活动地点",
        "message_en": "please give the place",
        "field": "place",
    }


def test_optional_text_left_empty_is_empty() -> None:
    assert clean_text("  \n ", field="place", label=LABEL, limit=10, required=False) == ""
    assert clean_text("", field="place", label=LABEL, limit=10, required=False) == ""


def test_text_over_the_limit_is_refused_and_at_the_limit_kept() -> None:
    assert clean_text("会" * 10, field="place", label=LABEL, limit=10) == "会" * 10
    with pytest.raises(ValidationFailed) as refused:
        clean_text("会" * 11, field="place", label=LABEL, limit=10)
    assert refused.value.code == "too_long"
    assert refused.value.field == "place"
    assert refused.value.message_zh == "活动地点不超过10字"
    assert refused.value.message_en == "the place is at most 10 characters"


def test_optional_text_over_the_limit_is_refused_too() -> None:
    with pytest.raises(ValidationFailed, match="too_long"):
        clean_text("会" * 11, field="place", label=LABEL, limit=10, required=False)


def test_whitespace_is_collapsed_before_the_limit_is_counted() -> None:
    raw = "  残联\t活动\n\n中心   二楼 "  # 11 characters once collapsed, 14 only stripped
    assert clean_text(raw, field="place", label=LABEL, limit=11) == "残联 活动 中心 二楼"


@pytest.mark.parametrize("char", ["\u202e", "\u2066", "\x00", "\x7f", "\ue000"])
def test_control_and_direction_characters_are_refused(char: str) -> None:
    with pytest.raises(InvalidText) as refused:
        clean_text(f"残联{char}中心", field="place", label=LABEL, limit=10, required=False)
    assert refused.value.code == "text_characters"
    assert refused.value.field == "place"
    assert "活动地点的第3个字符" in refused.value.message_zh


def test_a_date_after_today_is_refused() -> None:
    with pytest.raises(ValidationFailed) as refused:
        not_after(TODAY + dt.timedelta(days=1), TODAY, field="held_on", label=("活动日期", "date"))
    assert refused.value.as_dict() == {
        "code": "date_in_future",
        "message": "活动日期不能晚于今天",
        "message_en": "the date cannot be after today",
        "field": "held_on",
    }


def test_today_and_earlier_days_are_accepted() -> None:
    not_after(TODAY, TODAY, field="held_on", label=("活动日期", "date"))
    not_after(TODAY - dt.timedelta(days=400), TODAY, field="held_on", label=("活动日期", "date"))
