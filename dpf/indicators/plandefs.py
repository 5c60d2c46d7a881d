"""Plan definitions (the shape of ``data/plan_14th.json``): parsing and validation, no writes.

``check_plan`` reads a whole definition and returns *every* problem it finds, each with the
indicator code and the field at fault, so the upload page can show them all at once;
``services.plan_load`` refuses a definition with any problem and writes nothing.
"""

from __future__ import annotations

import datetime as dt
import json
import re
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from typing import Any

from dpf.core.errors import ValidationFailed
from dpf.core.inputs import refuse
from dpf.core.text import InvalidText, check_text_characters
from dpf.indicators.models import Comparison, IndicatorKind, Plan
from dpf.indicators.specs import validate_spec

# An uploaded plan file may not be larger than this (the 14th plan is about 9 KB).
MAX_PLAN_FILE_BYTES = 256 * 1024
MAX_INDICATORS = 200
# Decimal(14, 2) columns: twelve digits before the point.
TARGET_LIMIT = Decimal("1e12")
PLAN_TEXT_LIMITS = {"code": 20, "name_zh": 200, "name_en": 200, "source": 300}
INDICATOR_TEXT_LIMITS = {"code": 20, "name_zh": 200, "name_en": 200, "unit": 20, "section": 40}
INDICATOR_REQUIRED = (
    "code",
    "name_zh",
    "name_en",
    "unit",
    "kind",
    "comparison",
    "target",
    "numerator",
)


@dataclass(frozen=True)
class Problem:
    """One thing wrong with a definition: where (indicator code, field) and why."""

    error: ValidationFailed
    indicator: str = ""  # the indicator's code, or "" for the plan itself
    position: int | None = None  # 1-based place in the indicators list

    @property
    def field(self) -> str:
        return self.error.field or ""


@dataclass
class PlanCheck:
    """The result of checking a definition: what it holds and what is wrong with it."""

    data: dict[str, Any]
    problems: list[Problem] = field(default_factory=list)
    indicators: list[dict[str, Any]] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.problems


def parse_plan_file(content: bytes) -> dict[str, Any]:
    """The definition in an uploaded file: UTF-8 JSON holding one object, size-limited."""
    if len(content) > MAX_PLAN_FILE_BYTES:
        raise refuse(
            "file_too_large",
            f"文件过大：规划文件不能超过 {MAX_PLAN_FILE_BYTES // 1024} KB",
            f"the file is too large: a plan file may not exceed {MAX_PLAN_FILE_BYTES // 1024} KB",
            "file",
        )
    if not content.strip():
        raise refuse("file_empty", "文件为空", "the file is empty", "file")
    try:
        text = content.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise refuse(
            "file_encoding",
            "文件不是 UTF-8 编码的文本",
            "the file is not UTF-8 text",
            "file",
        ) from None
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise refuse(
            "file_json",
            f"文件不是有效的 JSON：第 {exc.lineno} 行第 {exc.colno} 列",
            f"the file is not valid JSON: line {exc.lineno}, column {exc.colno}",
            "file",
        ) from None
    except (RecursionError, ValueError):
        # Nested deeper than the parser's stack, or a number of thousands of digits.
        raise refuse(
            "file_json",
            "文件不是有效的规划：JSON 嵌套过深或数字过长",
            "the file is not a valid plan: the JSON is nested too deeply or holds a number "
            "too long",
            "file",
        ) from None
    try:
        json.dumps(data, ensure_ascii=False).encode("utf-8")
    except UnicodeEncodeError:
        # "\ud800" escapes half of a UTF-16 pair: no text holds it, no page can show it.
        raise refuse(
            "file_json",
            "文件中有无效的字符（单独的代理码位，如 \\ud800）",
            "the file holds an invalid character (a lone surrogate such as \\ud800)",
            "file",
        ) from None
    if not isinstance(data, dict):
        raise refuse(
            "file_shape",
            "规划文件须是一个 JSON 对象（参见模板）",
            "a plan file must hold one JSON object (see the template)",
            "file",
        )
    return data


# Codes name plans and indicators in addresses (?plan=P14, /indicators/I01/): letters,
# digits, '_' and '-' only, so that no code can break a link or read as something else.
_CODE = re.compile(r"[A-Za-z0-9_-]{1,20}", flags=re.ASCII)


def _bad_code(value: Any) -> bool:
    return isinstance(value, str) and _CODE.fullmatch(value) is None


def _code_problem(code: str, zh: str, en: str, field: str) -> ValidationFailed:
    return refuse(
        code,
        f"{zh}代码只能由英文字母、数字、“_”和“-”组成（最多20个）",
        f"{en}a code holds only letters, digits, '_' and '-' (at most 20)",
        field,
    )


def _text(value: Any, limit: int) -> bool:
    return isinstance(value, str) and bool(value.strip()) and len(value) <= limit


def _date(data: dict[str, Any], key: str, problems: list[Problem]) -> dt.date | None:
    try:
        return dt.date.fromisoformat(str(data[key]))
    except (KeyError, ValueError):
        if key in data:
            problems.append(
                Problem(
                    refuse(
                        "date",
                        f"{key} 不是有效日期（YYYY-MM-DD）",
                        f"{key} is not a date (YYYY-MM-DD)",
                        key,
                    )
                )
            )
        return None


def _decimal(value: Any) -> Decimal | None:
    if isinstance(value, bool) or not isinstance(value, (str, int, float)):
        return None
    try:
        number = Decimal(str(value))
    except (InvalidOperation, ValueError):
        return None
    return number if number.is_finite() else None


def _characters(
    data: dict[str, Any], keys: Any, code: str, zh: str = "", en: str = ""
) -> list[ValidationFailed]:
    """Texts holding control or text-direction characters (notes may hold line breaks)."""
    found = []
    for key in keys:
        value = data.get(key)
        if not isinstance(value, str):
            continue
        try:
            check_text_characters(
                value, field=key, label_zh=key, label_en=key, multiline=key == "note"
            )
        except InvalidText as exc:
            found.append(refuse(code, f"{zh}{exc.message_zh}", f"{en}{exc.message_en}", key))
    return found


def _check_header(data: dict[str, Any], replace: bool) -> list[Problem]:
    problems: list[Problem] = []
    problems += [Problem(e) for e in _characters(data, PLAN_TEXT_LIMITS, "plan_text")]
    for key in ("code", "name_zh", "name_en", "start", "end", "indicators"):
        if key not in data:
            problems.append(
                Problem(refuse("plan_field", f"缺少字段 {key}", f"missing field {key}", key))
            )
    for key, limit in PLAN_TEXT_LIMITS.items():
        if (
            key in data
            and not (key == "source" and data[key] == "")
            and not _text(data[key], limit)
        ):
            problems.append(
                Problem(
                    refuse(
                        "plan_text",
                        f"{key} 须是不超过 {limit} 个字符的非空文本",
                        f"{key} must be non-empty text of at most {limit} characters",
                        key,
                    )
                )
            )
    start, end = _date(data, "start", problems), _date(data, "end", problems)
    if start and end and end <= start:
        problems.append(
            Problem(
                refuse(
                    "date_range",
                    "规划截止日期早于起始日期",
                    "the plan ends before it starts",
                    "end",
                )
            )
        )
    mid_term = _date(data, "mid_term", problems) if data.get("mid_term") else None
    if mid_term and start and end and not start <= mid_term <= end:
        problems.append(
            Problem(
                refuse(
                    "mid_term",
                    "中期评估日期不在规划期内",
                    "the mid-term date is outside the plan period",
                    "mid_term",
                )
            )
        )
    code = data.get("code")
    if _bad_code(code):
        problems.append(Problem(_code_problem("plan_code", "", "", "code")))
    if isinstance(code, str) and not replace and Plan.objects.filter(code=code).exists():
        problems.append(
            Problem(
                refuse("plan_exists", "该规划代码已存在", "a plan with this code exists", "code")
            )
        )
    return problems


def _target_problem(item: dict[str, Any], zh: str, en: str) -> ValidationFailed | None:
    """The target is a number that fits its column and makes sense for the indicator."""
    target = _decimal(item["target"])
    if target is None:
        return refuse("target", f"{zh}目标值不是数字", f"{en}the target is not a number", "target")
    if abs(target) >= TARGET_LIMIT or target != target.quantize(Decimal("0.01")):
        return refuse(
            "target_range",
            f"{zh}目标值超出范围（最多12位整数、2位小数）",
            f"{en}the target is out of range (at most 12 digits and 2 decimals)",
            "target",
        )
    numerator = item.get("numerator")
    manual = isinstance(numerator, dict) and bool(numerator.get("manual"))
    ratio = bool(item.get("denominator"))
    if ratio and item.get("unit") == "%" and not Decimal(0) <= target <= Decimal(100):
        return refuse(
            "target_range",
            f"{zh}比例指标的目标值须在 0 到 100 之间",
            f"{en}the target of a ratio must lie between 0 and 100",
            "target",
        )
    if manual and item.get("unit") == "%" and not Decimal(-100) <= target <= Decimal(1000):
        return refuse(
            "target_range",
            f"{zh}百分比目标值超出合理范围（-100 到 1000）",
            f"{en}the percentage target is out of range (-100 to 1000)",
            "target",
        )
    if not manual and target < 0:
        return refuse(
            "target_range",
            f"{zh}计数指标的目标值不能为负数",
            f"{en}the target of a count cannot be negative",
            "target",
        )
    return None


def _county_codes() -> set[str]:
    from dpf.core.models import Region, RegionLevel

    return set(Region.objects.filter(level=RegionLevel.COUNTY).values_list("code", flat=True))


def _region_target_problems(item: dict[str, Any], zh: str, en: str) -> list[ValidationFailed]:
    """``region_targets``: an object from a county's code to that county's own target, each
    checked as the city's target is."""
    targets = item["region_targets"]
    if not isinstance(targets, dict):
        return [
            refuse(
                "region_targets",
                f"{zh}region_targets 须是以旗县区代码为键的 JSON 对象",
                f"{en}region_targets must be a JSON object keyed by county code",
                "region_targets",
            )
        ]
    problems: list[ValidationFailed] = []
    counties = _county_codes() if targets else set()
    for code, value in targets.items():
        if code not in counties:
            problems.append(
                refuse(
                    "region_target_region",
                    f"{zh}region_targets 中的 {code[:20]} 不是本市的旗县区代码",
                    f"{en}{code[:20]} in region_targets is not a county of the city",
                    "region_targets",
                )
            )
            continue
        error = _target_problem({**item, "target": value}, zh, en)
        if error is not None:
            error.field = "region_targets"
            problems.append(error)
    return problems


def _check_indicator(item: Any, n: int, seen: set[str]) -> list[Problem]:  # noqa: C901
    if not isinstance(item, dict):
        error = refuse(
            "indicator_shape",
            f"第 {n} 项指标须是 JSON 对象",
            f"indicator {n} must be a JSON object",
            f"indicators[{n}]",
        )
        return [Problem(error, position=n)]
    code: str = item["code"] if isinstance(item.get("code"), str) else ""
    where_zh = f"{code or f'第 {n} 项指标'}："
    where_en = f"{code or f'indicator {n}'}: "
    problems: list[Problem] = []

    def add(error: ValidationFailed) -> None:
        # Messages name the indicator; the field says where inside it.
        error.field = f"indicators[{n}].{error.field}" if error.field else f"indicators[{n}]"
        problems.append(Problem(error, indicator=code, position=n))

    for key in INDICATOR_REQUIRED:
        if key not in item:
            add(refuse("indicator_field", f"{where_zh}缺少 {key}", f"{where_en}missing {key}", key))
    texts = [*INDICATOR_TEXT_LIMITS, "note"]
    for error in _characters(item, texts, "indicator_text", where_zh, where_en):
        add(error)
    for key, limit in INDICATOR_TEXT_LIMITS.items():
        if (
            key in item
            and not (key == "section" and item[key] == "")
            and not _text(item[key], limit)
        ):
            add(
                refuse(
                    "indicator_text",
                    f"{where_zh}{key} 须是不超过 {limit} 个字符的非空文本",
                    f"{where_en}{key} must be non-empty text of at most {limit} characters",
                    key,
                )
            )
    if _bad_code(item.get("code")):
        add(_code_problem("indicator_code", where_zh, where_en, "code"))
    if code:
        if code in seen:
            add(refuse("indicator_dup", f"{where_zh}代码重复", f"{where_en}duplicate code", "code"))
        seen.add(code)
    if "comparison" in item and item["comparison"] not in Comparison.values:
        add(
            refuse(
                "comparison",
                f"{where_zh}比较方式无效（>=、>、=、<=）",
                f"{where_en}bad comparison (>=, >, =, <=)",
                "comparison",
            )
        )
    if "kind" in item and item["kind"] not in IndicatorKind.values:
        add(
            refuse(
                "kind",
                f"{where_zh}属性无效（expected 或 binding）",
                f"{where_en}bad kind (expected or binding)",
                "kind",
            )
        )
    if "target" in item:
        target_error = _target_problem(item, where_zh, where_en)
        if target_error is not None:
            add(target_error)
    if "region_targets" in item:
        for error in _region_target_problems(item, where_zh, where_en):
            add(error)
    if not isinstance(item.get("note", ""), str):
        add(refuse("note", f"{where_zh}说明须是文本", f"{where_en}the note must be text", "note"))
    scale = _decimal(item.get("scale", "1"))
    if scale is None or not Decimal(0) < scale < Decimal(10000):
        add(refuse("scale", f"{where_zh}倍数无效", f"{where_en}bad scale", "scale"))
    order = item.get("order", 0)
    if isinstance(order, bool) or not isinstance(order, int) or not 0 <= order <= 32767:
        add(refuse("order", f"{where_zh}顺序号无效", f"{where_en}bad order number", "order"))
    for part in ("numerator", "denominator"):
        spec = item.get(part)
        if spec is None or (part == "denominator" and spec == {}):
            continue
        if not isinstance(spec, dict) or (part == "numerator" and not spec):
            add(
                refuse(
                    part,
                    f"{where_zh}{part} 须是非空 JSON 对象",
                    f"{where_en}{part} must be a non-empty JSON object",
                    part,
                )
            )
            continue
        try:
            validate_spec(spec, field=part)
        except ValidationFailed as exc:
            add(
                refuse(
                    exc.code,
                    f"{where_zh}{exc.message_zh}",
                    f"{where_en}{exc.message_en}",
                    part,
                )
            )
    return problems


def check_plan(data: Any, *, replace: bool = False) -> PlanCheck:
    """Every problem of a plan definition (an empty list: it can be loaded as it is)."""
    if not isinstance(data, dict):
        error = refuse(
            "file_shape",
            "规划定义须是一个 JSON 对象",
            "a plan definition must be one JSON object",
            "file",
        )
        return PlanCheck(data={}, problems=[Problem(error)])
    check = PlanCheck(data=data, problems=_check_header(data, replace))
    items = data.get("indicators")
    if "indicators" in data and (not isinstance(items, list) or not items):
        check.problems.append(
            Problem(
                refuse(
                    "indicators",
                    "indicators 须是非空列表",
                    "indicators must be a non-empty list",
                    "indicators",
                )
            )
        )
        return check
    if isinstance(items, list) and len(items) > MAX_INDICATORS:
        check.problems.append(
            Problem(
                refuse(
                    "indicators",
                    f"指标不能超过 {MAX_INDICATORS} 项",
                    f"at most {MAX_INDICATORS} indicators",
                    "indicators",
                )
            )
        )
        return check
    seen: set[str] = set()
    for n, item in enumerate(items or [], start=1):
        check.problems.extend(_check_indicator(item, n, seen))
        if isinstance(item, dict):
            check.indicators.append(item)
    return check
