"""``dpf bench``: it never measures a database holding real people, and its results keep
the earlier runs beside the new one."""

from __future__ import annotations

import datetime as dt
import io
import json
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command
from django.db import connection

from dpf.bench import runner
from dpf.registry.models import Person
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
    assert result["persons"] == 1 and result["bytes"] > 0


@pytest.mark.parametrize("step", ["seed", "measure"])
def test_payment_list_benchmark_refuses_a_database_with_real_people(step) -> None:
    """``payments_bench seed``/``measure`` delete entitlements, accounts and lists: never
    on a database holding a real person (they had no guard before)."""
    from dpf.benefits.models import BenefitItem, Entitlement

    person = make_person()
    real = Entitlement.objects.create(
        person=person,
        benefit=BenefitItem.objects.get(code="living_allowance"),
        valid_from=dt.date(2025, 1, 1),
        source="bench",  # even a row marked as benchmark data stays
    )
    with pytest.raises(CommandError, match="non-demo"):
        call_command("payments_bench", step, "--month", "2025-10", stdout=io.StringIO())
    assert Entitlement.objects.filter(pk=real.pk).exists()


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
