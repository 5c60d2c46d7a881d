"""Readable Chinese and English for a clause, generated from the tree.

A phrase states the person's actual situation: for ``household.status == "dibao"`` it is
"家庭为低保" when the clause is true and "家庭非低保" when false; the clause label puts
"符合"/"不符合" (met / not met) in front.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

from dpf.rules.ast import Attr, Call, Compare, In, Literal, Node, Not, Scalar, Type
from dpf.rules.catalogue import (
    ATTRIBUTES,
    PREDICATES,
    insurance_kinds,
    receiving_label,
)

# op -> (Chinese, English) wording, and the opposite of each operator
_NUMBER_OPS = {
    "==": ("为", "is"),
    "!=": ("不为", "is not"),
    "<": ("小于", "is less than"),
    "<=": ("不大于", "is at most"),
    ">": ("大于", "is more than"),
    ">=": ("不小于", "is at least"),
}
_DATE_OPS = {
    "==": ("为", "is"),
    "!=": ("不为", "is not"),
    "<": ("早于", "is before"),
    "<=": ("不晚于", "is on or before"),
    ">": ("晚于", "is after"),
    ">=": ("不早于", "is on or after"),
}
_OPPOSITE = {"==": "!=", "!=": "==", "<": ">=", ">=": "<", ">": "<=", "<=": ">"}
_FLIPPED = {"==": "==", "!=": "!=", "<": ">", ">": "<", "<=": ">=", ">=": "<="}


def _show(v: Scalar) -> str:
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, dt.date):
        return v.isoformat()
    if isinstance(v, Decimal):
        return format(v.normalize(), "f") if v == v.to_integral_value() else format(v, "f")
    return str(v)


def value_label(attr: Attr, v: Scalar) -> tuple[str, str]:
    spec = ATTRIBUTES[attr.name]
    if spec.values is not None:
        known: dict[Any, tuple[str, str]] = spec.values()
        if v in known:
            return known[v]
    shown = _show(v)
    return f"{shown}{spec.unit_zh}", f"{shown}{spec.unit_en}"


def _fallback(text: str, truth: bool) -> tuple[str, str]:
    if truth:
        return f"条件“{text}”成立", f"'{text}' holds"
    return f"条件“{text}”不成立", f"'{text}' does not hold"


def describe(node: Node, truth: bool, text: str) -> tuple[str, str]:
    """What the clause ``node`` says about the person when its value is ``truth``."""
    if isinstance(node, Not):
        return describe(node.operand, not truth, text)
    if isinstance(node, Attr) and node.type is Type.BOOL:
        spec = ATTRIBUTES[node.name]
        return (spec.yes_zh, spec.yes_en) if truth else (spec.no_zh, spec.no_en)
    if isinstance(node, Literal) and isinstance(node.value, bool):
        return _fallback(text, truth)
    if isinstance(node, Call):
        return _call(node, truth)
    if isinstance(node, Compare):
        return _compare(node, truth, text)
    if isinstance(node, In) and isinstance(node.left, Attr):
        return _membership(node, truth)
    return _fallback(text, truth)


def _call(node: Call, truth: bool) -> tuple[str, str]:
    if node.name == "in_region":
        if truth:
            return f"居住在{node.arg}地区", f"lives in region {node.arg}"
        return f"不居住在{node.arg}地区", f"does not live in region {node.arg}"
    if node.name == "insured":
        zh, en = insurance_kinds().get(node.arg, (node.arg, node.arg))
        return (
            (f"参加{zh}", f"enrolled in {en}")
            if truth
            else (f"未参加{zh}", f"not enrolled in {en}")
        )
    zh, en = receiving_label(node.arg)
    assert node.name in PREDICATES
    return (f"领取{zh}", f"receives {en}") if truth else (f"未领取{zh}", f"does not receive {en}")


def _compare(node: Compare, truth: bool, text: str) -> tuple[str, str]:
    op, left, right = node.op, node.left, node.right
    if isinstance(right, Attr) and isinstance(left, Literal):
        op, left, right = _FLIPPED[op], right, left
    if not (isinstance(left, Attr) and isinstance(right, Literal)):
        return _fallback(text, truth)
    if left.type is Type.BOOL:
        # ``x == true`` / ``x != false``: describe x itself
        positive = (right.value is True) == (op == "==")
        return describe(left, truth == positive, text)
    if not truth:
        op = _OPPOSITE[op]
    spec = ATTRIBUTES[left.name]
    words = _DATE_OPS if left.type is Type.DATE else _NUMBER_OPS
    op_zh, op_en = words[op]
    if op in ("==", "!=") and spec.values is not None:
        op_zh = "为" if op == "==" else "非"
    v_zh, v_en = value_label(left, right.value)
    return f"{spec.label_zh}{op_zh}{v_zh}", f"{spec.label_en} {op_en} {v_en}"


def _membership(node: In, truth: bool) -> tuple[str, str]:
    assert isinstance(node.left, Attr)
    spec = ATTRIBUTES[node.left.name]
    names = [value_label(node.left, item.value) for item in node.items.items]
    if not names:
        return (f"{spec.label_zh}不在空列表中", f"{spec.label_en} is not in an empty list")
    zh = "或".join(n[0] for n in names)
    en = " or ".join(n[1] for n in names)
    if truth:
        return f"{spec.label_zh}为{zh}", f"{spec.label_en} is {en}"
    return f"{spec.label_zh}非{zh}", f"{spec.label_en} is not {en}"


def clause_label(node: Node, truth: bool, text: str) -> tuple[str, str]:
    zh, en = describe(node, truth, text)
    if truth:
        return f"符合：{zh}", f"met: {en}"
    return f"不符合：{zh}", f"not met: {en}"
