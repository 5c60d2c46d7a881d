"""The typed syntax tree of a checked rule (built from cel-python's lark tree)."""

from __future__ import annotations

import datetime as dt
import enum
from dataclasses import dataclass
from decimal import Decimal


class Type(enum.Enum):
    BOOL = "bool"
    INT = "int"
    NUMBER = "number"  # CEL double; evaluated as Decimal
    STRING = "string"
    DATE = "date"

    @property
    def numeric(self) -> bool:
        return self in (Type.INT, Type.NUMBER)

    @property
    def zh(self) -> str:
        return TYPE_ZH[self]


TYPE_ZH = {
    Type.BOOL: "布尔值",
    Type.INT: "整数",
    Type.NUMBER: "数值",
    Type.STRING: "字符串",
    Type.DATE: "日期",
}

Scalar = bool | int | Decimal | str | dt.date


@dataclass(frozen=True)
class Pos:
    """Where a node is in the rule text: 1-based line and column, 0-based slice."""

    line: int
    column: int
    start: int
    end: int


@dataclass(frozen=True, eq=False)
class Node:
    pos: Pos
    type: Type


@dataclass(frozen=True, eq=False)
class Literal(Node):
    value: Scalar


@dataclass(frozen=True, eq=False)
class ListLit(Node):
    """A list of literals, only ever the right side of ``in`` (``type`` is the item type)."""

    items: tuple[Literal, ...]


@dataclass(frozen=True, eq=False)
class Attr(Node):
    """A catalogue attribute such as ``age`` or ``certificate.level``."""

    name: str


@dataclass(frozen=True, eq=False)
class Call(Node):
    """A catalogue predicate with one string literal argument: ``receiving("x")``."""

    name: str
    arg: str


@dataclass(frozen=True, eq=False)
class Not(Node):
    operand: Node


@dataclass(frozen=True, eq=False)
class Neg(Node):
    operand: Node


@dataclass(frozen=True, eq=False)
class BoolOp(Node):
    op: str  # "&&" or "||"
    left: Node
    right: Node


@dataclass(frozen=True, eq=False)
class Compare(Node):
    op: str  # == != < <= > >=
    left: Node
    right: Node


@dataclass(frozen=True, eq=False)
class In(Node):
    left: Node
    items: ListLit


@dataclass(frozen=True, eq=False)
class Arith(Node):
    op: str  # + - * /
    left: Node
    right: Node


@dataclass(frozen=True, eq=False)
class Cond(Node):
    """``c ? a : b`` over numbers."""

    cond: Node
    then: Node
    orelse: Node


def walk(node: Node) -> list[Node]:
    """Every node under ``node`` (itself included), parents first."""
    out: list[Node] = [node]
    for child in children(node):
        out.extend(walk(child))
    return out


def children(node: Node) -> tuple[Node, ...]:
    if isinstance(node, Not | Neg):
        return (node.operand,)
    if isinstance(node, BoolOp | Compare | Arith):
        return (node.left, node.right)
    if isinstance(node, In):
        return (node.left, node.items)
    if isinstance(node, Cond):
        return (node.cond, node.then, node.orelse)
    if isinstance(node, ListLit):
        return node.items
    return ()


# Attributes that do not depend on the person (constant for one evaluation date).
PERSON_FREE = frozenset({"as_of"})


def person_free(node: Node) -> bool:
    """True when ``node`` reads nothing about the person (it folds to a constant)."""
    for n in walk(node):
        if isinstance(n, Call):
            return False
        if isinstance(n, Attr) and n.name not in PERSON_FREE:
            return False
    return True
