"""Type checking: the constructors of the typed tree refuse what does not type-check.

Every refusal names the construct and its position, in Chinese and English.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

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
    Pos,
    Scalar,
    Type,
)
from dpf.rules.catalogue import (
    ATTRIBUTES,
    PREDICATES,
    REGION_CODE,
    insurance_kinds,
    receiving_codes,
)
from dpf.rules.errors import RuleError


def refuse(code: str, zh: str, en: str, pos: Pos | None) -> RuleError:
    return RuleError(
        code,
        zh,
        en,
        line=pos.line if pos else None,
        column=pos.column if pos else None,
    )


def literal(pos: Pos, value: Scalar) -> Literal:
    if isinstance(value, bool):
        t = Type.BOOL
    elif isinstance(value, int):
        t = Type.INT
    elif isinstance(value, Decimal):
        t = Type.NUMBER
    elif isinstance(value, str):
        t = Type.STRING
    else:
        t = Type.DATE
    return Literal(pos, t, value)


def attribute(pos: Pos, name: str) -> Attr:
    attr = ATTRIBUTES.get(name)
    if attr is None:
        raise refuse(
            "unknown_attribute",
            f"未知的属性“{name}”（可用属性见规则语言说明）",
            f"unknown attribute '{name}' (see the rule language's catalogue)",
            pos,
        )
    return Attr(pos, attr.type, name)


def date_literal(pos: Pos, args: list[Node]) -> Literal:
    if len(args) != 1 or not (isinstance(args[0], Literal) and args[0].type is Type.STRING):
        raise refuse(
            "date_argument",
            'date() 需要一个形如 "YYYY-MM-DD" 的字符串',
            'date() takes one string like "YYYY-MM-DD"',
            pos,
        )
    text = str(args[0].value)
    try:
        if len(text) != 10:
            raise ValueError(text)
        value = dt.date.fromisoformat(text)
    except ValueError:
        raise refuse(
            "date_invalid",
            f"日期“{text}”无效，应为 YYYY-MM-DD",
            f"'{text}' is not a valid date (YYYY-MM-DD)",
            args[0].pos,
        ) from None
    return Literal(pos, Type.DATE, value)


def call(pos: Pos, name: str, args: list[Node]) -> Node:
    if name == "date":
        return date_literal(pos, args)
    pred = PREDICATES.get(name)
    if pred is None:
        raise refuse(
            "unknown_function",
            f"未知的函数“{name}()”（可用函数：in_region、insured、receiving、date）",
            f"unknown function '{name}()' (known: in_region, insured, receiving, date)",
            pos,
        )
    if len(args) != 1:
        raise refuse(
            "argument_count",
            f"{name}() 需要恰好一个参数，实际为 {len(args)} 个",
            f"{name}() takes exactly one argument, {len(args)} given",
            pos,
        )
    arg = args[0]
    if not (isinstance(arg, Literal) and arg.type is Type.STRING):
        raise refuse(
            "argument_type",
            f"{name}() 的参数须为字符串常量，实际为{arg.type.zh}",
            f"{name}() takes a string literal, got {arg.type.value}",
            arg.pos,
        )
    code = str(arg.value)
    if name == "in_region" and not REGION_CODE.match(code):
        raise refuse(
            "region_code",
            f"in_region() 的参数“{code}”不是6、9或12位的区划代码",
            f"in_region() argument '{code}' is not a 6, 9 or 12 digit region code",
            arg.pos,
        )
    if name == "insured" and code not in insurance_kinds():
        raise refuse(
            "unknown_code",
            f"insured() 的险种“{code}”未知（可用：{'、'.join(sorted(insurance_kinds()))}）",
            f"unknown insurance kind '{code}' (known: {', '.join(sorted(insurance_kinds()))})",
            arg.pos,
        )
    if name == "receiving" and code not in receiving_codes():
        raise refuse(
            "unknown_code",
            f"receiving() 的代码“{code}”未知",
            f"receiving() code '{code}' is unknown",
            arg.pos,
        )
    return Call(pos, Type.BOOL, name, code)


def _need(node: Node, want: Type, what_zh: str, what_en: str) -> None:
    if node.type is not want:
        raise refuse(
            "type_mismatch",
            f"{what_zh}须为{want.zh}，实际为{node.type.zh}",
            f"{what_en} must be {want.value}, got {node.type.value}",
            node.pos,
        )


def _need_number(node: Node, what_zh: str, what_en: str) -> None:
    if not node.type.numeric:
        raise refuse(
            "type_mismatch",
            f"{what_zh}须为数值，实际为{node.type.zh}",
            f"{what_en} must be a number, got {node.type.value}",
            node.pos,
        )


def logical_not(pos: Pos, operand: Node) -> Not:
    _need(operand, Type.BOOL, "“!”的操作数", "the operand of '!'")
    return Not(pos, Type.BOOL, operand)


def negate(pos: Pos, operand: Node) -> Node:
    _need_number(operand, "“-”的操作数", "the operand of '-'")
    if isinstance(operand, Literal) and not isinstance(operand.value, bool | str | dt.date):
        return Literal(pos, operand.type, -operand.value)
    return Neg(pos, operand.type, operand)


def bool_op(pos: Pos, op: str, left: Node, right: Node) -> BoolOp:
    _need(left, Type.BOOL, f"“{op}”的左侧", f"the left side of '{op}'")
    _need(right, Type.BOOL, f"“{op}”的右侧", f"the right side of '{op}'")
    return BoolOp(pos, Type.BOOL, op, left, right)


def _comparable(a: Type, b: Type) -> bool:
    return a is b or (a.numeric and b.numeric)


def _check_value(attr_side: Node, value_side: Node) -> None:
    """A string attribute with a closed set of values is compared only with known values."""
    if not (isinstance(attr_side, Attr) and isinstance(value_side, Literal)):
        return
    attr = ATTRIBUTES[attr_side.name]
    if attr.values is None or attr.type is not Type.STRING:
        return
    known = attr.values()
    if value_side.value not in known:
        shown = "、".join(f'"{k}"' for k in known)
        shown_en = ", ".join(f'"{k}"' for k in known)
        raise refuse(
            "unknown_value",
            f"“{attr.name}”没有取值“{value_side.value}”（可用：{shown}）",
            f"'{attr.name}' has no value '{value_side.value}' (known: {shown_en})",
            value_side.pos,
        )


def compare(pos: Pos, op: str, left: Node, right: Node) -> Compare:
    if not _comparable(left.type, right.type):
        raise refuse(
            "type_mismatch",
            f"不能用“{op}”比较{left.type.zh}与{right.type.zh}",
            f"cannot compare {left.type.value} with {right.type.value} using '{op}'",
            pos,
        )
    if op not in ("==", "!=") and not (left.type.numeric or left.type is Type.DATE):
        raise refuse(
            "type_mismatch",
            f"“{op}”只能比较数值或日期，不能比较{left.type.zh}",
            f"'{op}' compares numbers or dates only, not {left.type.value}",
            pos,
        )
    _check_value(left, right)
    _check_value(right, left)
    return Compare(pos, Type.BOOL, op, left, right)


def list_literal(pos: Pos, items: list[Node]) -> ListLit:
    lits: list[Literal] = []
    for item in items:
        if not isinstance(item, Literal):
            raise refuse(
                "list_item",
                "列表中只能是常量（数字、字符串、日期）",
                "a list may hold only literals (numbers, strings, dates)",
                item.pos,
            )
        lits.append(item)
    if lits:
        t = lits[0].type
        for item in lits[1:]:
            if not _comparable(t, item.type):
                raise refuse(
                    "list_mixed",
                    f"列表中的值类型不一致：{t.zh}与{item.type.zh}",
                    f"a list mixes {t.value} and {item.type.value}",
                    item.pos,
                )
            if item.type is Type.NUMBER:
                t = Type.NUMBER
    else:
        t = Type.INT
    return ListLit(pos, t, tuple(lits))


def membership(pos: Pos, left: Node, right: Node) -> In:
    if not isinstance(right, ListLit):
        raise refuse(
            "in_needs_list",
            "“in”的右侧须为常量列表，如 [1, 2]",
            "the right side of 'in' must be a list of literals such as [1, 2]",
            right.pos,
        )
    if left.type is Type.BOOL:
        raise refuse(
            "type_mismatch",
            "“in”的左侧不能是布尔值",
            "the left side of 'in' cannot be a bool",
            left.pos,
        )
    for item in right.items:
        if not _comparable(left.type, item.type):
            raise refuse(
                "type_mismatch",
                f"不能在{item.type.zh}列表中查找{left.type.zh}",
                f"cannot look for a {left.type.value} in a list of {item.type.value}",
                item.pos,
            )
        _check_value(left, item)
    return In(pos, Type.BOOL, left, right)


def arith(pos: Pos, op: str, left: Node, right: Node) -> Node:
    _need_number(left, f"“{op}”的左侧", f"the left side of '{op}'")
    _need_number(right, f"“{op}”的右侧", f"the right side of '{op}'")
    if op == "/" and not (isinstance(right, Literal) and right.value != 0):
        raise refuse(
            "division",
            "只能除以非零的数字常量",
            "division only by a non-zero number literal",
            right.pos,
        )
    t = Type.INT if left.type is Type.INT and right.type is Type.INT else Type.NUMBER
    return Arith(pos, t, op, left, right)


def conditional(pos: Pos, cond: Node, then: Node, orelse: Node) -> Cond:
    _need(cond, Type.BOOL, "“? :”的条件", "the condition of '? :'")
    for branch in (then, orelse):
        if not branch.type.numeric:
            raise refuse(
                "ternary_type",
                f"“? :”的两个分支须为数值，实际为{branch.type.zh}",
                f"both branches of '? :' must be numbers, got {branch.type.value}",
                branch.pos,
            )
    t = Type.INT if then.type is Type.INT and orelse.type is Type.INT else Type.NUMBER
    return Cond(pos, t, cond, then, orelse)


def top_level(node: Node, kind: str) -> Node:
    if kind == "bool" and node.type is not Type.BOOL:
        raise refuse(
            "not_boolean",
            f"条件规则的结果须为布尔值，实际为{node.type.zh}",
            f"a condition must be a bool, got {node.type.value}",
            node.pos,
        )
    if kind == "number" and not node.type.numeric:
        raise refuse(
            "not_number",
            f"金额公式的结果须为数值，实际为{node.type.zh}",
            f"an amount formula must be a number, got {node.type.value}",
            node.pos,
        )
    return node
