"""Monthly payment lists (发放名册): generated set-based, approved (then frozen), results
imported from the bank's file.

Generation is one ``INSERT … SELECT`` for the lines and one for the ledger of paid months,
whatever the number of people; arrears (补发, late approvals) and deductions (扣减, months
already paid that a back-dated suspension removed) concern few lines and are computed in
one pass over those lines only. The query count does not grow with the list.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Callable
from decimal import Decimal
from typing import Any

from django.conf import settings
from django.db import IntegrityError, connection, transaction
from django.db.models import (
    Case,
    Count,
    DateField,
    DecimalField,
    Exists,
    F,
    FilteredRelation,
    Func,
    IntegerField,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
    Sum,
    TextField,
    Value,
    When,
)
from django.db.models.functions import Coalesce

from dpf.accounts.models import User
from dpf.accounts.permissions import PermissionRefused, require_permission
from dpf.accounts.scoping import region_in_scope
from dpf.benefits.models import BenefitItem, Entitlement
from dpf.benefits.standards import StandardTable
from dpf.core import audit
from dpf.core.certnumber import Level
from dpf.core.dates import add_months, month_start
from dpf.core.errors import DomainError, NotFound, ValidationFailed
from dpf.core.models import EffectiveDated, Region, RegionLevel
from dpf.jobs.models import Job
from dpf.jobs.services import job_start
from dpf.registry.models import Certificate
from dpf.workflow.models import (
    ApplicationItem,
    PayeeAccount,
    PaymentLine,
    PaymentList,
    PaymentMonth,
)
from dpf.workflow.services.common import now_or, refuse, today_or

ARREARS_MAX_MONTHS = 24
ZERO = Decimal("0.00")
MONEY: DecimalField[Decimal, Decimal] = DecimalField(max_digits=10, decimal_places=2)


def _require_officer(
    actor: User | None, county_code: str, action: str = "create", list_id: int | None = None
) -> None:
    """Payment lists are made, approved, changed and exported by the county DPF of that
    county: the permission table's (``action``, payment_list), in the list's county. The
    refusal names the list (or the county, before a list exists) in the audit entry."""
    object_id = list_id if list_id is not None else county_code
    require_permission(actor, action, "payment_list", object_id)
    if not region_in_scope(actor, county_code):
        raise PermissionRefused(action, "payment_list", object_id)


# Amount standards: the table and its ranking live in ``benefits.standards`` -----------


class AmountByLevel(Func):
    """``CASE <level> WHEN 1 THEN a1 … ELSE <default> END``: the level evaluated once."""

    output_field = MONEY

    def __init__(self, level: Any, amounts: dict[int, Decimal], default: Any) -> None:
        self.amounts = amounts
        super().__init__(level, default, output_field=MONEY)

    def as_sql(  # type: ignore[override]
        self, compiler: Any, connection: Any, **extra: Any
    ) -> tuple[str, list[Any]]:
        level_sql, level_params = compiler.compile(self.source_expressions[0])
        default_sql, default_params = compiler.compile(self.source_expressions[1])
        whens = " ".join("WHEN %s THEN CAST(%s AS NUMERIC)" for _ in self.amounts)
        params: list[Any] = [*level_params]
        for level, amount in sorted(self.amounts.items()):
            params += [level, str(amount)]
        return f"CASE ({level_sql}) {whens} ELSE {default_sql} END", [*params, *default_params]


def _amount_expression(table: StandardTable[Decimal], county_code: str, month: dt.date) -> Any:
    """The month's amount: an amount decided for the entitlement (``amount_fixed``: a care
    placement's subsidy) as it is; otherwise the standard in force for the person's level
    on the first day, else the entitlement's own amount, else 0."""
    return Case(
        When(amount_fixed=True, then=F("monthly_amount")),
        default=_standard_expression(table, county_code, month),
        output_field=MONEY,
    )


def _standard_expression(table: StandardTable[Decimal], county_code: str, month: dt.date) -> Any:
    by_level = {lvl: table.pick(county_code, lvl, month) for lvl in (1, 2, 3, 4)}
    any_level = table.pick(county_code, None, month)
    fallback: Any = Coalesce(F("monthly_amount"), Value(ZERO), output_field=MONEY)
    default: Any = Value(any_level, output_field=MONEY) if any_level is not None else fallback
    specific = {lvl: a for lvl, a in by_level.items() if a is not None and a != any_level}
    if not specific and all(a is not None for a in by_level.values()):
        return default
    if not specific:
        specific = {lvl: a for lvl, a in by_level.items() if a is not None}
    level = Subquery(
        Certificate.objects.filter(EffectiveDated.as_of_q(month), person_id=OuterRef("person_id"))
        .order_by("-valid_from")
        .values("level")[:1]
    )
    return AmountByLevel(level, specific, default)


# Generation ----------------------------------------------------------------------------

LINE_COLUMNS = (
    ("payment_list_id", "c_list"),
    ("entitlement_id", "c_entitlement"),
    ("person_id", "c_person"),
    ("benefit_id", "c_benefit"),
    ("month", "c_month"),
    ("county_code", "c_county"),
    ("township_code", "c_township"),
    ("village_code", "c_village"),
    ("amount", "c_amount"),
    ("arrears_months", "c_arrears_months"),
    ("arrears_amount", "c_arrears_amount"),
    ("deduction_months", "c_deduction_months"),
    ("deduction_amount", "c_deduction_amount"),
    ("net_amount", "c_amount"),
    ("bank_name", "c_bank_name"),
    ("account_holder", "c_account_holder"),
    ("bank_account", "c_bank_account"),
    ("bank_account_masked", "c_bank_account_masked"),
    ("status", "c_status"),
    ("failure_reason", "c_failure_reason"),
)


def payable_entitlements(
    benefit: BenefitItem, county_code: str, month: dt.date
) -> QuerySet[Entitlement]:
    """Entitlements of the county's residents in force on the month's first day, not yet
    paid for that month, of living persons (or who died in or after that month)."""
    paid = PaymentMonth.objects.filter(
        person_id=OuterRef("person_id"), benefit_id=benefit.pk, month=month
    )
    return Entitlement.objects.filter(
        EffectiveDated.as_of_q(month),
        Q(person__death_date__isnull=True) | Q(person__death_date__gte=month),
        benefit=benefit,
        person__county_code=county_code,
    ).exclude(Exists(paid))


def _paid_to() -> FilteredRelation:
    """The person's current *verified* account, joined once (at most one per person: the
    constraint ``payee_one_current``): a pending change is never paid to, and a person
    without a verified account gets a line with no account ("no verified account"). A
    correlated subquery per column read the account four times per line. (A new object
    per query: Django keeps the query's join on it.)"""
    return FilteredRelation(
        "person__payee_accounts",
        condition=Q(
            person__payee_accounts__status=PayeeAccount.Status.VERIFIED,
            person__payee_accounts__valid_to__isnull=True,
        ),
    )


def _account(field: str) -> Any:
    """A column of the account ``_paid_to`` joins ("" without one)."""
    # TextField output: the encrypted column is copied as stored, never decrypted here.
    return Coalesce(F(f"paid_to__{field}"), Value(""), output_field=TextField())


def _insert_select(table: str, columns: list[tuple[str, str]], queryset: QuerySet[Any]) -> int:
    """``INSERT INTO table (column, …) SELECT src.alias, … FROM (queryset) src``.

    The wrapping select lets one computed alias fill two columns without computing it
    twice. Table, column and alias names come from model metadata and this module; every
    value is a parameter.
    """
    sql, params = queryset.query.sql_with_params()
    quote = connection.ops.quote_name
    cols = ", ".join(quote(column) for column, _ in columns)
    picks = ", ".join(f"src.{quote(alias)}" for _, alias in columns)
    statement = f"INSERT INTO {quote(table)} ({cols}) SELECT {picks} FROM ({sql}) src"  # noqa: S608
    with connection.cursor() as cur:
        cur.execute(statement, params)
        return int(cur.rowcount or 0)


def _insert_lines(plist: PaymentList, table: StandardTable) -> int:
    month = plist.month
    amount = _amount_expression(table, plist.county_code, month)
    annotations: dict[str, Any] = {
        "c_list": Value(plist.pk, output_field=IntegerField()),
        "c_entitlement": F("pk"),
        "c_person": F("person_id"),
        "c_benefit": F("benefit_id"),
        "c_month": Value(month, output_field=DateField()),
        "c_county": F("person__county_code"),
        "c_township": F("person__township_code"),
        "c_village": F("person__village_code"),
        "c_amount": amount,
        "c_arrears_months": Value(0, output_field=IntegerField()),
        "c_arrears_amount": Value(ZERO, output_field=MONEY),
        "c_deduction_months": Value(0, output_field=IntegerField()),
        "c_deduction_amount": Value(ZERO, output_field=MONEY),
        "c_bank_name": _account("bank_name"),
        "c_account_holder": _account("account_holder"),
        "c_bank_account": _account("account_number"),
        "c_bank_account_masked": _account("account_masked"),
        "c_status": Value(PaymentLine.Status.PENDING.value, output_field=TextField()),
        "c_failure_reason": Value("", output_field=TextField()),
    }
    queryset = (
        payable_entitlements(plist.benefit, plist.county_code, month)
        .annotate(paid_to=_paid_to())
        .annotate(**annotations)
        .values(*annotations)
        .order_by()
    )
    return _insert_select(PaymentLine._meta.db_table, list(LINE_COLUMNS), queryset)


def _insert_regular_months(plist: PaymentList) -> int:
    queryset = (
        PaymentLine.objects.filter(payment_list=plist)
        .annotate(
            c_line=F("pk"),
            c_person=F("person_id"),
            c_benefit=F("benefit_id"),
            c_month=F("month"),
            c_kind=Value(PaymentMonth.Kind.REGULAR.value, output_field=TextField()),
            c_amount=F("amount"),
        )
        .values("c_line", "c_person", "c_benefit", "c_month", "c_kind", "c_amount")
        .order_by()
    )
    columns = [
        ("line_id", "c_line"),
        ("person_id", "c_person"),
        ("benefit_id", "c_benefit"),
        ("month", "c_month"),
        ("kind", "c_kind"),
        ("amount", "c_amount"),
    ]
    return _insert_select(PaymentMonth._meta.db_table, columns, queryset)


def _apply_arrears(plist: PaymentList, table: StandardTable[Decimal]) -> None:
    """Late approvals: the months from the entitlement's start (the month of application)
    to the list's month that were never paid, each at the standard in force then for the
    person's level on the list's month (an amount decided for the period as it is; without
    a standard, the line's amount).

    Set-based, one statement each: the months by ``INSERT … SELECT`` over the list's lines
    of approved applications crossed with the ``ARREARS_MAX_MONTHS`` months before the
    list's (a small inline table, with the standards of each level by runs of months),
    less the months already paid; then each line's count and sum. A month series and the
    standards are computed here from ``StandardTable.pick``, the one owner of which
    standard applies (``tests/workflow/test_arrears.py`` compares the result with the
    months and amounts counted person by person).
    """
    month = plist.month
    earliest = add_months(month, -ARREARS_MAX_MONTHS)
    months = [add_months(earliest, n) for n in range(ARREARS_MAX_MONTHS)]
    # PostgreSQL types a bare parameter in a select list as text; SQLite keeps dates as text
    date = "CAST(%s AS DATE)" if connection.vendor == "postgresql" else "%s"
    series = " UNION ALL ".join(f"SELECT {date} AS f_month, {date} AS f_end" for _ in months)
    series_params = [d for m in months for d in (m, add_months(m, 1) - dt.timedelta(days=1))]
    # The standard of each level (0: no certificate in force) by runs of months at the
    # same amount: a handful of rows, where one per level and month made the statement's
    # planning cost more than its run.
    standards: list[tuple[int, dt.date, dt.date, str]] = []
    for level in (None, *Level.values):
        for m in months:
            picked = table.pick(plist.county_code, level, m)
            if picked is None:
                continue
            key = (level or 0, str(picked))
            if (
                standards
                and (standards[-1][0], standards[-1][3]) == key
                and (add_months(standards[-1][2], 1) == m)
            ):
                standards[-1] = (*standards[-1][:2], m, key[1])
            else:
                standards.append((key[0], m, m, key[1]))
    quote = connection.ops.quote_name
    lines, paid, periods, items, certificates = (
        quote(model._meta.db_table)
        for model in (PaymentLine, PaymentMonth, Entitlement, ApplicationItem, Certificate)
    )
    in_force = (
        f"(SELECT c.level FROM {certificates} c WHERE c.person_id = pl.person_id"  # noqa: S608
        f" AND c.valid_from <= %s AND (c.valid_to IS NULL OR c.valid_to >= %s)"
        f" ORDER BY c.valid_from DESC LIMIT 1)"
    )
    amount, by_standard, standard_params = "l.amount", "", []
    if standards:
        rows = " UNION ALL ".join(
            f"SELECT %s AS f_level, {date} AS f_from, {date} AS f_to,"
            f" CAST(%s AS NUMERIC) AS f_amount"
            for _ in standards
        )
        by_standard = (
            f" LEFT JOIN ({rows}) s ON s.f_level = l.lvl"
            f" AND m.f_month >= s.f_from AND m.f_month <= s.f_to"
        )
        amount = "CASE WHEN l.amount_fixed THEN l.amount ELSE COALESCE(s.f_amount, l.amount) END"
        standard_params = [value for row in standards for value in row]
    # The lines and their levels materialised first: inlined, PostgreSQL evaluated the
    # level's subquery in the join's condition, twice per month instead of once per line.
    statement = (
        f"INSERT INTO {paid} (line_id, person_id, benefit_id, month, kind, amount)"  # noqa: S608
        f" WITH l AS MATERIALIZED (SELECT pl.id, pl.person_id, pl.benefit_id, pl.amount,"
        f" e.amount_fixed, e.valid_from, COALESCE({in_force}, 0) AS lvl"
        f" FROM {lines} pl JOIN {periods} e ON e.id = pl.entitlement_id"
        f" WHERE pl.payment_list_id = %s AND e.valid_from < %s"
        f" AND EXISTS (SELECT 1 FROM {items} i WHERE i.entitlement_id = e.id))"
        f" SELECT l.id, l.person_id, l.benefit_id, m.f_month, %s, {amount}"
        f" FROM l JOIN ({series}) m ON m.f_end >= l.valid_from{by_standard}"
        f" WHERE NOT EXISTS (SELECT 1 FROM {paid} pm WHERE pm.person_id = l.person_id"
        f" AND pm.benefit_id = l.benefit_id AND pm.month = m.f_month)"
    )
    params = [
        month,
        month,
        plist.pk,
        month,
        PaymentMonth.Kind.ARREARS.value,
        *series_params,
        *standard_params,
    ]
    with connection.cursor() as cursor:
        cursor.execute(statement, params)
        if not cursor.rowcount:
            return
    arrears = PaymentMonth.objects.filter(line=OuterRef("pk"), kind=PaymentMonth.Kind.ARREARS)
    count = arrears.order_by().values("line").annotate(n=Count("pk")).values("n")
    total = arrears.order_by().values("line").annotate(t=Sum("amount")).values("t")
    PaymentLine.objects.filter(payment_list=plist).filter(Exists(arrears)).update(
        arrears_months=Subquery(count, output_field=IntegerField()),
        arrears_amount=Subquery(total, output_field=MONEY),
        net_amount=F("amount") + Subquery(total, output_field=MONEY),
    )


def overpaid_months(benefit_id: int) -> QuerySet[PaymentMonth]:
    """Months paid (not failed, not yet recovered) that no entitlement covers any more:
    a suspension or termination was back-dated to before them."""
    covering = Entitlement.objects.filter(
        person_id=OuterRef("person_id"),
        benefit_id=benefit_id,
        valid_from__lte=OuterRef("month"),
    ).filter(Q(valid_to__isnull=True) | Q(valid_to__gte=OuterRef("month")))
    return (
        PaymentMonth.objects.filter(benefit_id=benefit_id, recovered_by__isnull=True)
        .exclude(line__status=PaymentLine.Status.FAILED)
        .exclude(Exists(covering))
    )


def _apply_deductions(plist: PaymentList) -> None:
    """Recover overpaid months from this month's payment to the same person (oldest first,
    never below zero; what does not fit waits for a later month)."""
    person_lines = PaymentLine.objects.filter(payment_list=plist).values("person_id")
    overpaid = list(
        overpaid_months(plist.benefit_id)
        .filter(person_id__in=Subquery(person_lines), month__lt=plist.month)
        .order_by("person_id", "month")
        .values("pk", "person_id", "amount")
    )
    if not overpaid:
        return
    by_person: dict[int, list[Any]] = defaultdict(list)
    for row in overpaid:
        by_person[row["person_id"]].append(row)
    targets = PaymentLine.objects.filter(payment_list=plist, person_id__in=list(by_person)).values(
        "pk", "person_id", "net_amount", "amount", "arrears_amount"
    )
    updated_lines: list[PaymentLine] = []
    recovered: list[PaymentMonth] = []
    for line in targets:
        available: Decimal = line["net_amount"]
        count, total = 0, ZERO
        for month_row in by_person[line["person_id"]]:
            if month_row["amount"] > available:
                break
            available -= month_row["amount"]
            total += month_row["amount"]
            count += 1
            recovered.append(PaymentMonth(pk=month_row["pk"], recovered_by_id=line["pk"]))
        if count:
            updated_lines.append(
                PaymentLine(
                    pk=line["pk"],
                    deduction_months=count,
                    deduction_amount=total,
                    net_amount=line["amount"] + line["arrears_amount"] - total,
                )
            )
    PaymentLine.objects.bulk_update(
        updated_lines, ["deduction_months", "deduction_amount", "net_amount"], batch_size=5000
    )
    PaymentMonth.objects.bulk_update(recovered, ["recovered_by"], batch_size=5000)


def _update_totals(plist: PaymentList) -> None:
    totals = PaymentLine.objects.filter(payment_list=plist).aggregate(
        count=Count("pk"),
        net=Sum("net_amount"),
        arrears=Sum("arrears_amount"),
        deductions=Sum("deduction_amount"),
    )
    plist.line_count = totals["count"] or 0
    plist.total_amount = Decimal(totals["net"] or 0).quantize(Decimal("0.01"))
    plist.total_arrears = Decimal(totals["arrears"] or 0).quantize(Decimal("0.01"))
    plist.total_deductions = Decimal(totals["deductions"] or 0).quantize(Decimal("0.01"))
    plist.save(update_fields=["line_count", "total_amount", "total_arrears", "total_deductions"])


def _check_month(month: dt.date, today: dt.date) -> dt.date:
    if month.day != 1:
        month = month_start(month)
    if month > month_start(today):
        raise refuse(
            "month_future", "不能生成未来月份的名册", "a future month cannot be paid", "month"
        )
    return month


@transaction.atomic
def payment_list_generate(
    *,
    actor: User | None,
    county_code: str,
    benefit: BenefitItem,
    month: dt.date,
    today: dt.date | None = None,
    now: dt.datetime | None = None,
) -> PaymentList:
    """Generate the month's list of one county and benefit (once: a second is refused)."""
    _require_officer(actor, county_code)
    return _generate(
        actor=actor, county_code=county_code, benefit=benefit, month=month, today=today, now=now
    )


def _exists_error() -> ValidationFailed:
    return refuse(
        "list_exists",
        "该旗县区该事项本月的发放名册已生成",
        "this county's list for this benefit and month has already been generated",
        "month",
    )


def _generation_checks(
    *, county_code: str, benefit: BenefitItem, month: dt.date, today: dt.date
) -> dt.date:
    """What refuses a generation before any work: the month, the county, a list there."""
    month = _check_month(month, today)
    if not Region.objects.filter(code=county_code, level=RegionLevel.COUNTY).exists():
        raise refuse("county_unknown", "旗县区不存在", "the county does not exist", "county_code")
    if PaymentList.objects.filter(county_code=county_code, benefit=benefit, month=month).exists():
        raise _exists_error()
    return month


def payment_list_generate_start(
    *,
    actor: User | None,
    county_code: str,
    benefit: BenefitItem,
    month: dt.date,
    today: dt.date | None = None,
) -> Job:
    """Generate in the background (job ``workflow.payment_list``), after the checks that
    refuse at once (so the form shows them); a second start while the first runs joins it.
    The payment lists page shows the job's progress, result or error."""
    _require_officer(actor, county_code)
    month = _generation_checks(
        county_code=county_code, benefit=benefit, month=month, today=today_or(today, None)
    )
    job, _started = job_start(
        actor=actor,
        kind="workflow.payment_list",
        key=payment_list_key(county_code, benefit.code, month),
        params={"county_code": county_code, "benefit": benefit.code, "month": month.isoformat()},
    )
    return job


def payment_list_key(county_code: str, benefit_code: str, month: dt.date) -> str:
    return f"workflow.payment_list:{county_code}:{benefit_code}:{month_start(month):%Y-%m}"


def payment_list_find(
    *, county_code: str, benefit: BenefitItem, month: dt.date
) -> PaymentList | None:
    """The month's list of one county and benefit, if generated (a job re-run reports it)."""
    return PaymentList.objects.filter(
        county_code=county_code, benefit=benefit, month=month_start(month)
    ).first()


def payment_lists_draft(
    *,
    month: dt.date,
    today: dt.date | None = None,
    now: dt.datetime | None = None,
    progress: Callable[[str], None] | None = None,
) -> tuple[int, int]:
    """Draft the month's lists of every county and every benefit with a standard, where
    someone is payable (the schedule ``workflow.payment_lists_draft``, on the configured
    day). Drafted by the platform, not an officer: any officer of the county checks and
    approves each one (four eyes hold: nobody approves a list they generated).

    Each list is its own transaction; a list already generated (by an officer, or by an
    earlier run this crash interrupted) is left as it is, so a re-run finishes the rest
    and gives the same lists. Returns ``(drafted, already there)``."""
    month = month_start(month)
    counties = list(
        Region.objects.filter(level=RegionLevel.COUNTY)
        .order_by("code")
        .values_list("code", flat=True)
    )
    benefits = list(
        BenefitItem.objects.filter(active=True, standards__isnull=False).distinct().order_by("code")
    )
    drafted = existing = 0
    for county in counties:
        if progress is not None:
            progress(f"county {county}: {drafted} drafted")
        for item in benefits:
            if payment_list_find(county_code=county, benefit=item, month=month) is not None:
                existing += 1
                continue
            if not payable_entitlements(item, county, month).exists():
                continue
            try:
                with transaction.atomic():
                    _generate(
                        actor=None,
                        county_code=county,
                        benefit=item,
                        month=month,
                        today=today,
                        now=now,
                    )
            except ValidationFailed as refusal:
                if refusal.code != "list_exists":  # generated meanwhile by an officer
                    raise
                existing += 1
            else:
                drafted += 1
    return drafted, existing


@transaction.atomic
def _generate(
    *,
    actor: User | None,
    county_code: str,
    benefit: BenefitItem,
    month: dt.date,
    today: dt.date | None,
    now: dt.datetime | None,
) -> PaymentList:
    now = now_or(now)
    month = _generation_checks(
        county_code=county_code, benefit=benefit, month=month, today=today_or(today, now)
    )
    try:
        with transaction.atomic():
            plist = PaymentList.objects.create(
                county_code=county_code,
                benefit=benefit,
                month=month,
                generated_at=now,
                generated_by=actor,
            )
    except IntegrityError:
        raise _exists_error() from None
    table = StandardTable.load(benefit)
    _insert_lines(plist, table)
    _insert_regular_months(plist)
    _apply_arrears(plist, table)
    _apply_deductions(plist)
    _update_totals(plist)
    audit.record(
        actor=actor,
        actor_name="" if actor else "scheduler",
        action="create",
        object_type="payment_list",
        object_id=plist.pk,
        changes={
            "county": county_code,
            "benefit": benefit.code,
            "month": month.isoformat(),
            "lines": plist.line_count,
            "total": str(plist.total_amount),
        },
    )
    return plist


def _locked_list(actor: User | None, list_id: int, action: str) -> PaymentList:
    plist = (
        PaymentList.objects.select_for_update().filter(pk=list_id).select_related("benefit")
    ).first()
    if plist is None:
        raise NotFound("payment list")
    _require_officer(actor, plist.county_code, action, plist.pk)
    return plist


def _frozen() -> DomainError:
    return refuse(
        "list_frozen",
        "名册已审核，不能再修改",
        "the list has been approved and is frozen",
    )


@transaction.atomic
def payment_list_approve(
    *, actor: User, list_id: int, now: dt.datetime | None = None
) -> PaymentList:
    """Approve a draft: from now on the list is frozen. Four eyes: the officer who
    generated the list cannot approve it; another officer of the county checks it."""
    plist = _locked_list(actor, list_id, "approve")
    if plist.status != PaymentList.Status.DRAFT:
        raise _frozen()
    if plist.generated_by_id == actor.pk:
        raise refuse(
            "four_eyes",
            "生成名册的人不能审核同一名册，请由本旗县区另一名工作人员审核",
            "the person who generated a payment list cannot approve it: another officer "
            "of the county must",
        )
    plist.status = PaymentList.Status.APPROVED
    plist.approved_at = now_or(now)
    plist.approved_by = actor
    plist.save(update_fields=["status", "approved_at", "approved_by"])
    audit.record(
        actor=actor,
        action="change",
        object_type="payment_list",
        object_id=plist.pk,
        changes={"status": ["draft", "approved"], "total": str(plist.total_amount)},
    )
    return plist


def delete_lines(lines: QuerySet[PaymentLine]) -> None:
    """Delete payment lines and their months in a few statements, whatever their number.

    ``QuerySet.delete()`` would load every line into memory first (Django's collector
    cannot take its fast path while ``PaymentMonth`` refers to lines): 2 GB for a month
    of a province's lists. Months that a deleted line recovered become unrecovered again.
    """
    ids = lines.values("pk")
    PaymentMonth.objects.filter(recovered_by__in=ids).update(recovered_by=None)
    PaymentMonth.objects.filter(line__in=ids).delete()  # nothing refers to months: fast path
    sql, params = ids.query.sql_with_params()
    table = connection.ops.quote_name(PaymentLine._meta.db_table)
    with connection.cursor() as cursor:
        # the table name comes from the model; the subquery is the ORM's, with parameters
        cursor.execute(f"DELETE FROM {table} WHERE id IN ({sql})", params)  # noqa: S608


@transaction.atomic
def payment_list_discard(*, actor: User | None, list_id: int) -> None:
    """Delete a draft (e.g. after correcting entitlements) so it can be generated again."""
    plist = _locked_list(actor, list_id, "change")
    if plist.status != PaymentList.Status.DRAFT:
        raise _frozen()
    info = {"county": plist.county_code, "benefit": plist.benefit.code, "month": str(plist.month)}
    pk = plist.pk
    delete_lines(PaymentLine.objects.filter(payment_list=plist))
    plist.delete()
    audit.record(
        actor=actor, action="change", object_type="payment_list", object_id=pk, changes=info
    )


def mark_exported(
    *, actor: User | None, plist: PaymentList, now: dt.datetime | None = None
) -> None:
    """The bank list was exported (an approved list becomes ``exported``)."""
    if plist.status == PaymentList.Status.APPROVED:
        PaymentList.objects.filter(pk=plist.pk, status=PaymentList.Status.APPROVED).update(
            status=PaymentList.Status.EXPORTED, exported_at=now_or(now)
        )
        plist.status = PaymentList.Status.EXPORTED


def volume_lines() -> int:
    """A township's lines are printed for signing in volumes of at most this many lines
    (setting ``DPF_SIGNING_VOLUME_LINES``, default 1,000): 1,000 lines are 40 to 60
    pages, and each volume carries its own count and total to sign."""
    return max(1, int(getattr(settings, "DPF_SIGNING_VOLUME_LINES", 1000)))


def township_totals(plist: PaymentList) -> list[dict[str, Any]]:
    """Lines and amounts by township (one aggregate query), with the numbers of the
    township's signing volumes."""
    rows = (
        PaymentLine.objects.filter(payment_list=plist)
        .values("township_code")
        .annotate(
            lines=Count("pk"),
            amount=Sum("amount"),
            arrears=Sum("arrears_amount"),
            deductions=Sum("deduction_amount"),
            net=Sum("net_amount"),
        )
        .order_by("township_code")
    )
    names = dict(
        Region.objects.filter(code__in=[r["township_code"] for r in rows]).values_list(
            "code", "name"
        )
    )
    out = []
    for r in rows:
        volumes = range(1, -(-r["lines"] // volume_lines()) + 1)
        out.append(
            {**r, "name": names.get(r["township_code"], r["township_code"]), "volumes": volumes}
        )
    return out
