"""``dpf bench payments``: a month's payment lists for every county (docs/benchmarks.md).

``dpf bench payments run --database postgresql --persons 200000`` builds a throwaway
database, generates the demo registry, enrols about three quarters of it set-based (one
``INSERT … SELECT`` per allowance, one for the bank accounts) and times every county's
list of both allowances, each step in its own child process. ``seed`` and ``measure`` are
those steps, for a database that already holds demo data: they delete and rewrite
entitlements, bank accounts and the month's lists, so the command refuses them on a
database holding a real person (``runner.refuse_real_people``).
"""

from __future__ import annotations

import contextlib
import datetime as dt
import time
from typing import Any

from django.db import connection, transaction
from django.db.models import BooleanField, DateField, F, IntegerField, TextField, Value
from django.db.models.functions import Mod

from dpf.bench import runner
from dpf.bench.statements import timed_statements
from dpf.benefits.models import BenefitItem, Entitlement
from dpf.core import crypto
from dpf.core.dates import add_months
from dpf.core.models import EffectiveDated
from dpf.core.regions import counties
from dpf.registry.models import Certificate, Person
from dpf.workflow.models import PayeeAccount, PaymentLine, PaymentList
from dpf.workflow.services.common import mask_bank_account
from dpf.workflow.services.payments import _insert_select, delete_lines, payment_list_generate

ALLOWANCES = ("living_allowance", "nursing_allowance")
BENCH_ACCOUNT = "6228480000000000018"


def run(
    *, database: str, persons: int, seed: int, month: str, profile: bool = False
) -> dict[str, Any]:
    """A fresh ``database`` with a demo registry of ``persons``, seeded, then the month's
    lists measured twice, each step in its own child process (``profile``: each
    measurement with its statement profile)."""
    with runner.database(database) as url:
        env = {"DATABASE_URL": url, "DPF_DEMO": "1"}
        runner.run_child(["migrate", "--no-input", "-v0"], env)
        generate = ["demo", "generate", "--persons", str(persons), "--seed", str(seed)]
        gen = runner.run_child(generate, env)
        seeded = runner.run_child(["bench", "payments", "seed", "--month", month], env)
        # The first run also pays for reading the freshly loaded rows (PostgreSQL sets
        # hint bits then); the second is a month's generation on a settled database.
        measure = ["bench", "payments", "measure", "--month", month]
        measure += ["--profile"] if profile else []
        first = runner.run_child(measure, env)
        measured = runner.run_child(measure, env)
    return {
        "database": database,
        "persons": persons,
        "demo_seconds": round(gen.seconds, 1),
        "seed": seeded.output,
        "first_measure": first.output,
        "measure": measured.output,
        "measure_peak_mb": round(measured.peak_mb),
    }


def seed(month: dt.date) -> dict[str, Any]:
    """Enrol persons set-based: living allowance for 55 in 100 persons with a valid
    certificate, nursing allowance for every level 1–2 certificate holder (those the demo
    data does not already pay); one bank account each (the same encrypted number for all:
    this is benchmark data)."""
    start = add_months(month, -3)
    benefits = {b.code: b for b in BenefitItem.objects.filter(code__in=ALLOWANCES)}
    certified = Certificate.objects.filter(EffectiveDated.as_of_q(month))
    columns = [
        ("person_id", "b_person"),
        ("benefit_id", "b_benefit"),
        ("status", "b_status"),
        ("valid_from", "b_from"),
        ("source", "b_source"),
        ("status_reason", "b_reason"),
        ("recorded_at", "b_recorded"),
        ("created_at", "b_recorded"),
        ("amount_fixed", "b_fixed"),  # the catalogue's standard (benefits/0010)
    ]
    now = dt.datetime.now(dt.UTC)

    def insert(code: str, persons: Any) -> int:
        # The demo's history already pays some persons: one entitlement each, or their
        # month's line would be generated twice.
        entitled = Entitlement.objects.filter(benefit=benefits[code]).values("person_id")
        rows = (
            persons.exclude(pk__in=entitled)
            .annotate(
                b_person=F("pk"),
                b_benefit=Value(benefits[code].pk, output_field=IntegerField()),
                b_status=Value("active", output_field=TextField()),
                b_from=Value(start, output_field=DateField()),
                b_source=Value("bench", output_field=TextField()),
                b_reason=Value("", output_field=TextField()),
                b_recorded=Value(now),
                b_fixed=Value(False, output_field=BooleanField()),
            )
            .values(
                "b_person",
                "b_benefit",
                "b_status",
                "b_from",
                "b_source",
                "b_reason",
                "b_recorded",
                "b_fixed",
            )
            .order_by()
        )
        return _insert_select(Entitlement._meta.db_table, columns, rows)

    with transaction.atomic():
        # A second seed replaces the first (benchmark rows only, and their lists).
        delete_lines(PaymentLine.objects.filter(entitlement__source="bench"))
        Entitlement.objects.filter(source="bench").delete()
        PayeeAccount.objects.filter(source="bench").delete()
        living = insert(
            "living_allowance",
            Person.objects.filter(pk__in=certified.values("person_id"))
            .annotate(bucket=Mod("pk", 100))
            .filter(bucket__lt=55),
        )
        nursing = insert(
            "nursing_allowance",
            Person.objects.filter(pk__in=certified.filter(level__in=[1, 2]).values("person_id")),
        )
        token = crypto.encrypt(BENCH_ACCOUNT)
        account_columns = [
            ("person_id", "a_person"),
            ("bank_name", "a_bank"),
            ("account_holder", "a_holder"),
            ("account_number", "a_number"),
            ("account_masked", "a_masked"),
            ("valid_from", "a_from"),
            ("source", "a_source"),
            ("recorded_at", "a_recorded"),
            # benchmark accounts are paid to: verified (no officer), decided when written
            ("status", "a_status"),
            ("decided_at", "a_recorded"),
            ("decision_note", "a_note"),
        ]
        accounts = (
            Person.objects.filter(pk__in=Entitlement.objects.values("person_id"))
            .exclude(pk__in=PayeeAccount.objects.values("person_id"))
            .annotate(
                a_person=F("pk"),
                a_bank=Value("中国农业银行（基准测试）", output_field=TextField()),
                a_holder=F("name"),
                a_number=Value(token, output_field=TextField()),
                a_masked=Value(mask_bank_account(BENCH_ACCOUNT), output_field=TextField()),
                a_from=Value(start, output_field=DateField()),
                a_source=Value("bench", output_field=TextField()),
                a_recorded=Value(now),
                a_status=Value(PayeeAccount.Status.VERIFIED.value, output_field=TextField()),
                a_note=Value("", output_field=TextField()),
            )
            .values(
                "a_person",
                "a_bank",
                "a_holder",
                "a_number",
                "a_masked",
                "a_from",
                "a_source",
                "a_recorded",
                "a_status",
                "a_note",
            )
            .order_by()
        )
        paid_to = _insert_select(PayeeAccount._meta.db_table, account_columns, accounts)
    if connection.vendor == "postgresql":
        with connection.cursor() as cur:
            cur.execute("ANALYZE")
    return {"living": living, "nursing": nursing, "accounts": paid_to}


def _officers() -> dict[str, Any]:
    from dpf.accounts.models import User

    out = {}
    for county in counties():
        user, _ = User.objects.get_or_create(
            username=f"bench-{county.code}",
            defaults={"role": "county_officer", "region": county, "demo": True},
        )
        out[county.code] = user
    return out


def measure(month: dt.date, *, profile: bool = False) -> dict[str, Any]:
    """Generate every county's list of both allowances for ``month``; seconds per benefit
    (with ``profile``, also the lists' time by statement group and in commits)."""
    delete_lines(PaymentLine.objects.filter(payment_list__month=month))
    PaymentList.objects.filter(month=month).delete()
    officers = _officers()
    out: dict[str, Any] = {"lists": 0, "lines": 0, "by_benefit": {}}
    with contextlib.ExitStack() as timing:
        statements = timing.enter_context(timed_statements()) if profile else None
        _generate_all(month, officers, out)
    if statements is not None:
        out["profile"] = statements.report()
    out["largest_list"] = _exports(officers, month)
    return out


def _generate_all(month: dt.date, officers: dict[str, Any], out: dict[str, Any]) -> None:
    total_start = time.perf_counter()
    for code in ALLOWANCES:
        benefit = BenefitItem.objects.get(code=code)
        start = time.perf_counter()
        lines = 0
        slowest = 0.0
        for county, officer in sorted(officers.items()):
            one = time.perf_counter()
            plist = payment_list_generate(
                actor=officer, county_code=county, benefit=benefit, month=month
            )
            slowest = max(slowest, time.perf_counter() - one)
            lines += plist.line_count
            out["lists"] += 1
        out["by_benefit"][code] = {
            "lines": lines,
            "seconds": round(time.perf_counter() - start, 2),
            "slowest_county_seconds": round(slowest, 2),
        }
        out["lines"] += lines
    out["seconds"] = round(time.perf_counter() - total_start, 2)
    out["lines_per_second"] = round(out["lines"] / out["seconds"]) if out["seconds"] else None


def _exports(officers: dict[str, Any], month: dt.date) -> dict[str, Any]:
    """Approve the largest list, then time its bank workbook, its summary PDF and the PDFs
    of its largest township's lines (every signing volume, one after the other)."""
    from dpf.workflow.services import bank_workbook, payment_list_approve, signing_pdf
    from dpf.workflow.services.payments import township_totals

    largest = PaymentList.objects.filter(month=month).order_by("-line_count").first()
    if largest is None:
        return {}
    from dpf.accounts.models import User

    officer = officers[largest.county_code]
    # four eyes: a second officer of the county approves what the first generated
    approver, _ = User.objects.get_or_create(
        username=f"bench-{largest.county_code}-approver",
        defaults={"role": "county_officer", "region": officer.region, "demo": True},
    )
    payment_list_approve(actor=approver, list_id=largest.pk)
    start = time.perf_counter()
    _, workbook = bank_workbook(actor=officer, list_id=largest.pk, purpose="基准测试")
    xlsx_seconds = time.perf_counter() - start
    start = time.perf_counter()
    _, summary = signing_pdf(actor=officer, list_id=largest.pk)
    summary_seconds = time.perf_counter() - start
    town = max(township_totals(largest), key=lambda t: t["lines"])
    start = time.perf_counter()
    pdf_bytes = 0
    for volume in town["volumes"]:
        _, pdf = signing_pdf(
            actor=officer, list_id=largest.pk, township_code=town["township_code"], volume=volume
        )
        pdf_bytes += len(pdf)
    pdf_seconds = time.perf_counter() - start
    return {
        "lines": largest.line_count,
        "xlsx_seconds": round(xlsx_seconds, 2),
        "xlsx_bytes": len(workbook),
        "summary_pdf_seconds": round(summary_seconds, 2),
        "summary_pdf_bytes": len(summary),
        "largest_township_lines": town["lines"],
        "township_pdf_seconds": round(pdf_seconds, 2),
        "township_pdf_volumes": len(town["volumes"]),
        "township_pdf_bytes": pdf_bytes,
    }
