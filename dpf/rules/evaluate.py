"""The Python evaluator: one person's facts in, every clause's value out.

It follows the same definitions as the SQL compiler (``sql.py``), attribute by attribute;
the property test in ``tests/rules`` checks that both agree.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import ROUND_DOWN, Decimal
from typing import Protocol

from dpf.core.dates import age_on
from dpf.core.models import region_prefix
from dpf.rules.ast import (
    Arith,
    Attr,
    BoolOp,
    Call,
    Compare,
    Cond,
    In,
    ListLit,
    Literal,
    Neg,
    Node,
    Not,
    Scalar,
    Type,
)
from dpf.rules.catalogue import ATTRIBUTES, SURVEY_FIELDS
from dpf.rules.facts import DEFERRED, Facts


class Env(Protocol):
    as_of: dt.date

    def attribute(self, name: str) -> Scalar: ...

    def call(self, name: str, arg: str) -> bool: ...


class FactsEnv:
    def __init__(self, facts: Facts) -> None:
        self.facts = facts
        self.as_of = facts.as_of

    def _cert_valid(self) -> bool:
        cert = self.facts.certificate
        return cert is not None and cert.valid_on(self.as_of)

    def attribute(self, name: str) -> Scalar:  # noqa: C901
        f = self.facts
        if name == "age":
            return age_on(f.birth_date, f.as_of)
        if name == "sex":
            return f.sex
        if name == "alive":
            return f.alive
        if name == "birth_date":
            return f.birth_date
        if name == "as_of":
            return f.as_of
        if name.startswith("certificate."):
            valid = self._cert_valid()
            cert = f.certificate
            if name == "certificate.valid":
                return valid
            level = cert.level if valid and cert is not None else 0
            if name == "certificate.level":
                return level
            if name == "certificate.severe":
                return level in (1, 2)
            return cert.category if valid and cert is not None else 0
        if name == "household.status":
            return f.household_status
        if name == "household.dibao_ended_days":
            return f.dibao_ended_days
        if name in DEFERRED or ATTRIBUTES[name].sourced:
            return f.deferred.get(name, ATTRIBUTES[name].default)
        if name == "in_destitute_care":
            return f.in_destitute_care
        if name == "long_term_care_need":
            return f.long_term_care_need
        if name == "in_school":
            return f.in_school
        if name == "survey.device_need":
            return bool(f.survey.get("device_need") or "")
        default = ATTRIBUTES[name].default
        raw = f.survey.get(SURVEY_FIELDS[name])
        if raw is None:
            return default
        if isinstance(default, Decimal):
            return Decimal(str(raw))
        if isinstance(default, bool):
            return bool(raw)
        return str(raw)

    def call(self, name: str, arg: str) -> bool:
        f = self.facts
        if name == "in_region":
            return f.residence_region.startswith(region_prefix(arg))
        if name == "insured":
            return arg in f.insured
        return arg in f.receiving


class ConstEnv:
    """For parts of a rule that read nothing about the person (only ``as_of``)."""

    def __init__(self, as_of: dt.date) -> None:
        self.as_of = as_of

    def attribute(self, name: str) -> Scalar:
        if name == "as_of":
            return self.as_of
        raise KeyError(name)  # pragma: no cover - only person-free nodes are folded

    def call(self, name: str, arg: str) -> bool:
        raise KeyError(name)  # pragma: no cover


class DefaultEnv(ConstEnv):
    """A person about whom one fact is unknown: ``name`` takes its default."""

    def __init__(self, as_of: dt.date, name: str, default: Scalar) -> None:
        super().__init__(as_of)
        self.name = name
        self.default = default

    def attribute(self, name: str) -> Scalar:
        return self.default if name == self.name else super().attribute(name)


def _number(value: Scalar) -> Decimal:
    assert isinstance(value, int | Decimal)
    assert not isinstance(value, bool)
    return Decimal(value)


def value(node: Node, env: Env) -> Scalar:  # noqa: C901
    """The value of ``node`` (a bool, int, Decimal, str or date)."""
    if isinstance(node, Literal):
        return node.value
    if isinstance(node, Attr):
        return env.attribute(node.name)
    if isinstance(node, Call):
        return env.call(node.name, node.arg)
    if isinstance(node, Not):
        return not value(node.operand, env)
    if isinstance(node, BoolOp):
        left = value(node.left, env)
        right = value(node.right, env)
        return (left and right) if node.op == "&&" else (left or right)
    if isinstance(node, Compare):
        return _compare(node.op, value(node.left, env), value(node.right, env))
    if isinstance(node, In):
        left = value(node.left, env)
        return any(_compare("==", left, item.value) for item in node.items.items)
    if isinstance(node, Neg):
        operand = value(node.operand, env)
        return -operand if isinstance(operand, int) else -_number(operand)
    if isinstance(node, Arith):
        return _arith(node, value(node.left, env), value(node.right, env))
    if isinstance(node, Cond):
        chosen = node.then if value(node.cond, env) else node.orelse
        result = value(chosen, env)
        return _number(result) if node.type is Type.NUMBER else result
    if isinstance(node, ListLit):  # pragma: no cover - lists only appear under ``in``
        raise TypeError("a list has no single value")
    raise TypeError(type(node).__name__)  # pragma: no cover


def _compare(op: str, left: Scalar, right: Scalar) -> bool:
    if op == "==":
        return left == right
    if op == "!=":
        return left != right
    if op == "<":
        return left < right  # type: ignore[operator]
    if op == "<=":
        return left <= right  # type: ignore[operator]
    if op == ">":
        return left > right  # type: ignore[operator]
    return left >= right  # type: ignore[operator]


def _arith(node: Arith, left: Scalar, right: Scalar) -> Scalar:
    if node.type is Type.INT:
        assert isinstance(left, int)
        assert isinstance(right, int)
        if node.op == "+":
            return left + right
        if node.op == "-":
            return left - right
        if node.op == "*":
            return left * right
        # integer division truncates toward zero, as in CEL and in SQL
        return int((Decimal(left) / Decimal(right)).to_integral_value(rounding=ROUND_DOWN))
    a, b = _number(left), _number(right)
    if node.op == "+":
        return a + b
    if node.op == "-":
        return a - b
    if node.op == "*":
        return a * b
    return a / b


# --- explanation ---------------------------------------------------------------------------


@dataclass(frozen=True)
class Clause:
    """One leaf of the rule's top-level ``&&``/``||`` tree, with its value and a label
    such as "符合：一级残疾" / "met: disability level is 1"."""

    text: str
    value: bool
    label_zh: str
    label_en: str


@dataclass(frozen=True)
class Explanation:
    value: bool
    clauses: list[Clause]


def leaves(node: Node) -> list[Node]:
    """The clauses of a condition: the leaves of its top-level ``&&``/``||`` tree."""
    if isinstance(node, BoolOp):
        return leaves(node.left) + leaves(node.right)
    return [node]
