"""The facts in force on one date, materialised once into a temporary table.

The SQL compiler (``dpf.rules.sql``) turns each fact into a correlated subquery, which is
right for one rule over the registry (the databases run most as semi-joins). A job that
evaluates many rules over every person for the same date (the indicators: about twenty
numerators and denominators, grouped by township) would probe the same fact tables once
per rule and person inside ``COUNT(*) FILTER (…)``. Here every fact table is read once
instead: one ``CREATE TEMPORARY TABLE … AS SELECT`` joins each person to the row of each
fact in force (the latest, as the Python evaluator picks it), and each ``insured(…)``,
``receiving(…)`` and ``in_school`` the rules use becomes one uncorrelated ``IN`` list
(hashed once). Rules then compile to conditions over plain columns of that table
(``FactsCompiler``), so any number of them costs one pass over it.

    with facts_in_force(as_of, [rule.root for rule in rules]) as facts:
        facts.queryset().values("township_code").annotate(n=Count("id", filter=facts.q(r)))

The table is private to the database connection (``TEMPORARY``) and dropped on exit.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from decimal import Decimal
from typing import Any

from django.db import connection
from django.db.models import BooleanField, F, Q, QuerySet
from django.db.models.expressions import RawSQL, Window
from django.db.models.functions import RowNumber
from django.db.models.lookups import Exact

from dpf.core.models import region_prefix
from dpf.registry.models import Certificate, HouseholdStatus, NeedsSurvey, Person, Residence
from dpf.rules import sql
from dpf.rules.ast import Attr, Call, Node, Pos, Type, walk
from dpf.rules.catalogue import ATTRIBUTES, SURVEY_FIELDS
from dpf.rules.models import FactsInForce
from dpf.rules.rule import Rule

TABLE = FactsInForce._meta.db_table
# The persons of a partial materialisation (``facts_in_force(person_ids=…)``), a temporary
# table read by every fact table's subquery: a list of literals repeated in each of them
# cost more to send and plan than the statement took to run (5,000 persons, PostgreSQL).
SUBSET = "rules_facts_persons"
_SUBSET_IDS = f'SELECT id FROM "{SUBSET}"'  # noqa: S608 (a fixed name; both databases quote so)
_NOWHERE = Pos(line=0, column=0, start=0, end=0)
_IDENTIFIER = re.compile(r"^[a-z][a-z0-9_]{0,40}$")
# (database column of NeedsSurvey, its catalogue default)
SURVEY_COLUMNS: dict[str, Any] = {
    column: ATTRIBUTES[name].default for name, column in SURVEY_FIELDS.items()
} | {"long_term_care_need": False}


def _call_column(node: Call) -> str:
    """The column holding ``insured("x")`` / ``receiving("x")`` (codes are identifiers)."""
    if not _IDENTIFIER.match(node.arg):
        raise ValueError(f"not a column-safe code: {node.arg!r}")
    return f"x_{node.name}_{node.arg}"


def _latest(model: Any, key: str, columns: dict[str, str], where: Q, order: list[Any]) -> Any:
    """Each ``key``'s latest row (by ``order``) among the rows matching ``where``: one
    ``ROW_NUMBER()`` pass over the table, joined on ``f_key`` where ``f_rank = 1``."""
    ranked = (
        model.objects.filter(where)
        .annotate(
            f_rank=Window(RowNumber(), partition_by=[F(key)], order_by=order),
        )
        .values(f_key=F(key), f_rank=F("f_rank"), **{a: F(c) for a, c in columns.items()})
        .order_by()
    )
    return ranked.query.sql_with_params()


# the person's columns a fact's rows are keyed by (SQL text, so fixed here)
_OUTER = frozenset({"p.id", "p.household_id"})


def _latest_join(
    alias: str,
    outer: str,
    model: Any,
    key: str,
    columns: dict[str, str],
    where: Q,
    order: list[Any],
) -> tuple[str, list[Any]]:
    """The ``LEFT JOIN`` of ``outer``'s latest row (by ``order``) among the rows of ``model``
    matching ``where``, its ``columns`` renamed.

    PostgreSQL ranks the whole table in one pass (``_latest``: an index-only scan in key
    order, no sort). SQLite sorted each partition's rows in a temporary B-tree (its
    planner reads the index forwards but the order is newest first) and then indexed the
    ranked rows again for the join; there one seek per person into the same index
    (``… WHERE key = outer ORDER BY … LIMIT 1``) and a row-id look-up cost less than half
    (0.10 s against 0.23 s for the four facts of the 27,489 persons of the demo; the whole
    table 0.34 s against 0.54 s, docs/benchmarks.md). Both
    pick the row the Python evaluator picks: ``tests/rules/test_agreement.py``."""
    if connection.vendor != "sqlite":
        inner, params = _latest(model, key, columns, where, order)
        return (
            f" LEFT JOIN ({inner}) {alias} ON {alias}.f_key = {outer} AND {alias}.f_rank = 1",
            params,
        )
    if outer not in _OUTER:
        raise ValueError(f"not a column of the person: {outer!r}")
    outer_column = RawSQL(outer, [])  # noqa: S611 (one of the fixed references in _OUTER)
    row = model.objects.filter(where, **{key: outer_column}).order_by(*order).values("pk")
    seek, params = row[:1].query.sql_with_params()
    quote = connection.ops.quote_name
    renamed = ", ".join(f"{quote(column)} AS {name}" for name, column in columns.items())
    table = quote(model._meta.db_table)
    return (
        f" LEFT JOIN (SELECT id AS f_row, {renamed} FROM {table}) {alias}"  # noqa: S608
        f" ON {alias}.f_row = ({seek})",
        list(params),
    )


class FactsCompiler(sql.Compiler):
    """The SQL compiler over the columns of the materialised table instead of subqueries."""

    def __init__(self, as_of: dt.date, calls: set[str]) -> None:
        super().__init__(as_of, alias=False)
        self.calls = calls

    def pushed(self, leaf: Node) -> Q | None:
        return None

    def cert(self, column: str) -> Any:
        return F(f"cert_{column}")

    def household_status(self) -> Any:
        return F("household_status")

    def residence(self) -> Any:
        return F("residence_village")

    def survey(self, column: str, t: Type, default: Any) -> Any:
        return F(f"survey_{column}")

    def attribute_condition(self, node: Attr) -> Q:
        if node.name in ("in_school", "in_destitute_care"):
            return Q(**{node.name: True})
        return super().attribute_condition(node)

    def call(self, node: Call) -> Q:
        if node.name == "in_region":
            return Q(residence_village__startswith=region_prefix(node.arg))
        column = _call_column(node)
        if column not in self.calls:
            raise LookupError(f"{node.name}({node.arg!r}) was not materialised")
        quoted = connection.ops.quote_name(column)
        # the column name is a checked identifier (``_call_column``), quoted
        return Q(Exact(RawSQL(quoted, [], output_field=BooleanField()), True))  # noqa: S611


class FactsTable:
    """The materialised facts of one date; ``q`` compiles a rule over its columns."""

    def __init__(self, as_of: dt.date, calls: set[str], *, partial: bool = False) -> None:
        self.as_of = as_of
        self.calls = calls
        self.partial = partial

    def listed(self, column: str) -> Q:
        """Rows whose ``column`` names one of the persons of a partial materialisation
        (``facts_in_force(person_ids=…)``), by the temporary table that lists them: a
        list of thousands of ids as parameters cost Django more to prepare than the
        statement took (the indicators' roll)."""
        if not self.partial:
            raise ValueError("not a partial materialisation: every person is in it")
        return Q(**{f"{column}__in": RawSQL(_SUBSET_IDS, [])})  # noqa: S611 (a fixed statement)

    def queryset(self) -> QuerySet[FactsInForce]:
        return FactsInForce.objects.all()

    def q(self, rule: Rule | Node) -> Q:
        root = rule.root if isinstance(rule, Rule) else rule
        return FactsCompiler(self.as_of, self.calls).condition(root)


def calls_of(roots: Iterable[Node]) -> dict[str, Call]:
    """The ``insured``/``receiving`` calls of the rules, by the column that holds each."""
    calls: dict[str, Call] = {}
    for root in roots:
        for node in walk(root):
            if isinstance(node, Call) and node.name in ("insured", "receiving"):
                calls[_call_column(node)] = node
    return calls


def create_statement(
    as_of: dt.date, calls: dict[str, Call], subset: bool = False
) -> tuple[str, list[Any]]:
    """The ``CREATE TEMPORARY TABLE … AS SELECT`` of the facts in force on ``as_of``; with
    ``subset``, only the persons listed in the table ``SUBSET``, every fact table read for
    them alone."""
    in_force = sql.in_force(as_of)
    everyone = not subset
    listed = RawSQL(_SUBSET_IDS, [])  # noqa: S611 (a fixed statement)
    of_persons = Q() if everyone else Q(person_id__in=listed)
    of_households = (
        Q()
        if everyone
        else Q(household_id__in=Person.objects.filter(pk__in=listed).values("household_id"))
    )
    newest = [F("valid_from").desc(), F("pk").desc()]
    selects = [
        "p.id AS id",
        "p.county_code AS county_code",
        "p.township_code AS township_code",
        "p.village_code AS village_code",
        "p.household_id AS household_id",
        "p.birth_date AS birth_date",
        "p.sex AS sex",
        "p.death_date AS death_date",
        "COALESCE(c.f_level, 0) AS cert_level",
        "COALESCE(c.f_category, 0) AS cert_category",
        "COALESCE(h.f_status, 'none') AS household_status",
        "COALESCE(r.f_village, p.village_code) AS residence_village",
    ]
    joins = [
        _latest_join("c", "p.id", Certificate, "person_id",
                     {"f_level": "level", "f_category": "category"}, in_force & of_persons, newest),
        _latest_join("h", "p.household_id", HouseholdStatus, "household_id",
                     {"f_status": "status"}, in_force & of_households, newest),
        _latest_join("r", "p.id", Residence, "person_id", {"f_village": "village_code"},
                     in_force & of_persons, newest),
        _latest_join("s", "p.id", NeedsSurvey, "person_id",
                     {f"f_{c}": c for c in SURVEY_COLUMNS},
                     Q(survey_date__lte=as_of) & of_persons,
                     [F("survey_date").desc(), F("pk").desc()]),
    ]  # fmt: skip
    params: list[Any] = []
    for column, default in SURVEY_COLUMNS.items():
        selects.append(f"COALESCE(s.f_{column}, %s) AS survey_{column}")
        # SQLite would store a Decimal parameter as text: give it the number itself
        sqlite_number = isinstance(default, Decimal) and connection.vendor == "sqlite"
        params.append(float(default) if sqlite_number else default)
    plain = sql.Compiler(as_of, alias=False)
    in_school = Attr(name="in_school", type=Type.BOOL, pos=_NOWHERE)
    in_destitute_care = Attr(name="in_destitute_care", type=Type.BOOL, pos=_NOWHERE)
    in_lists = [
        ("in_school", plain.attribute_condition(in_school)),
        ("in_destitute_care", plain.attribute_condition(in_destitute_care)),
    ]
    in_lists += [(column, plain.call(node)) for column, node in sorted(calls.items())]
    for column, condition in in_lists:
        rows = Person.objects.filter(condition).values("pk").order_by()
        if not everyone:
            rows = rows.filter(pk__in=listed)
        inner, inner_params = rows.query.sql_with_params()
        selects.append(f"(p.id IN ({inner})) AS {connection.ops.quote_name(column)}")
        params.extend(inner_params)
    from_sql = f"{connection.ops.quote_name(Person._meta.db_table)} p"
    for join, join_params in joins:
        from_sql += join
        params.extend(join_params)
    where = ""
    if not everyone:
        where = f" WHERE p.id IN ({_SUBSET_IDS})"
    # identifiers are fixed or checked; values travel as parameters of the ORM's SQL
    statement = (
        f"CREATE TEMPORARY TABLE {connection.ops.quote_name(TABLE)} AS "  # noqa: S608
        f"SELECT {', '.join(selects)} FROM {from_sql}{where}"
    )
    return statement, params


_active: set[int] = set()


@contextmanager
def facts_in_force(
    as_of: dt.date, roots: Iterable[Node], *, person_ids: Iterable[int] | None = None
) -> Iterator[FactsTable]:
    """Materialise the facts in force on ``as_of`` for the rules ``roots`` (whose
    ``insured``/``receiving`` calls become columns) and drop the table on exit. With
    ``person_ids``, only those persons (the indicators' refresh of the persons changed
    since a snapshot): each fact table is read for them alone, so the cost follows their
    number, not the registry's."""
    calls = calls_of(roots)
    ids = None if person_ids is None else sorted(set(person_ids))
    if ids == []:
        raise ValueError("no persons to materialise")
    statement, params = create_statement(as_of, calls, subset=ids is not None)
    quoted = connection.ops.quote_name(TABLE)
    subset = connection.ops.quote_name(SUBSET)
    connection.ensure_connection()
    key = id(connection.connection)
    if key in _active:
        raise RuntimeError("facts_in_force is already open on this connection")
    with connection.cursor() as cur:
        cur.execute(f"DROP TABLE IF EXISTS {quoted}")
        if ids is not None:
            cur.execute(f"DROP TABLE IF EXISTS {subset}")
            cur.execute(f"CREATE TEMPORARY TABLE {subset} (id bigint PRIMARY KEY)")
            if connection.vendor == "postgresql":
                # one statement: ``executemany`` sent one per id (0.17 s for 8,392 ids,
                # 50,000 demo persons, the month's roll of ``indicators.refresh``)
                cur.execute(f"INSERT INTO {subset} (id) SELECT unnest(%s::bigint[])", [ids])
                cur.execute(f"ANALYZE {subset}")  # the planner then knows how many
            else:
                cur.executemany(f"INSERT INTO {subset} (id) VALUES (%s)", [(i,) for i in ids])  # noqa: S608
        cur.execute(statement, params)
    _active.add(key)
    try:
        yield FactsTable(as_of, set(calls), partial=ids is not None)
    finally:
        _active.discard(key)
        with connection.cursor() as cur:
            cur.execute(f"DROP TABLE IF EXISTS {quoted}")
            if ids is not None:
                cur.execute(f"DROP TABLE IF EXISTS {subset}")
