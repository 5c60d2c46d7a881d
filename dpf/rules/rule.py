"""``compile_rule``: one rule text, checked once, usable as SQL and in Python."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from functools import lru_cache
from typing import Literal as Kind

from django.db.models import Q, QuerySet
from django.db.models.expressions import Expression

from dpf.registry.models import Person
from dpf.rules import evaluate, labels, parser, sql
from dpf.rules.ast import Attr, Call, Node, walk
from dpf.rules.errors import RuleError
from dpf.rules.evaluate import Clause, Explanation
from dpf.rules.facts import Facts


class Rule:
    """A checked rule. ``kind`` is ``"bool"`` (a condition) or ``"number"`` (an amount)."""

    def __init__(self, text: str, kind: str, root: Node) -> None:
        self.text = text
        self.kind = kind
        self.root = root
        nodes = walk(root)
        self.attributes: frozenset[str] = frozenset(
            n.name for n in nodes if isinstance(n, Attr | Call)
        )
        self.receiving_codes: frozenset[str] = frozenset(
            n.arg for n in nodes if isinstance(n, Call) and n.name == "receiving"
        )

    def __repr__(self) -> str:
        return f"Rule({self.text!r}, kind={self.kind!r})"

    def _need(self, kind: str) -> None:
        if self.kind != kind:
            raise RuleError(
                "rule_kind",
                "条件规则与金额公式不能混用",
                f"this is a {self.kind} rule, not a {kind} rule",
            )

    # --- SQL ------------------------------------------------------------------------------

    def filter(self, queryset: QuerySet[Person], as_of: dt.date) -> QuerySet[Person]:
        """The persons of ``queryset`` for whom the condition holds on ``as_of`` (one query)."""
        self._need("bool")
        return sql.filter_queryset(self.root, queryset, as_of)

    def q(self, as_of: dt.date) -> Q:
        """The condition as a ``Q`` over ``Person`` (correlated subqueries, no aliases), to
        combine with other conditions."""
        self._need("bool")
        return sql.condition_q(self.root, as_of)

    def expression(self, as_of: dt.date) -> Expression:
        """A number rule as an expression over ``Person``, for ``.annotate()``."""
        self._need("number")
        return sql.value_expression(self.root, as_of)

    # --- Python ---------------------------------------------------------------------------

    def evaluate(self, facts: Facts) -> Explanation:
        """The condition for one person, with the value and label of every clause."""
        self._need("bool")
        env = evaluate.FactsEnv(facts)
        clauses = []
        for leaf in evaluate.leaves(self.root):
            truth = bool(evaluate.value(leaf, env))
            text = self.text[leaf.pos.start : leaf.pos.end]
            zh, en = labels.clause_label(leaf, truth, text)
            clauses.append(Clause(text=text, value=truth, label_zh=zh, label_en=en))
        return Explanation(value=bool(evaluate.value(self.root, env)), clauses=clauses)

    def evaluate_number(self, facts: Facts) -> Decimal:
        """The amount for one person (exact; round as the standard requires)."""
        self._need("number")
        result = evaluate.value(self.root, evaluate.FactsEnv(facts))
        assert isinstance(result, int | Decimal)
        assert not isinstance(result, bool)
        return Decimal(result)


def compile_rule(text: str, *, kind: Kind["bool", "number"] = "bool") -> Rule:
    """Parse and check ``text``; raises ``RuleError`` naming the place and the problem.

    A rule's meaning depends on its text alone (the parser and the checker read no
    database), and a ``Rule`` is never changed once built, so each text is compiled once
    per process: a snapshot compiles the same sixty indicator rules every month."""
    if kind not in ("bool", "number"):
        raise RuleError("rule_kind", "规则类型须为 bool 或 number", "kind must be bool or number")
    return _compiled(text, kind)


@lru_cache(maxsize=4096)
def _compiled(text: str, kind: str) -> Rule:
    return Rule(text, kind, parser.parse(text, kind))
