"""From rule text to the typed tree: cel-python's parser gives a lark tree, which is walked
here into our own nodes. Constructs outside the subset are refused by name and position.
"""

from __future__ import annotations

import re
import unicodedata
from decimal import Decimal, InvalidOperation
from typing import Any

from celpy.celparser import CELParseError, CELParser
from lark import Token, Tree

from dpf.rules import checker
from dpf.rules.ast import ListLit, Literal, Node, Pos, children
from dpf.rules.checker import refuse

MAX_LENGTH = 10_000
MAX_DEPTH = 60
# Numbers stay within what amounts, ages and counts need (below 10^15, CEL's integers are
# 64-bit), so a literal can never overflow a database column or become infinity.
MAX_NUMBER = 10**15
# Characters no rule text holds, even inside a string: controls (line breaks and tabs
# aside), format characters (text-direction overrides and isolates, zero-width ones: the
# rule would read differently from what it does), private-use, unassigned, separators.
_REFUSED_CATEGORIES = frozenset({"Cc", "Cf", "Co", "Cs", "Cn", "Zl", "Zp"})
MACROS = frozenset({"all", "exists", "exists_one", "map", "filter", "has"})

_parser: CELParser | None = None


def _cel() -> CELParser:
    global _parser
    if _parser is None:
        _parser = CELParser()
    return _parser


def parse(text: str, kind: str = "bool") -> Node:
    """The checked tree of ``text``; raises ``RuleError``."""
    if not text or not text.strip():
        raise refuse("rule_empty", "规则为空", "the rule is empty", Pos(1, 1, 0, 0))
    if len(text) > MAX_LENGTH:
        raise refuse(
            "rule_too_long",
            f"规则过长（超过{MAX_LENGTH}个字符）",
            f"the rule is too long (over {MAX_LENGTH} characters)",
            Pos(1, 1, 0, 0),
        )
    _check_characters(text)
    try:
        tree = _cel().parse(text)
    except CELParseError as exc:
        line = exc.line or 1
        column = exc.column or 1
        near = _near(text, line, column)
        raise refuse(
            "syntax",
            f"语法错误，在“{near}”处" if near else "语法错误，规则不完整",
            f"syntax error at '{near}'" if near else "syntax error: the rule is incomplete",
            Pos(line, column, 0, 0),
        ) from None
    except RecursionError:
        raise refuse(
            "rule_too_deep",
            "规则嵌套过深",
            "the rule is nested too deeply",
            Pos(1, 1, 0, 0),
        ) from None
    try:
        root = _Walker(text).node(tree, Pos(1, 1, 0, len(text)))
    except RecursionError:
        root = None
    if root is None or depth(root) > MAX_DEPTH:
        raise refuse(
            "rule_too_deep",
            f"规则嵌套过深（超过{MAX_DEPTH}层）",
            f"the rule is nested too deeply (over {MAX_DEPTH} levels)",
            Pos(1, 1, 0, 0),
        )
    return checker.top_level(root, kind)


def _check_characters(text: str) -> None:
    line, column = 1, 0
    for char in text:
        column += 1
        if char == "\n":
            line, column = line + 1, 0
            continue
        if char in "\t\r" or unicodedata.category(char) not in _REFUSED_CATEGORIES:
            continue
        point = f"U+{ord(char):04X}"
        raise refuse(
            "rule_characters",
            f"规则中有控制字符或不可见的格式字符（{point}，如文字方向控制符），请删除",
            f"the rule holds a control or invisible formatting character ({point}, such as "
            "a text-direction override): remove it",
            Pos(line, column, 0, 0),
        )


def depth(root: Node) -> int:
    """The nesting depth of the tree (without recursion)."""
    deepest = 0
    stack = [(root, 1)]
    while stack:
        node, level = stack.pop()
        deepest = max(deepest, level)
        stack.extend((child, level + 1) for child in children(node))
    return deepest


def _near(text: str, line: int, column: int) -> str:
    lines = text.splitlines()
    if not 1 <= line <= len(lines):
        return ""
    rest = lines[line - 1][column - 1 :]
    return rest[:12].strip()


_ESCAPES = {
    "a": "\a",
    "b": "\b",
    "f": "\f",
    "n": "\n",
    "r": "\r",
    "t": "\t",
    "v": "\v",
    '"': '"',
    "'": "'",
    "\\": "\\",
    "`": "`",
    "?": "?",
}
_ESCAPE = re.compile(
    r"\\(?:([abfnrtv\"'\\`?])|([0-3][0-7]{2})|x([0-9a-fA-F]{2})|u([0-9a-fA-F]{4})|U([0-9a-fA-F]{8}))"
)


def decode_string(raw: str) -> str:
    """The value of a CEL string literal (quotes, raw prefix and escapes)."""
    is_raw = raw[:1] in "rR"
    body = raw[1:] if is_raw else raw
    quote = 3 if body[:3] in ('"""', "'''") else 1
    body = body[quote:-quote]
    if is_raw:
        return body

    def one(m: re.Match[str]) -> str:
        simple, octal, hex2, u4, u8 = m.groups()
        if simple:
            return _ESCAPES[simple]
        return chr(int(octal, 8) if octal else int(hex2 or u4 or u8, 16))

    return _ESCAPE.sub(one, body)


def _out_of_range(pos: Pos) -> Exception:
    return refuse(
        "number_range",
        "数字超出范围（绝对值须小于10的15次方）",
        "the number is out of range (its absolute value must be below 10^15)",
        pos,
    )


class _Walker:
    def __init__(self, text: str) -> None:
        self.text = text

    def pos(self, item: Tree[Any] | Token, parent: Pos) -> Pos:
        if isinstance(item, Token):
            if item.line is None or item.column is None:
                return parent
            return Pos(item.line, item.column, item.start_pos or 0, item.end_pos or 0)
        meta = item.meta
        if getattr(meta, "empty", True):
            return parent
        return Pos(meta.line, meta.column, meta.start_pos, meta.end_pos)

    def node(self, tree: Tree[Any] | Token, parent: Pos) -> Node:
        if isinstance(tree, Token):  # pragma: no cover - the grammar wraps every token
            raise refuse("syntax", "语法错误", "syntax error", self.pos(tree, parent))
        pos = self.pos(tree, parent)
        handler = getattr(self, "_" + str(tree.data), None)
        if handler is None:
            raise refuse(
                "unsupported",
                f"不支持的写法（{tree.data}）",
                f"unsupported construct ({tree.data})",
                pos,
            )
        result: Node = handler(tree, pos)
        return result

    # expr : conditionalor ["?" conditionalor ":" expr]
    def _expr(self, t: Tree[Any], pos: Pos) -> Node:
        if len(t.children) == 1:
            return self.node(t.children[0], pos)
        cond, then, orelse = (self.node(c, pos) for c in t.children)
        return checker.conditional(pos, cond, then, orelse)

    def _chain(self, t: Tree[Any], pos: Pos, op: str) -> Node:
        """``a && b && c …`` (a left-deep lark tree) as a balanced tree of the same leaves
        in the same order, so that long rules do not nest deeply."""
        operands: list[Tree[Any]] = []
        node = t
        while node.data == t.data and len(node.children) == 2:
            operands.append(node.children[1])
            node = node.children[0]
        operands.append(node.children[0] if node.data == t.data else node)
        nodes = [self.node(c, pos) for c in reversed(operands)]
        return self._balanced(nodes, op)

    def _balanced(self, nodes: list[Node], op: str) -> Node:
        if len(nodes) == 1:
            return nodes[0]
        half = len(nodes) // 2
        left, right = self._balanced(nodes[:half], op), self._balanced(nodes[half:], op)
        span = Pos(left.pos.line, left.pos.column, left.pos.start, right.pos.end)
        return checker.bool_op(span, op, left, right)

    def _conditionalor(self, t: Tree[Any], pos: Pos) -> Node:
        return self._chain(t, pos, "||")

    def _conditionaland(self, t: Tree[Any], pos: Pos) -> Node:
        return self._chain(t, pos, "&&")

    _RELATIONS = {
        "relation_lt": "<",
        "relation_le": "<=",
        "relation_gt": ">",
        "relation_ge": ">=",
        "relation_eq": "==",
        "relation_ne": "!=",
        "relation_in": "in",
    }

    def _relation(self, t: Tree[Any], pos: Pos) -> Node:
        if len(t.children) == 1:
            return self.node(t.children[0], pos)
        op_tree, right_tree = t.children
        op = self._RELATIONS[str(op_tree.data)]
        left = self.node(op_tree.children[0], pos)
        right = self.node(right_tree, pos)
        if op == "in":
            return checker.membership(pos, left, right)
        return checker.compare(pos, op, left, right)

    def _addition(self, t: Tree[Any], pos: Pos) -> Node:
        if len(t.children) == 1:
            return self.node(t.children[0], pos)
        op_tree, right_tree = t.children
        op = "+" if op_tree.data == "addition_add" else "-"
        left = self.node(op_tree.children[0], pos)
        return checker.arith(pos, op, left, self.node(right_tree, pos))

    def _multiplication(self, t: Tree[Any], pos: Pos) -> Node:
        if len(t.children) == 1:
            return self.node(t.children[0], pos)
        op_tree, right_tree = t.children
        if op_tree.data == "multiplication_mod":
            raise refuse(
                "unsupported_operator",
                "不支持取余运算“%”",
                "the remainder operator '%' is not supported",
                pos,
            )
        op = "*" if op_tree.data == "multiplication_mul" else "/"
        left = self.node(op_tree.children[0], pos)
        return checker.arith(pos, op, left, self.node(right_tree, pos))

    def _unary(self, t: Tree[Any], pos: Pos) -> Node:
        if len(t.children) == 1:
            return self.node(t.children[0], pos)
        op_tree, operand_tree = t.children
        operand = self.node(operand_tree, pos)
        if op_tree.data == "unary_not":
            return checker.logical_not(pos, operand)
        return checker.negate(pos, operand)

    def _member(self, t: Tree[Any], pos: Pos) -> Node:
        return self.node(t.children[0], pos)

    def _primary(self, t: Tree[Any], pos: Pos) -> Node:
        return self.node(t.children[0], pos)

    def _paren_expr(self, t: Tree[Any], pos: Pos) -> Node:
        return self.node(t.children[0], pos)

    def _path(self, t: Tree[Any]) -> str | None:
        """``a.b.c`` as a dotted name, or None when it is not a plain path."""
        if t.data == "member":
            return self._path(t.children[0])
        if t.data == "primary":
            inner = t.children[0]
            if isinstance(inner, Tree) and inner.data == "ident":
                return str(inner.children[0])
            return None
        if t.data == "member_dot":
            head = self._path(t.children[0])
            return None if head is None else f"{head}.{t.children[1]}"
        return None

    def _member_dot(self, t: Tree[Any], pos: Pos) -> Node:
        path = self._path(t)
        if path is None:
            raise refuse(
                "unsupported",
                "只能读取目录中的属性（如 certificate.level），不能读取表达式的字段",
                "only catalogue attributes (such as certificate.level) can be read, "
                "not fields of an expression",
                pos,
            )
        return checker.attribute(pos, path)

    def _ident(self, t: Tree[Any], pos: Pos) -> Node:
        return checker.attribute(pos, str(t.children[0]))

    def _member_dot_arg(self, t: Tree[Any], pos: Pos) -> Node:
        method = str(t.children[1])
        if method in MACROS:
            raise refuse(
                "macro",
                f"不支持宏“.{method}()”（只接受能编译为SQL的写法）",
                f"the macro '.{method}()' is not supported (only what compiles to SQL)",
                pos,
            )
        if method == "format":
            raise refuse(
                "string_format",
                "不支持字符串格式化“.format()”",
                "string formatting '.format()' is not supported",
                pos,
            )
        raise refuse(
            "method",
            f"不支持方法调用“.{method}()”",
            f"the method call '.{method}()' is not supported",
            pos,
        )

    def _member_index(self, t: Tree[Any], pos: Pos) -> Node:
        raise refuse("index", "不支持下标“[...]”", "indexing '[...]' is not supported", pos)

    def _member_object(self, t: Tree[Any], pos: Pos) -> Node:
        raise refuse(
            "message",
            "不支持构造消息对象“{...}”",
            "message construction '{...}' is not supported",
            pos,
        )

    def _map_lit(self, t: Tree[Any], pos: Pos) -> Node:
        raise refuse("map", "不支持映射“{...}”", "maps '{...}' are not supported", pos)

    def _dot_ident(self, t: Tree[Any], pos: Pos) -> Node:
        raise refuse(
            "unsupported",
            "不支持以“.”开头的名称",
            "names starting with '.' are not supported",
            pos,
        )

    _dot_ident_arg = _dot_ident

    def _args(self, t: Tree[Any] | None, pos: Pos) -> list[Node]:
        if t is None:
            return []
        return [self.node(c, pos) for c in t.children]

    def _ident_arg(self, t: Tree[Any], pos: Pos) -> Node:
        name = str(t.children[0])
        if name in MACROS:
            raise refuse(
                "macro",
                f"不支持宏“{name}()”（只接受能编译为SQL的写法）",
                f"the macro '{name}()' is not supported (only what compiles to SQL)",
                pos,
            )
        args_tree = t.children[1] if len(t.children) > 1 else None
        return checker.call(pos, name, self._args(args_tree, pos))

    def _list_lit(self, t: Tree[Any], pos: Pos) -> ListLit:
        args_tree = t.children[0] if t.children else None
        return checker.list_literal(pos, self._args(args_tree, pos))

    def _literal(self, t: Tree[Any], pos: Pos) -> Literal:
        token = t.children[0]
        assert isinstance(token, Token)
        kind = token.type
        raw = str(token)
        if kind == "INT_LIT":
            negative = raw.startswith("-")
            digits = raw[1:] if negative else raw
            # More digits than any 64-bit number: refused before int() (which has a limit).
            value = None
            if len(digits) <= 20:
                value = int(digits, 16) if digits.lower().startswith("0x") else int(digits)
                value = -value if negative else value
            if value is None or abs(value) >= MAX_NUMBER:
                raise _out_of_range(pos)
            return checker.literal(pos, value)
        if kind == "FLOAT_LIT":
            try:
                number = Decimal(raw)
            except InvalidOperation:  # pragma: no cover - the lexer only passes numbers
                raise refuse("number", "数字无效", "invalid number", pos) from None
            if not number.is_finite() or abs(number) >= MAX_NUMBER:
                raise _out_of_range(pos)
            return checker.literal(pos, number)
        if kind in ("STRING_LIT", "MLSTRING_LIT"):
            return checker.literal(pos, decode_string(raw))
        if kind == "BOOL_LIT":
            return checker.literal(pos, raw == "true")
        names = {
            "UINT_LIT": ("无符号整数", "unsigned integers"),
            "BYTES_LIT": ("字节串", "bytes"),
            "NULL_LIT": ("null", "null"),
        }
        zh, en = names.get(kind, (kind, kind))
        raise refuse(
            "unsupported_literal",
            f"不支持{zh}常量",
            f"{en} literals are not supported",
            pos,
        )
