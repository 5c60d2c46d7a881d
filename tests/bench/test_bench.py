"""``dpf bench``: no scenario works in a database holding real people (one guard,
``runner.refuse_real_people``), and its results keep the earlier runs beside the new one."""

from __future__ import annotations

import datetime as dt
import io
import json
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from django.core.management import CommandError, call_command
from django.db import connection

from dpf.bench import runner
from dpf.bench.steps import STEPS
from dpf.benefits.models import Entitlement
from dpf.registry.models import FactsMark, OutsidePayment, Person
from tests.factories import make_person

pytestmark = pytest.mark.django_db


def test_a_step_refuses_a_database_with_real_people() -> None:
    person = make_person()
    with pytest.raises(CommandError, match="non-demo"):
        call_command("bench", "step", "size", stdout=io.StringIO())
    Person.objects.filter(pk=person.pk).update(synthetic=True)
    out = io.StringIO()
    call_command("bench", "step", "size", stdout=out)
    result = json.loads(out.getvalue().strip().splitlines()[-1])
    assert result["persons"] == 1
    assert result["bytes"] > 0


OCTOBER = dt.date(2025, 10, 1)

# Every ``dpf bench`` scenario that works in the database of ``DATABASE_URL``.
IN_DATABASE = [
    ("payments", "seed", "--month", "2025-10"),
    ("payments", "measure", "--month", "2025-10"),
    ("scan", "--as-of", "2025-10-31", "--sample", "5"),
    ("rules", "--as-of", "2025-10-31", "--sample", "5"),
    ("indicators", "--as-of", "2025-10-31", "--changed", "2"),
    *[("step", name, "--as-of", "2025-10-31", "--sessions", "4") for name in sorted(STEPS)],
]


def _rows() -> dict[str, int]:
    """What a benchmark would delete or rewrite: persons, entitlements, bank accounts, the
    month's payment lists and lines, work items, users, audit entries."""
    from dpf.accounts.models import User
    from dpf.benefits.models import Entitlement, WorkItem
    from dpf.core.models import AuditEntry
    from dpf.workflow.models import PayeeAccount, PaymentLine, PaymentList

    models = [Person, Entitlement, PayeeAccount, PaymentList, PaymentLine, WorkItem, User]
    counts = {model.__name__: model._default_manager.count() for model in models}
    counts["AuditEntry"] = AuditEntry.objects.count()
    counts["bench entitlements"] = Entitlement.objects.filter(source="bench").count()
    return counts


@pytest.fixture
def real_payments(county_officer) -> dict[str, int]:
    """One real (non-synthetic) person on the living allowance, paid in October's list,
    plus an entitlement marked as benchmark data: ``payments seed`` deletes those and
    ``payments measure`` deletes the month's lists."""
    from dpf.benefits import services as benefit_services
    from dpf.workflow import services
    from tests.benefits.conftest import person_with
    from tests.workflow.conftest import BANK, benefit, verified_account

    person = person_with(level=1, household="dibao")
    assert not person.synthetic
    entitlement = benefit_services.entitlement_create(
        actor=None,
        person=person,
        benefit=benefit("living_allowance"),
        valid_from=dt.date(2025, 1, 1),
    )
    verified_account(person, BANK, day=dt.date(2025, 9, 1))
    services.payment_list_generate(
        actor=county_officer,
        county_code="150402",
        benefit=benefit("living_allowance"),
        month=OCTOBER,
        today=OCTOBER + dt.timedelta(days=5),
    )
    second = person_with(level=2, household="dibao")
    Entitlement.objects.create(
        person=second,
        benefit=entitlement.benefit,
        valid_from=dt.date(2025, 1, 1),
        source="bench",  # even a row marked as benchmark data stays
    )
    rows = _rows()
    assert rows["PaymentLine"] == 1
    assert rows["bench entitlements"] == 1
    return rows


@pytest.mark.parametrize("args", IN_DATABASE, ids=lambda args: " ".join(args[:2]))
def test_every_scenario_in_this_database_refuses_real_people_and_deletes_nothing(
    real_payments: dict[str, int], args: tuple[str, ...]
) -> None:
    """The attack of issue 21: ``dpf bench payments measure`` deleted a month's payment
    lists on any database. A database holding one real person is refused by every
    scenario that works in it, in Chinese and English, before anything is written."""
    with pytest.raises(CommandError) as refused:
        call_command("bench", *args, stdout=io.StringIO(), stderr=io.StringIO())
    assert "拒绝运行性能测试" in str(refused.value)
    assert "non-demo persons" in str(refused.value)
    assert _rows() == real_payments


def test_payments_seed_and_measure_on_synthetic_people_pay_each_person_once(
    county_officer,
) -> None:
    """The demo's history already pays some persons: the seed enrols only the others, so
    the month's lists hold one line per person and allowance."""
    from dpf.benefits import services as benefit_services
    from dpf.workflow.models import PaymentLine
    from tests.benefits.conftest import person_with
    from tests.workflow.conftest import benefit

    paid = person_with(level=1, household="dibao")
    person_with(level=2, household="dibao")
    benefit_services.entitlement_create(
        actor=None, person=paid, benefit=benefit("living_allowance"), valid_from=dt.date(2025, 1, 1)
    )
    Person.objects.update(synthetic=True)
    call_command("bench", "payments", "seed", "--month", "2025-10", stdout=io.StringIO())
    assert Entitlement.objects.filter(person=paid, benefit__code="living_allowance").count() == 1
    out = io.StringIO()
    call_command("bench", "payments", "measure", "--month", "2025-10", "--profile", stdout=out)
    result = json.loads(out.getvalue().strip().splitlines()[-1])
    lines = PaymentLine.objects.filter(month=OCTOBER)
    assert result["lines"] == lines.count() > 0
    # --profile: where the lists' time went, by statement group (the lines' insert among them)
    profile = result["profile"]
    assert profile["statements"] >= sum(group["count"] for group in profile["slowest"]) > 0
    assert any(
        g["sql"].startswith('INSERT INTO "workflow_paymentline"') for g in profile["slowest"]
    )
    assert lines.filter(person=paid, benefit__code="living_allowance").count() == 1


def test_the_roster_benchmarks_child_steps_refuse_real_people(
    real_payments: dict[str, int], tmp_path: Path
) -> None:
    """``dpf bench roster`` runs its own throwaway database; its child steps (persons and
    files written, a roster imported and committed) refuse any other."""
    from dpf.bench import roster_import

    with pytest.raises(CommandError, match="non-demo"):
        roster_import.setup(10, tmp_path)
    with pytest.raises(CommandError, match="non-demo"):
        roster_import.measure(["exchange", "commit", "1", "--no-rescan"], False)
    assert _rows() == real_payments
    assert list(tmp_path.iterdir()) == []


def test_the_scan_benchmark_agrees_with_python_on_synthetic_people() -> None:
    """``dpf bench scan`` (formerly ``dpf benefits bench``) on a registry of synthetic
    persons: the set-based scan and the Python evaluator agree on the sample; after some
    persons' facts changed, the incremental scan leaves a full scan nothing to do."""
    from tests.benefits.conftest import AS_OF, person_with

    elderly = "elderly_care_allowance"
    people = [
        person_with(level=1, household="dibao", long_term_care=True),
        person_with(level=3, household="tekun", person_status="tekun", survey={"care_need": True}),
        person_with(level=2, household="none", survey={"income_per_capita": Decimal("5000.00")}),
        person_with(level=4, household="dibao_edge", birth=dt.date(2020, 1, 1)),
        person_with(level=None, household="none"),
        # eligible by the nursing allowance's rule, but paid the elderly care allowance
        # (择高享受): its amount unrecorded, as the demo registry has it, the benefit cannot
        # win; a lower amount, it does. The scan's SQL and ``explain`` both make the choice.
        person_with(level=1, household="none", long_term_care=True, receiving=(elderly,)),
        person_with(level=1, household="none", long_term_care=True),
    ]
    OutsidePayment.objects.create(
        person=people[-1], kind=elderly, valid_from=dt.date(2020, 1, 1), monthly_amount=1
    )
    Person.objects.update(synthetic=True)
    out = io.StringIO()
    call_command(
        "bench",
        "scan",
        "--as-of",
        AS_OF.isoformat(),
        "--changed",
        "4",
        "--json",
        stdout=out,
        stderr=io.StringIO(),
    )
    result = json.loads(out.getvalue())
    assert result["persons"] == len(Person.objects.all()) >= len(people)
    assert result["disagreements"] == 0
    assert result["proposed"] > 0
    assert result["changed_persons"] >= 2
    assert result["incremental_moved"] > 0  # the changes made or withdrew items
    assert result["full_after_changes"] == 0  # the same proposals as a full scan


def test_the_indicators_benchmark_refreshes_to_the_full_computation() -> None:
    """``dpf bench indicators`` on synthetic persons in two townships: the maintained
    snapshot, after one person moved and others changed, equals a full computation."""
    result, _ = _indicators_bench(changed=3)
    assert result["persons"] == 6
    assert result["contributions"] > 0
    assert result["changed_persons"] >= 1
    assert result["equal_to_full_compute"] is True


def _indicators_bench(*, changed: int = 0) -> tuple[dict, str]:
    """``dpf bench indicators --json`` on six synthetic persons in two townships, with
    ``changed`` persons changed after the move: its result and what it said on the way."""
    from tests.benefits.conftest import AS_OF, person_with

    for i in range(6):
        village = "150402001001" if i % 2 else "150404002001"
        person_with(village=village, level=1 + i % 4, household=("dibao", "none")[i % 2])
    Person.objects.update(synthetic=True)
    out, said = io.StringIO(), io.StringIO()
    call_command(
        "bench",
        "indicators",
        "--as-of",
        AS_OF.isoformat(),
        "--changed",
        str(changed),
        "--json",
        stdout=out,
        stderr=said,
    )
    return json.loads(out.getvalue()), said.getvalue()


# Committed transactions: the move's listener runs after its commit, as in a request.
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_the_indicators_benchmark_times_the_refresh_run_in_the_request() -> None:
    result, said = _indicators_bench()
    assert result["one_change_refreshed_in_request"] is True
    assert result["one_change_queued_as_job"] is False
    assert result["one_change_refresh_seconds"] is not None
    assert "queued" not in said
    assert result["equal_to_full_compute"] is True


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_the_indicators_benchmark_says_when_the_refresh_was_queued_as_a_job(
    monkeypatch: pytest.MonkeyPatch, settings: Any
) -> None:
    """More persons changed since the snapshot than a request refreshes (every person,
    right after a demo generation): the move's refresh goes to the job, and the result
    says so rather than reporting a refresh time it never measured."""
    from dpf.indicators import refresh
    from dpf.jobs.models import Job

    monkeypatch.setattr(refresh, "IN_REQUEST", 0)
    settings.DPF_JOBS_RUN = "worker"  # queued for a worker, as in production
    result, said = _indicators_bench()
    assert result["one_change_refreshed_in_request"] is False
    assert result["one_change_queued_as_job"] is True
    assert result["one_change_pending_persons"] >= 1
    assert result["one_change_refresh_seconds"] is None
    assert "queued as the job indicators.refresh" in said
    assert Job.objects.filter(kind=refresh.REFRESH_KIND).exists()
    assert result["equal_to_full_compute"] is True  # the refresh after it caught up


def test_the_rules_benchmark_counts_both_allowances_on_synthetic_people(regions: None) -> None:
    from tests.benefits.conftest import person_with

    person_with(level=1, household="dibao")
    Person.objects.update(synthetic=True)
    out = io.StringIO()
    call_command("bench", "rules", "--as-of", "2025-10-31", "--sample", "5", stdout=out)
    text = out.getvalue()
    assert "SQL, all rules over the registry" in text
    assert "'living_allowance': 1" in text
    assert "Python, prefetched in one batch" in text


def _report(value: float, progress: Path | None = None) -> runner.Report:
    report = runner.Report(
        started=dt.datetime(2026, 11, 29, 5, 0, tzinfo=dt.UTC),
        commit="abc1234",
        machine="2 cores",
        command="dpf bench --sizes 1000",
        progress=progress,
    )
    report.add("postgresql", 1000, "proactive scan", value, "s", target="≤ 5", met=value <= 5)
    return report


def test_results_keep_the_previous_run_and_progress_is_written(tmp_path: Path) -> None:
    progress = tmp_path / "progress.md"
    first = _report(3.5, progress)
    assert "| 3.5 | s | ≤ 5 | yes |" in progress.read_text(encoding="utf-8")
    doc = tmp_path / "benchmarks.md"
    doc.write_text("# Benchmarks\n\nIntro.\n", encoding="utf-8")
    runner.write_results(doc, first)
    runner.write_results(doc, _report(7.25))
    text = doc.read_text(encoding="utf-8")
    assert text.startswith("# Benchmarks\n\nIntro.")
    newest, older = text.index("| 7.25 |"), text.index("| 3.5 |")
    assert newest < older  # newest first, the previous run kept below it
    assert "**no**" in text[newest:older]


@pytest.mark.skipif(connection.vendor != "postgresql", reason="DuckDB is given PostgreSQL's SQL")
def test_duckdb_runs_the_scans_statements_on_a_small_registry_and_agrees(regions: None) -> None:
    """A tiny registry has columns nobody filled in (no death dates): their declared types
    keep DuckDB's comparisons working, and both engines count the same people."""
    from dpf.bench.steps import _duck_materialised
    from tests.benefits.conftest import person_with

    for level in (1, 2, 3, 4):
        person_with(level=level)
    person_with(level=1, household=None)
    result = _duck_materialised(dt.date(2025, 6, 30))
    assert "error" not in result, result
    assert result["counts_agree"] is True


def test_the_documents_benchmark_writes_both_documents_from_synthetic_lines() -> None:
    """No database: the bank workbook of 300 lines and 120 township lines in volumes."""
    out = io.StringIO()
    call_command("bench", "documents", "--rows", "300", "--township", "120", stdout=out)
    result = json.loads(out.getvalue())
    assert result["lines"] == 300
    assert result["township_lines"] == 120
    assert result["signing_pdfs"] == 1
    assert result["workbook_bytes"] > 0
    assert result["signing_pdf_bytes"] > 0


def test_a_lookup_plan_row_names_the_name_index_read() -> None:
    from dpf.bench.suite import plan_rows

    report = _report(1.0)
    plans = {
        "3 characters": "Bitmap Index Scan on person_name_trgm\n  Index Cond: …",
        "2 characters": "Bitmap Index Scan on person_name_bigrams\n  Index Cond: …",
        "1 character": "Seq Scan on registry_person",
    }
    plan_rows(report, "postgresql", 1000, plans)
    values = {row.name: row.value for row in report.rows if row.name.startswith("lookup plan")}
    assert values == {
        "lookup plan, name of 3 characters": "trigram index",
        "lookup plan, name of 2 characters": "bigram index",
        "lookup plan, name of 1 character": "no name index",
    }


def test_the_indicators_step_rolls_the_month_forward(time_machine) -> None:
    """``dpf bench step kpi`` stores the previous month end maintained, then the month rolled
    forward from it (``refresh.roll_forward``) and in full: the roll is reported as one, with
    the persons it evaluated again (the certificate expiring in the month, and no other)."""
    from dpf.indicators.services import load_shipped_plan
    from tests.benefits.conftest import person_with

    time_machine.move_to(dt.datetime(2025, 12, 1, 8, tzinfo=dt.UTC), tick=False)
    load_shipped_plan()
    for level in (1, 3, 4, 4, 1):  # more than four times those evaluated again
        person_with(level=level, household="dibao")
    expiring = person_with(level=2, household="dibao")
    expiring.certificates.update(valid_to=dt.date(2025, 11, 15))
    Person.objects.update(synthetic=True)
    FactsMark.objects.all().delete()
    out = io.StringIO()
    call_command("bench", "step", "kpi", "--as-of", "2025-11-30", stdout=out)
    result = json.loads(out.getvalue().strip().splitlines()[-1])
    assert result["roll_from"] == "2025-10-31"
    assert result["rolled"] is True
    assert result["roll_evaluated"] == 1
    assert result["roll_seconds"] > 0
    assert result["store_seconds"] > 0


@pytest.mark.skipif(not Path("/proc/self/clear_refs").exists(), reason="Linux's /proc only")
def test_a_child_that_resets_its_memory_mark_still_reports_its_peak() -> None:
    # `dpf demo generate` resets its high-water mark between steps to print each step's
    # peak; the child's maximum at exit then covers only its last step. The runner samples
    # the mark while the child runs, so a peak before the reset is still reported.
    code = (
        "import time\n"
        "block = b'x' * (300 * 2**20)\n"  # 300 MB resident
        "time.sleep(0.5)\n"
        "del block\n"
        "open('/proc/self/clear_refs', 'w').write('5')\n"
        "time.sleep(0.3)\n"
    )
    done = runner.run_child(["shell", "--no-startup", "-c", code], {})
    assert done.returncode == 0
    assert done.peak_mb >= 300
