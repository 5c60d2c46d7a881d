"""The SQL compiler: a checked rule becomes one condition over ``Person`` for a date.

Every fact is a correlated subquery (``Subquery`` of the row in force, ``Exists``) or a
column of ``Person``, and every value is COALESCEd to the catalogue default, so no
comparison ever meets NULL and ``!x`` means in SQL what it means in Python. Parts of a
rule that read nothing about the person (``as_of``, literals) are folded in Python.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from decimal import Decimal
from typing import Any

from django.db.models import (
    BooleanField,
    Case,
    CharField,
    Count,
    DateField,
    DecimalField,
    Exists,
    F,
    Field,
    Func,
    IntegerField,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
    Sum,
    Value,
    When,
)
from django.db.models.expressions import CombinedExpression, Expression
from django.db.models.functions import Cast, Coalesce, ExtractYear, Round
from django.db.models.lookups import (
    Exact,
    GreaterThan,
    GreaterThanOrEqual,
    LessThan,
    LessThanOrEqual,
)
from django.db.models.lookups import In as InList

from dpf.core.models import EffectiveDated, region_prefix
from dpf.registry.models import (
    Certificate,
    Employment,
    HouseholdStatus,
    HouseholdStatusCode,
    InsuranceEnrolment,
    MedicalSettlement,
    NeedsSurvey,
    OutsidePayment,
    Person,
    PersonStatus,
    PersonStatusCode,
    Residence,
    SchoolEnrolment,
)
from dpf.rules import evaluate
from dpf.rules.ast import (
    PERSON_FREE,
    Arith,
    Attr,
    BoolOp,
    Call,
    Compare,
    Cond,
    In,
    Literal,
    Neg,
    Node,
    Not,
    Scalar,
    Type,
    person_free,
    walk,
)
from dpf.rules.catalogue import (
    ATTRIBUTES,
    SURVEY_FIELDS,
    attribute_source,
    outside_payment_codes,
    receiving_sources,
)

TRUE = Q(pk__isnull=False)
FALSE = Q(pk__in=[])
_LOOKUPS: dict[str, Any] = {
    "==": Exact,
    "<": LessThan,
    "<=": LessThanOrEqual,
    ">": GreaterThan,
    ">=": GreaterThanOrEqual,
}
_FLIPPED = {"==": "==", "!=": "!=", "<": ">", ">": "<", "<=": ">=", ">=": "<="}


def output_field(t: Type) -> Field[Any, Any]:
    if t is Type.BOOL:
        return BooleanField()
    if t is Type.INT:
        return IntegerField()
    if t is Type.NUMBER:
        return DecimalField(max_digits=30, decimal_places=10)
    if t is Type.STRING:
        return CharField()
    return DateField()


class AsDecimal(Func):
    """A number as a non-integer SQL value, so ``/`` never divides integers (SQLite
    stores a whole-yuan DECIMAL as an INTEGER)."""

    template = "CAST(%(expressions)s AS NUMERIC)"
    output_field = DecimalField(max_digits=30, decimal_places=10)

    def as_sqlite(self, compiler: Any, connection: Any, **extra: Any) -> Any:
        return self.as_sql(compiler, connection, template="CAST(%(expressions)s AS REAL)", **extra)


class DaysSince(Func):
    """Whole days from a date value to the constant date ``as_of`` (``as_of − date``; NULL
    stays NULL): ``date − date`` on PostgreSQL, the difference of Julian days on SQLite
    (both exact for dates)."""

    output_field = IntegerField()

    def __init__(self, expression: Any, as_of: dt.date) -> None:
        super().__init__(expression)
        self.as_of = as_of

    def as_postgresql(self, compiler: Any, connection: Any, **extra: Any) -> Any:
        inner, params = compiler.compile(self.source_expressions[0])
        return f"(CAST(%s AS date) - {inner})", [self.as_of.isoformat(), *params]

    def as_sqlite(self, compiler: Any, connection: Any, **extra: Any) -> Any:
        inner, params = compiler.compile(self.source_expressions[0])
        return (
            f"CAST(julianday(%s) - julianday({inner}) AS INTEGER)",
            [self.as_of.isoformat(), *params],
        )


class DayBefore(Func):
    """The day before a date value (NULL stays NULL): ``date − 1`` on PostgreSQL,
    ``date(…, '-1 day')`` on SQLite."""

    output_field = DateField()

    def as_postgresql(self, compiler: Any, connection: Any, **extra: Any) -> Any:
        inner, params = compiler.compile(self.source_expressions[0])
        return f"({inner} - 1)", params

    def as_sqlite(self, compiler: Any, connection: Any, **extra: Any) -> Any:
        inner, params = compiler.compile(self.source_expressions[0])
        return f"date({inner}, '-1 day')", params


def alive_on(date: dt.date, prefix: str = "") -> Q:
    """Alive on ``date``: no death date, or one after it (the day of death is not alive)."""
    return Q(**{f"{prefix}death_date__isnull": True}) | Q(**{f"{prefix}death_date__gt": date})


def in_force(date: dt.date) -> Q:
    return EffectiveDated.as_of_q(date)


def shift_years(date: dt.date, years: int) -> dt.date | None:
    """``date`` moved by ``years`` (29 February → 28 February); None when out of range."""
    year = date.year + years
    if not 1 <= year <= 9999:
        return None
    try:
        return date.replace(year=year)
    except ValueError:
        return date.replace(year=year, day=28)


class Compiler:
    """Compiles one rule for one date. With ``alias`` set, scalar facts are collected in
    ``aliases`` (to be ``.alias()``ed on the queryset once) and referenced by name."""

    def __init__(
        self, as_of: dt.date, *, alias: bool, columns: dict[str, Any] | None = None
    ) -> None:
        self.as_of = as_of
        self.alias = alias
        self.aliases: dict[str, Any] = {}
        self._stamp = as_of.strftime("%Y%m%d")
        # attribute -> column of the inner row, when compiling inside a row source's EXISTS
        self.columns = columns or {}

    # --- row sources: a clause on one fact becomes EXISTS over that fact's rows ------------

    def rows(self, source: str) -> QuerySet[Any]:
        """The rows a fact is read from, in force on the date, correlated to the person.

        Effective-dated facts never overlap (exclusion constraints on PostgreSQL, the
        service layer on SQLite), so at most one row is in force: the one the scalar
        subqueries and ``facts_for_person`` pick. Surveys are not intervals: the latest
        one on or before the date is the one with no later survey.
        """
        d = self.as_of
        if source == "certificate":
            return Certificate.objects.filter(in_force(d), person=OuterRef("pk"))
        if source == "household":
            return HouseholdStatus.objects.filter(in_force(d), household=OuterRef("household_id"))
        if source == "residence":
            return Residence.objects.filter(in_force(d), person=OuterRef("pk"))
        if source == "person_status":
            return PersonStatus.objects.filter(in_force(d), person=OuterRef("pk"))
        later = NeedsSurvey.objects.filter(
            Q(survey_date__gt=OuterRef("survey_date"))
            | Q(survey_date=OuterRef("survey_date"), pk__gt=OuterRef("pk")),
            person=OuterRef("person"),
            survey_date__lte=d,
        )
        return NeedsSurvey.objects.filter(person=OuterRef("pk"), survey_date__lte=d).exclude(
            Exists(later)
        )

    def on_rows(self, source: str, holds: Q, holds_by_default: bool) -> Q:
        """``holds`` of the row in force, or ``holds_by_default`` when there is none."""
        if holds_by_default:
            return ~Q(Exists(self.rows(source).filter(~holds)))
        return Q(Exists(self.rows(source).filter(holds)))

    def pushed(self, leaf: Node) -> Q | None:
        """A clause reading one fact (besides constants) as EXISTS over the fact's rows,
        which the databases run as a semi-join; None when the clause reads more."""
        if isinstance(leaf, Attr) and leaf.name in ROW_CONDITIONS:
            source, holds = ROW_CONDITIONS[leaf.name]
            return self.on_rows(source, holds, bool(ATTRIBUTES[leaf.name].default))
        if not isinstance(leaf, Compare | In):
            return None
        names = {n.name for n in walk(leaf) if isinstance(n, Attr) and n.name not in PERSON_FREE}
        if any(isinstance(n, Call) for n in walk(leaf)) or len(names) != 1:
            return None
        name = names.pop()
        if name not in ROW_COLUMNS:
            return None
        source, column = ROW_COLUMNS[name]
        attr = ATTRIBUTES[name]
        inner_value = Coalesce(
            F(column),
            Value(attr.default, output_field(attr.type)),
            output_field=output_field(attr.type),
        )
        inner = Compiler(self.as_of, alias=False, columns={name: inner_value}).condition(leaf)
        by_default = evaluate.value(leaf, evaluate.DefaultEnv(self.as_of, name, attr.default))
        return self.on_rows(source, inner, bool(by_default))

    # --- facts ----------------------------------------------------------------------------

    def fact(self, key: str, build: Callable[[], Any]) -> Any:
        if not self.alias:
            return build()
        name = f"rule_{self._stamp}_{key}"
        if name not in self.aliases:
            self.aliases[name] = build()
        return F(name)

    def _certificate(self, column: str) -> Any:
        rows = (
            Certificate.objects.filter(in_force(self.as_of), person=OuterRef("pk"))
            .order_by("-valid_from", "-pk")
            .values(column)[:1]
        )
        return Coalesce(Subquery(rows), Value(0), output_field=IntegerField())

    def cert(self, column: str) -> Any:
        return self.fact(f"cert_{column}", lambda: self._certificate(column))

    def household_status(self) -> Any:
        def build() -> Any:
            rows = (
                HouseholdStatus.objects.filter(
                    in_force(self.as_of), household=OuterRef("household_id")
                )
                .order_by("-valid_from", "-pk")
                .values("status")[:1]
            )
            return Coalesce(Subquery(rows), Value("none"), output_field=CharField())

        return self.fact("household_status", build)

    def household_members(self) -> Any:
        """The household's members alive on the date (membership as it is now: the registry
        does not date it); 0 without a household."""

        def build() -> Any:
            rows = (
                Person.objects.filter(alive_on(self.as_of), household_id=OuterRef("household_id"))
                .order_by()
                .values("household_id")
                .annotate(n=Count("pk"))
                .values("n")
            )
            return Coalesce(Subquery(rows), Value(0), output_field=IntegerField())

        return self.fact("household_members", build)

    def dibao_ended_days(self) -> Any:
        """Days from the last day of the household's latest 低保 period that ended before
        the date, to the date; -1 when none did."""

        def build() -> Any:
            rows = (
                HouseholdStatus.objects.filter(
                    household=OuterRef("household_id"),
                    status=HouseholdStatusCode.DIBAO,
                    valid_to__lt=self.as_of,
                )
                .order_by("-valid_to")
                .values("valid_to")[:1]
            )
            return Coalesce(
                DaysSince(Subquery(rows), self.as_of), Value(-1), output_field=IntegerField()
            )

        return self.fact("dibao_ended_days", build)

    def earner_lost_days(self) -> Any:
        """Days from the latest last day (before the date) of any household member's
        employment to the date, when no member alive on the date is employed on it; -1 when
        one is, when no member's employment ended before the date, or without a household.
        An employment ends at the latest the day before its member's death."""

        def build() -> Any:
            members = Employment.objects.filter(person__household_id=OuterRef("household_id"))
            working = members.filter(in_force(self.as_of), alive_on(self.as_of, "person__"))
            # the last day worked: the end, cut to the day before the member's death
            # (facts.employment_last_day)
            died = F("person__death_date")
            last = Case(
                When(
                    Q(person__death_date__isnull=False)
                    & (Q(valid_to__isnull=True) | Q(valid_to__gte=died)),
                    then=DayBefore(died),
                ),
                default=F("valid_to"),
                output_field=DateField(),
            )
            ended = (
                members.annotate(last=last)
                .filter(last__lt=self.as_of, valid_from__lte=F("last"))
                .order_by("-last")
                .values("last")[:1]
            )
            return Case(
                When(Exists(working), then=Value(-1)),
                default=Coalesce(
                    DaysSince(Subquery(ended), self.as_of), Value(-1), output_field=IntegerField()
                ),
                output_field=IntegerField(),
            )

        return self.fact("earner_lost_days", build)

    def medical_out_of_pocket_year(self) -> Any:
        """The out-of-pocket amounts of the settlements dated in the 365 days up to the date
        (``date − 364 … date``) of the members of the person's household, the dead
        included, or of the person alone without a household; rounded to the fen (SQLite
        sums decimals as floating point)."""

        def build() -> Any:
            start = self.as_of - dt.timedelta(days=364)
            rows = (
                MedicalSettlement.objects.filter(
                    Q(person__household_id=OuterRef("household_id")) | Q(person_id=OuterRef("pk")),
                    settled_on__gte=start,
                    settled_on__lte=self.as_of,
                )
                .order_by()
                .values(one=Value(1))
                .annotate(total=Round(Sum("out_of_pocket"), 2))
                .values("total")
            )
            number = output_field(Type.NUMBER)
            return Coalesce(Subquery(rows), Value(Decimal(0), number), output_field=number)

        return self.fact("medical_out_of_pocket_year", build)

    def sourced(self, name: str) -> Any:
        """An attribute an app above registers (``catalogue.register_attribute_source``)."""
        attr = ATTRIBUTES[name]

        def build() -> Any:
            return Coalesce(
                attribute_source(name).sql(self.as_of),
                Value(attr.default, output_field(attr.type)),
                output_field=output_field(attr.type),
            )

        return self.fact("src_" + name.replace(".", "_"), build)

    def residence(self) -> Any:
        def build() -> Any:
            rows = (
                Residence.objects.filter(in_force(self.as_of), person=OuterRef("pk"))
                .order_by("-valid_from", "-pk")
                .values("village_code")[:1]
            )
            return Coalesce(Subquery(rows), F("village_code"), output_field=CharField())

        return self.fact("residence", build)

    def survey(self, column: str, t: Type, default: Scalar) -> Any:
        def build() -> Any:
            rows = (
                NeedsSurvey.objects.filter(person=OuterRef("pk"), survey_date__lte=self.as_of)
                .order_by("-survey_date", "-pk")
                .values(column)[:1]
            )
            return Coalesce(
                Subquery(rows), Value(default, output_field(t)), output_field=output_field(t)
            )

        return self.fact(f"survey_{column}", build)

    def age(self) -> Any:
        d = self.as_of
        before_birthday = Q(birth_date__month__gt=d.month) | Q(
            birth_date__month=d.month, birth_date__day__gt=d.day
        )
        # EXTRACT gives numeric on PostgreSQL 14+: cast, so that ``age / 7`` divides integers
        year = Cast(ExtractYear("birth_date"), IntegerField())
        return CombinedExpression(
            CombinedExpression(Value(d.year), "-", year, output_field=IntegerField()),
            "-",
            Case(
                When(before_birthday, then=Value(1)), default=Value(0), output_field=IntegerField()
            ),
            output_field=IntegerField(),
        )

    # --- values ---------------------------------------------------------------------------

    def value(self, node: Node) -> Any:
        if person_free(node):
            folded = evaluate.value(node, evaluate.ConstEnv(self.as_of))
            return Value(folded, output_field(node.type))
        if isinstance(node, Attr):
            return self.attribute_value(node)
        if isinstance(node, Neg):
            return CombinedExpression(
                Value(0, output_field(node.type)),
                "-",
                self.value(node.operand),
                output_field=output_field(node.type),
            )
        if isinstance(node, Arith):
            left, right = self.value(node.left), self.value(node.right)
            if node.op == "/" and node.type is Type.NUMBER:
                left, right = AsDecimal(left), AsDecimal(right)
            elif node.op == "/":  # integer division truncates toward zero on both databases
                left, right = Cast(left, IntegerField()), Cast(right, IntegerField())
            return CombinedExpression(left, node.op, right, output_field=output_field(node.type))
        if isinstance(node, Cond):
            return Case(
                When(self.condition(node.cond), then=self.value(node.then)),
                default=self.value(node.orelse),
                output_field=output_field(node.type),
            )
        # a bool used as a value (``a == b`` between two conditions)
        return Case(
            When(self.condition(node), then=Value(True)),
            default=Value(False),
            output_field=BooleanField(),
        )

    def attribute_value(self, node: Attr) -> Any:
        name = node.name
        if name in self.columns:
            return self.columns[name]
        if name in _FACT_METHODS:
            return getattr(self, _FACT_METHODS[name])()
        if ATTRIBUTES[name].sourced:
            return self.sourced(name)
        if name == "sex":
            return F("sex")
        if name == "birth_date":
            return F("birth_date")
        if name == "certificate.level":
            return self.cert("level")
        if name == "certificate.category":
            return self.cert("category")
        if name == "survey.device_kind":
            return self.survey("device_need", Type.STRING, "")
        if name in SURVEY_FIELDS:
            attr = ATTRIBUTES[name]
            return self.survey(SURVEY_FIELDS[name], attr.type, attr.default)
        # boolean attributes as values
        return Case(
            When(self.attribute_condition(node), then=Value(True)),
            default=Value(False),
            output_field=BooleanField(),
        )

    # --- conditions -----------------------------------------------------------------------

    def condition(self, node: Node) -> Q:
        if person_free(node):
            return TRUE if evaluate.value(node, evaluate.ConstEnv(self.as_of)) else FALSE
        if isinstance(node, Not):
            return ~self.condition(node.operand)
        if isinstance(node, BoolOp):
            left, right = self.condition(node.left), self.condition(node.right)
            return (left & right) if node.op == "&&" else (left | right)
        if not self.columns:
            pushed = self.pushed(node)
            if pushed is not None:
                return pushed
        if isinstance(node, Attr):
            return self.attribute_condition(node)
        if isinstance(node, Call):
            return self.call(node)
        if isinstance(node, Compare):
            return self.compare(node)
        if isinstance(node, In):
            return self.membership(node)
        raise TypeError(type(node).__name__)  # pragma: no cover - the checker allows no other

    def attribute_condition(self, node: Attr) -> Q:
        name, d = node.name, self.as_of
        if name == "alive":
            return alive_on(d)
        if name == "certificate.valid":
            return Q(GreaterThan(self.cert("level"), 0))
        if name == "certificate.severe":
            level = self.cert("level")
            return Q(Exact(level, 1)) | Q(Exact(level, 2))
        if name == "in_destitute_care":
            # the person's own status (特困供养人员), never the household's (issue 15 part 3)
            return Q(
                Exists(
                    PersonStatus.objects.filter(
                        in_force(d), person=OuterRef("pk"), status=PersonStatusCode.TEKUN
                    )
                )
            )
        if name == "long_term_care_need":
            return Q(Exact(self.survey("long_term_care_need", Type.BOOL, False), True))
        if name == "in_school":
            return Q(Exists(SchoolEnrolment.objects.filter(in_force(d), person=OuterRef("pk"))))
        if name == "survey.device_need":
            return ~Q(Exact(self.survey("device_need", Type.STRING, ""), ""))
        attr = ATTRIBUTES[name]
        return Q(Exact(self.survey(SURVEY_FIELDS[name], Type.BOOL, attr.default), True))

    def call(self, node: Call) -> Q:
        d = self.as_of
        if node.name == "in_region":
            prefix = region_prefix(node.arg)
            # the residence in force on the date, else the person's current village
            return Q(Exists(self.rows("residence").filter(village_code__startswith=prefix))) | (
                ~Q(Exists(self.rows("residence"))) & Q(village_code__startswith=prefix)
            )
        if node.name == "insured":
            rows = InsuranceEnrolment.objects.filter(
                in_force(d), person=OuterRef("pk"), kind=node.arg
            )
            return Q(Exists(rows))
        q = FALSE
        if node.arg in outside_payment_codes():
            paid = OutsidePayment.objects.filter(in_force(d), person=OuterRef("pk"), kind=node.arg)
            q = q | Q(Exists(paid))
        for source in receiving_sources():
            if node.arg in source.codes():
                cond = source.sql(node.arg, d)
                q = q | (cond if isinstance(cond, Q) else Q(cond))
        return q

    def compare(self, node: Compare) -> Q:
        op, left, right = node.op, node.left, node.right
        if person_free(left) and not person_free(right):
            op, left, right = _FLIPPED[op], right, left
        if left.type is Type.BOOL:
            a, b = self.condition(left), self.condition(right)
            same = (a & b) | (~a & ~b)
            return same if op == "==" else ~same
        if isinstance(left, Attr) and left.name == "age" and person_free(right):
            bound = evaluate.value(right, evaluate.ConstEnv(self.as_of))
            if isinstance(bound, int) and not isinstance(bound, bool):
                return self.age_compare(op, bound)
        lhs = self.value(left)
        rhs = self.value(right)
        if op == "!=":
            return ~Q(Exact(lhs, rhs))
        return Q(_LOOKUPS[op](lhs, rhs))

    def age_at_least(self, years: int) -> Q:
        """``age >= years`` as a range on ``birth_date`` (an index can serve it)."""
        latest_birth = shift_years(self.as_of, -years)
        if latest_birth is None:
            return FALSE if years > 0 else TRUE
        return Q(birth_date__lte=latest_birth)

    def age_compare(self, op: str, n: int) -> Q:
        if op == ">=":
            return self.age_at_least(n)
        if op == ">":
            return self.age_at_least(n + 1)
        if op == "<":
            return ~self.age_at_least(n)
        if op == "<=":
            return ~self.age_at_least(n + 1)
        exactly = self.age_at_least(n) & ~self.age_at_least(n + 1)
        return exactly if op == "==" else ~exactly

    def membership(self, node: In) -> Q:
        items = node.items.items
        if not items:
            return FALSE
        if (
            isinstance(node.left, Attr)
            and node.left.name == "age"
            and all(isinstance(i.value, int) for i in items)
        ):
            q = FALSE
            for item in items:
                q = q | self.age_compare("==", int(item.value))  # type: ignore[arg-type]
            return q
        lhs = self.value(node.left)
        q = FALSE
        for item in _unique(items):
            q = q | Q(Exact(lhs, Value(item.value, output_field(_item_type(node.left.type, item)))))
        return q


# Valued attributes read by a method of the compiler (which the materialised facts'
# compiler may override).
_FACT_METHODS: dict[str, str] = {
    "age": "age",
    "household.status": "household_status",
    "household.members": "household_members",
    "household.dibao_ended_days": "dibao_ended_days",
    "household.earner_lost_days": "earner_lost_days",
    "household.medical_out_of_pocket_year": "medical_out_of_pocket_year",
}


def _unindexed(column: str, default: Scalar) -> Any:
    """The column wrapped so that no index on it is used: SQLite without statistics would
    otherwise scan every ``tekun`` status for each person instead of the person's rows."""
    return Coalesce(F(column), Value(default))


# Boolean attributes that are a condition on one row of a fact: (source, condition).
ROW_CONDITIONS: dict[str, tuple[str, Q]] = {
    "certificate.valid": ("certificate", Q()),
    "certificate.severe": ("certificate", Q(InList(_unindexed("level", 0), [1, 2]))),
    "in_destitute_care": ("person_status", Q(Exact(_unindexed("status", ""), "tekun"))),
    "long_term_care_need": ("survey", Q(Exact(_unindexed("long_term_care_need", False), True))),
    "survey.rehab_need": ("survey", Q(Exact(_unindexed("rehab_need", False), True))),
    "survey.device_need": ("survey", ~Q(Exact(_unindexed("device_need", ""), ""))),
    "survey.home_renovation_need": (
        "survey",
        Q(Exact(_unindexed("home_renovation_need", False), True)),
    ),
    "survey.care_need": ("survey", Q(Exact(_unindexed("care_need", False), True))),
    "survey.employment_wish": ("survey", Q(Exact(_unindexed("employment_wish", False), True))),
}
# Valued attributes read from one row of a fact: (source, column).
ROW_COLUMNS: dict[str, tuple[str, str]] = {
    "certificate.level": ("certificate", "level"),
    "certificate.category": ("certificate", "category"),
    "household.status": ("household", "status"),
    "survey.device_kind": ("survey", "device_need"),
    "survey.employment_status": ("survey", "employment_status"),
    "survey.school_status": ("survey", "school_status"),
    "survey.income_per_capita": ("survey", "income_per_capita"),
}


def _item_type(left: Type, item: Literal) -> Type:
    return Type.NUMBER if Type.NUMBER in (left, item.type) else item.type


def _unique(items: tuple[Literal, ...]) -> list[Literal]:
    seen: list[Scalar] = []
    out: list[Literal] = []
    for item in items:
        if item.value not in seen:
            seen.append(item.value)
            out.append(item)
    return out


def condition_q(root: Node, as_of: dt.date) -> Q:
    return Compiler(as_of, alias=False).condition(root)


def filter_queryset(root: Node, queryset: QuerySet[Person], as_of: dt.date) -> QuerySet[Person]:
    compiler = Compiler(as_of, alias=True)
    q = compiler.condition(root)
    if compiler.aliases:
        queryset = queryset.alias(**compiler.aliases)
    return queryset.filter(q)


def value_expression(root: Node, as_of: dt.date) -> Expression:
    """A number rule as an expression over ``Person`` (for annotating amounts)."""
    out: Expression = Compiler(as_of, alias=False).value(root)
    return out


__all__ = ["condition_q", "filter_queryset", "value_expression"]
