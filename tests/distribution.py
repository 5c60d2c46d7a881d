"""Checks captured SQL against the Citus plan of ``docs/scaling.md``: the tables that would be
distributed by county code, and whether each query's use of them stays co-located.

A *distributed* table is ``registry_person``, ``registry_household`` and every table that
hangs off them (a foreign key to a distributed table, followed transitively), and every
table with its own ``county_code`` column (a county's payment lists, employers, courses …:
distributed by that column, co-located with the persons of the county).

In one statement, every reference to a distributed table (each ``FROM``/``JOIN`` source,
in every subquery) must be **anchored**:

- *filtered* on its ``county_code`` (``=``, ``IN``, ``LIKE 'prefix%'``, a range, ``BETWEEN``;
  inside an ``OR``, every branch must filter), or
- *joined co-located* to another distributed reference: an equality along a foreign key
  between two distributed tables (``certificate.person_id = person.id``; the plan gives each
  child table the person's ``county_code`` and puts it in every foreign key, so such a join
  stays on one shard), in a join condition, a correlated subquery or ``col IN (SELECT …)``,
  or ``a.county_code = b.county_code``.

``routed=True`` (the interactive paths: search, the person page) asks more: every group of
references joined co-located must contain one filtered on the county code, so Citus sends
the statement to one shard; a batch path (scan, indicators, payment lists, roster commit)
may fan out over every shard as long as its joins are co-located.

An equality between two distributed references that is not along a foreign key (a
repartition join under Citus) is reported too. ``INSERT … VALUES`` is not checked (each row
carries its county when the child tables get the column); ``INSERT … SELECT``, ``UPDATE``
and ``DELETE`` are. Statements that are not DML (savepoints, ``PRAGMA``) are skipped.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from functools import cache
from typing import Any

import sqlglot
from django.apps import apps
from django.db import connection
from sqlglot import exp

COUNTY = "county_code"
# Foreign keys between distributed tables whose two ends may lie in different counties: a
# join along them is not co-located (a guardian may live in another county than the
# dependant; a duplicate pair may straddle two counties).
CROSS_COUNTY_FKS = frozenset(
    {
        ("registry_guardianlink", "guardian_id"),
        ("exchange_duplicatesuspect", "person_b_id"),
    }
)


@dataclass(frozen=True)
class Schema:
    distributed: frozenset[str]
    # (table, column) -> (target table, target column) for foreign keys between distributed
    # tables that keep both ends in one county.
    fks: dict[tuple[str, str], tuple[str, str]]


@cache
def schema() -> Schema:  # noqa: C901
    models = list(apps.get_models(include_auto_created=True))
    distributed = {"registry_person", "registry_household"}
    distributed |= {
        m._meta.db_table for m in models if any(f.column == COUNTY for f in m._meta.local_fields)
    }
    changed = True
    while changed:
        changed = False
        for model in models:
            table = model._meta.db_table
            if table in distributed:
                continue
            for f in model._meta.concrete_fields:
                related: Any = f.related_model
                if f.is_relation and related._meta.db_table in distributed:
                    distributed.add(table)
                    changed = True
                    break
    fks: dict[tuple[str, str], tuple[str, str]] = {}
    for model in models:
        table = model._meta.db_table
        if table not in distributed:
            continue
        for f in model._meta.concrete_fields:
            if not f.is_relation or (table, f.column) in CROSS_COUNTY_FKS:
                continue
            fk: Any = f
            target = fk.related_model._meta
            if target.db_table in distributed:
                fks[(table, f.column)] = (target.db_table, fk.target_field.column)
    return Schema(frozenset(distributed), fks)


@dataclass
class Ref:
    """One reference to a distributed table in one SELECT (or UPDATE/DELETE) scope."""

    table: str
    alias: str
    scope: int
    filtered: bool = False
    key: str = ""  # a column compared with a constant (``person_id = 5``)
    links: set[int] = field(default_factory=set)


@dataclass(frozen=True)
class Problem:
    """``kind``: ``unanchored`` (no county filter, no co-located join), ``aggregate`` (the
    same, in a single-table grouped count or sum), ``key`` (found by a
    key such as ``person_id = 5`` but not by county: every shard is asked), ``fanout`` (a
    co-located join with no county filter on a routed path), ``repartition`` (a join of two
    distributed tables not along a foreign key or the county code)."""

    sql: str
    table: str
    reason: str
    kind: str

    def __str__(self) -> str:
        return f"{self.table}: {self.reason}\n    {self.sql[:600]}"


def _unwrap(node: Any) -> Any:
    while isinstance(node, (exp.Paren, exp.Cast, exp.Collate, exp.Alias)):
        node = node.this
    return node


def _column(node: Any) -> exp.Column | None:
    if node is None:
        return None
    node = _unwrap(node)
    if isinstance(node, exp.Column):
        return node
    return None


def _conjuncts(node: Any) -> list[Any]:
    if node is None:
        return []
    node = _unwrap(node) if isinstance(node, exp.Paren) else node
    if isinstance(node, exp.Where):
        return _conjuncts(node.this)
    if isinstance(node, exp.And):
        return _conjuncts(node.left) + _conjuncts(node.right)
    return [node]


class _Statement:
    def __init__(self, sql: str, tree: Any, schema: Schema) -> None:
        self.sql = sql
        self.schema = schema
        self.refs: list[Ref] = []
        self.scopes: dict[int, Any] = {}
        self.repartition: list[Problem] = []
        tree_scopes = [
            node
            for node in tree.walk()
            if isinstance(node, (exp.Select, exp.Update, exp.Delete))
            and not (isinstance(node, exp.Select) and _is_insert_values_source(node))
        ]
        for scope in tree_scopes:
            self.scopes[id(scope)] = scope
            for table in self._sources(scope):
                name = table.name
                if name in schema.distributed:
                    alias = table.alias_or_name
                    self.refs.append(Ref(name, alias, id(scope)))

    @staticmethod
    def _sources(scope: Any) -> list[exp.Table]:
        sources: list[exp.Table] = []
        if isinstance(scope, (exp.Update, exp.Delete)) and isinstance(scope.this, exp.Table):
            sources.append(scope.this)
        from_ = scope.args.get("from_") or scope.args.get("from")
        if from_ is not None and isinstance(from_.this, exp.Table):
            sources.append(from_.this)
        for join in scope.args.get("joins") or []:
            if isinstance(join.this, exp.Table):
                sources.append(join.this)
        return sources

    def _enclosing_scopes(self, node: Any) -> list[int]:
        out = []
        parent: Any = node
        while parent is not None:
            if id(parent) in self.scopes:
                out.append(id(parent))
            parent = parent.parent
        return out

    def _resolve(self, column: exp.Column, node: Any) -> Ref | None:
        qualifier = column.table
        for scope in self._enclosing_scopes(node):
            here = [r for r in self.refs if r.scope == scope]
            if qualifier:
                for ref in here:
                    if ref.alias == qualifier:
                        return ref
                scope_node = self.scopes[scope]
                if any(t.alias_or_name == qualifier for t in self._all_tables(scope_node)):
                    return None  # a table that is not distributed
            else:
                tables = self._all_tables(self.scopes[scope])
                if len(tables) == 1:
                    return here[0] if here else None
        return None

    def _all_tables(self, scope: Any) -> list[exp.Table]:
        return self._sources(scope)

    def conditions(self) -> Iterable[tuple[Any, Any]]:
        """(condition, node it sits in) for every WHERE, JOIN … ON and HAVING."""
        for scope in self.scopes.values():
            for key in ("where", "having"):
                if scope.args.get(key) is not None:
                    for c in _conjuncts(scope.args[key]):
                        yield c, scope
            for join in scope.args.get("joins") or []:
                if join.args.get("on") is not None:
                    for c in _conjuncts(join.args["on"]):
                        yield c, join

    def _filters(self, cond: Any, ref: Ref, at: Any) -> bool:
        cond = _unwrap(cond) if isinstance(cond, exp.Paren) else cond
        if isinstance(cond, exp.Or):
            return self._filters(cond.left, ref, at) and self._filters(cond.right, ref, at)
        if isinstance(cond, exp.And):
            return self._filters(cond.left, ref, at) or self._filters(cond.right, ref, at)
        if isinstance(cond, exp.Escape):
            cond = cond.this
        if isinstance(cond, (exp.EQ, exp.Like, exp.GTE, exp.GT, exp.LT, exp.LTE, exp.Glob)):
            for side, other in ((cond.left, cond.right), (cond.right, cond.left)):
                col = _column(side)
                if (
                    col is not None
                    and col.name == COUNTY
                    and not _has_column(other)
                    and self._resolve(col, at) is ref
                ):
                    return True
        if isinstance(cond, (exp.In, exp.Between)):
            col = _column(cond.this)
            if col is not None and col.name == COUNTY and self._resolve(col, at) is ref:
                return (
                    not any(_has_column(e) for e in cond.args.get("expressions") or [])
                    and cond.args.get("query") is None
                )
        return False

    def analyse(self) -> None:
        for cond, at in self.conditions():
            for ref in self.refs:
                if not ref.filtered and self._filters(cond, ref, at):
                    ref.filtered = True
            self._link(cond, at)
            self._key(cond, at)

    def _key(self, cond: Any, at: Any) -> None:
        cond = _unwrap(cond) if isinstance(cond, exp.Paren) else cond
        if isinstance(cond, (exp.EQ, exp.In)) and cond.args.get("query") is None:
            col = _column(cond.this if isinstance(cond, exp.In) else cond.left)
            other = cond.args.get("expressions") if isinstance(cond, exp.In) else [cond.right]
            if col is not None and not any(_has_column(e) for e in other or []):
                ref = self._resolve(col, at)
                if (
                    ref is not None
                    and not ref.key
                    and (col.name == "id" or col.name.endswith("_id"))
                ):
                    ref.key = f"{col.name} = …"

    def _link(self, cond: Any, at: Any) -> None:
        cond = _unwrap(cond) if isinstance(cond, exp.Paren) else cond
        if isinstance(cond, exp.EQ):
            a, b = _column(cond.left), _column(cond.right)
            if a is not None and b is not None:
                ra, rb = self._resolve(a, at), self._resolve(b, at)
                if ra is not None and rb is not None and ra is not rb:
                    self._edge(ra, a.name, rb, b.name)
        elif isinstance(cond, exp.In) and cond.args.get("query") is not None:
            a = _column(cond.this)
            query = cond.args["query"]
            inner = query.this if isinstance(query, exp.Subquery) else query
            if a is None or not isinstance(inner, exp.Select) or len(inner.expressions) != 1:
                return
            b = _column(inner.expressions[0])
            if b is None:
                return
            ra, rb = self._resolve(a, at), self._resolve(b, inner)
            if ra is not None and rb is not None and ra is not rb:
                self._edge(ra, a.name, rb, b.name)
        elif isinstance(cond, exp.Not):
            self._link(cond.this, at)

    def _edge(self, ra: Ref, ca: str, rb: Ref, cb: str) -> None:
        fks = self.schema.fks
        colocated = (
            (ca == COUNTY and cb == COUNTY)
            # the same row: person.id IN (SELECT U0.id FROM person U0 WHERE …)
            or (ra.table == rb.table and ca == cb == "id")
            or fks.get((ra.table, ca)) == (rb.table, cb)
            or fks.get((rb.table, cb)) == (ra.table, ca)
            # two children of the same parent: certificate.person_id = needssurvey.person_id
            or (
                (ra.table, ca) in fks
                and (rb.table, cb) in fks
                and fks[(ra.table, ca)] == fks[(rb.table, cb)]
            )
        )
        if colocated:
            ia, ib = self.refs.index(ra), self.refs.index(rb)
            ra.links.add(ib)
            rb.links.add(ia)
        else:
            self.repartition.append(
                Problem(
                    self.sql,
                    f"{ra.table}⋈{rb.table}",
                    f"join on {ra.alias}.{ca} = {rb.alias}.{cb} is not along a foreign key "
                    "or the county code (a repartition join)",
                    "repartition",
                )
            )

    def _aggregate(self, ref: Ref) -> bool:
        """Is ``ref`` the only source of a SELECT that groups or aggregates?"""
        scope = self.scopes[ref.scope]
        if not isinstance(scope, exp.Select) or scope.args.get("joins"):
            return False
        return scope.args.get("group") is not None or any(
            e.find(exp.AggFunc) is not None for e in scope.expressions
        )

    def problems(self, *, routed: bool) -> list[Problem]:
        self.analyse()
        found = list(self.repartition)
        seen: set[int] = set()
        for start, ref in enumerate(self.refs):
            if start in seen:
                continue
            group, stack = set(), [start]
            while stack:
                i = stack.pop()
                if i in group:
                    continue
                group.add(i)
                stack.extend(self.refs[i].links)
            seen |= group
            members = [self.refs[i] for i in sorted(group)]
            if any(m.filtered for m in members):
                continue
            if len(members) == 1 and ref.key:
                found.append(
                    Problem(
                        self.sql,
                        ref.table,
                        f"found by {ref.key}, not by county_code (every shard is asked)",
                        "key",
                    )
                )
            elif len(members) == 1 and self._aggregate(ref):
                found.append(
                    Problem(
                        self.sql,
                        ref.table,
                        "a whole-table aggregate without county_code (a fan-out over every "
                        "shard, merged on the coordinator)",
                        "aggregate",
                    )
                )
            elif len(members) == 1:
                found.append(
                    Problem(
                        self.sql,
                        ref.table,
                        "neither filtered on county_code nor joined co-located",
                        "unanchored",
                    )
                )
            elif routed:
                found.append(
                    Problem(
                        self.sql,
                        "+".join(m.table for m in members),
                        "joined co-located, but no table of the join is filtered on "
                        "county_code (every shard is asked)",
                        "fanout",
                    )
                )
        return found


def _has_column(node: Any) -> bool:
    return node is not None and node.find(exp.Column) is not None


def _is_insert_values_source(select: exp.Select) -> bool:
    return False


SKIP_PREFIXES = ("SAVEPOINT", "RELEASE", "ROLLBACK", "BEGIN", "COMMIT", "PRAGMA", "SET ")


def check(sql: str, *, routed: bool) -> list[Problem]:
    """The problems of one captured statement (empty: fine)."""
    text = sql.strip()
    if text.upper().startswith(SKIP_PREFIXES):
        return []
    dialect = "postgres" if connection.vendor == "postgresql" else "sqlite"
    try:
        tree = sqlglot.parse_one(text, read=dialect)
    except sqlglot.errors.ParseError as error:
        return [Problem(text, "?", f"could not parse: {error}", "unparsed")]
    if isinstance(tree, exp.Insert):
        source = tree.expression
        if not isinstance(source, (exp.Select, exp.Union)):
            return []
        tree = source
    if not isinstance(tree, (exp.Select, exp.Union, exp.Update, exp.Delete)):
        return []
    statement = _Statement(text, tree, schema())
    return statement.problems(routed=routed)


def check_all(queries: Iterable[dict[str, str]], *, routed: bool) -> list[Problem]:
    problems: list[Problem] = []
    for query in queries:
        problems += check(query["sql"], routed=routed)
    return problems
