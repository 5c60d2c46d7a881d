"""What-if: evaluate a benefit for a person described in JSON, without the database.

The rule is the shipped catalogue's version in force on the date
(``data/catalogue.json``), so the answer needs no database at all. With ``use_db`` the
versions stored in the database are used instead, including the widening of the county
given as ``region`` (a county override is data in the database, never in the file).
"""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path
from typing import Any

from dpf.benefits.catalogue import shipped_catalogue
from dpf.benefits.eligibility import clauses_of, compiled
from dpf.core.errors import ValidationFailed


class WhatIfRefused(ValidationFailed):
    """A what-if input that cannot be evaluated (file, JSON, benefit, facts)."""


def read_facts_file(path: str) -> dict[str, Any]:
    """Read a facts file: a JSON object. Refusals name the place in the file."""
    try:
        raw = Path(path).read_text(encoding="utf-8")
    except FileNotFoundError:
        raise WhatIfRefused(
            "facts_file", f"找不到文件：{path}", f"file not found: {path}", field="facts"
        ) from None
    except (OSError, UnicodeDecodeError) as exc:
        raise WhatIfRefused(
            "facts_file",
            f"无法读取文件：{path}（{type(exc).__name__}）",
            f"cannot read the file: {path} ({type(exc).__name__})",
            field="facts",
        ) from None
    try:
        data = json.loads(raw)
    except json.JSONDecodeError as exc:
        raise WhatIfRefused(
            "facts_json",
            f"不是有效的 JSON：第{exc.lineno}行第{exc.colno}列：{exc.msg}",
            f"not valid JSON: line {exc.lineno}, column {exc.colno}: {exc.msg}",
            field="facts",
        ) from None
    except (RecursionError, ValueError):
        # Nested deeper than the parser's stack, or a number of thousands of digits.
        raise WhatIfRefused(
            "facts_json",
            "JSON 嵌套过深或数字过长，不是人员事实文件",
            "the JSON is nested too deeply or holds a number too long: not a facts file",
            field="facts",
        ) from None
    try:
        json.dumps(data, ensure_ascii=False).encode("utf-8")
    except UnicodeEncodeError:
        raise WhatIfRefused(
            "facts_json",
            "文件中有无效的字符（单独的代理码位，如 \\ud800）",
            "the file holds an invalid character (a lone surrogate such as \\ud800)",
            field="facts",
        ) from None
    if not isinstance(data, dict):
        raise WhatIfRefused(
            "facts_form",
            "人员事实须为 JSON 对象（{…}）",
            "the facts must be a JSON object ({…})",
            field="facts",
        )
    return data


def _unknown_benefit(code: str) -> WhatIfRefused:
    known = ", ".join(sorted(shipped_catalogue()))
    return WhatIfRefused(
        "benefit_unknown",
        f"惠残事项不存在：{code}（可用：{known}）",
        f"unknown benefit: {code} (known: {known})",
        field="benefit",
    )


def _texts(code: str, as_of: dt.date, region: str, use_db: bool) -> tuple[str | None, str | None]:
    """(base text, widening text for ``region``) in force on ``as_of``."""
    if not use_db:
        item = shipped_catalogue().get(code)
        if item is None:
            raise _unknown_benefit(code)
        rule = item.rule_on(as_of)
        return (rule.text if rule else None), None
    from dpf.benefits.eligibility import rules_in_force
    from dpf.benefits.models import BenefitItem

    benefit = BenefitItem.objects.filter(code=code).first()
    if benefit is None:
        raise _unknown_benefit(code)
    rules = rules_in_force(benefit, as_of)
    widen = rules.widenings.get(region[:6]) if region else None
    return (rules.base.text if rules.base else None), (widen.text if widen else None)


def evaluate(
    code: str,
    facts: dict[str, Any],
    as_of: dt.date,
    *,
    region: str = "",
    use_db: bool = False,
) -> dict[str, Any]:
    """``{"benefit", "eligible", "clauses": [{"text", "value", "label", "label_en"}], …}``."""
    from dpf.rules import facts_from_json

    base_text, widen_text = _texts(code, as_of, region, use_db)
    if base_text is None and widen_text is None:
        raise WhatIfRefused(
            "no_rule",
            f"{code} 在 {as_of.isoformat()} 没有生效的规则",
            f"{code} has no rule in force on {as_of.isoformat()}",
            field="as_of",
        )
    data = dict(facts)
    if region and not data.get("residence_region"):
        data["residence_region"] = region
    person = facts_from_json(data, as_of)  # refuses invalid facts, naming the field
    eligible = False
    clauses: list[dict[str, Any]] = []
    if base_text is not None:
        result = compiled(base_text).evaluate(person)
        eligible = bool(result.value)
        clauses = [_json(c) for c in clauses_of(result)]
    out: dict[str, Any] = {
        "benefit": code,
        "as_of": as_of.isoformat(),
        "eligible": eligible,
        "clauses": clauses,
        "source": "database" if use_db else "catalogue",
    }
    if widen_text is not None:
        widened = compiled(widen_text).evaluate(person)
        out["eligible"] = eligible or bool(widened.value)
        out["widening_region"] = region[:6]
        out["widening_clauses"] = [_json(c) for c in clauses_of(widened)]
    return out


def _json(clause: Any) -> dict[str, Any]:
    value = clause.value
    if not (value is None or isinstance(value, bool | int | float | str)):
        value = str(value)
    return {"text": clause.text, "value": value, "label": clause.label, "label_en": clause.label_en}
