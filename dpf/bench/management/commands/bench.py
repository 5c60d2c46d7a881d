"""``dpf bench``: build demo registries and measure the platform (see docs/benchmarks.md).

dpf bench [--sizes 200000,1000000] [--databases postgresql,sqlite] [--skip STEPS] [--write]

Steps that can be skipped: import, kpi, scan, web, payments. The rows measured so far are
written to ``data/bench-progress-PID.md`` after each part, and a part that fails is recorded
as a row while the run goes on.
dpf bench load [--persons 20000] [--sessions 50] [--seconds 60] [--workers 5] [--write]
    staff sessions (log-in, searches, person pages, approvals, dashboard reads) against
    gunicorn on PostgreSQL for a fixed time; exits with status 1 on any error
    (``dpf.bench.staffload``); ``--write`` adds the figures to docs/benchmarks.md.
dpf bench step NAME [--as-of DATE]      (internal: one measurement in this database)

It creates its own throwaway databases (a PostgreSQL server on loopback in a temporary
folder, a temporary SQLite file) and deletes them afterwards. ``step`` refuses to run
against a database holding any non-synthetic person.
"""

from __future__ import annotations

import datetime as dt
import json
import os
from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser

from dpf.bench import runner, steps


def _sizes(text: str) -> list[int]:
    try:
        sizes = [int(s) for s in text.split(",") if s.strip()]
    except ValueError:
        raise CommandError(f"规模无效 / bad sizes: {text!r}") from None
    if not sizes or any(s < 100 or s > 5_000_000 for s in sizes):
        raise CommandError("规模应在100至5,000,000之间 / sizes must be 100 to 5,000,000")
    return sizes


def _bounded(kind: type, low: float, high: float, zh: str, en: str) -> Any:
    """An argument parser refusing a value outside ``low``..``high`` in both languages."""

    def parse(text: str) -> Any:
        try:
            value = kind(text)
        except ValueError:
            raise CommandError(f"{zh}无效 / bad {en}: {text!r}") from None
        if not low <= value <= high:
            raise CommandError(f"{zh}应在{low:g}至{high:g}之间 / {en} must be {low:g} to {high:g}")
        return value

    return parse


_persons = _bounded(int, 100, 5_000_000, "人数", "persons")
_sessions = _bounded(int, 4, 500, "会话数", "sessions")
_seconds = _bounded(float, 1, 3600, "时长", "seconds")
_workers = _bounded(int, 1, 64, "进程数", "workers")


class Command(BaseCommand):
    help = "性能测试 / Benchmarks at city and province scale"

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("action", nargs="?", default="run", choices=["run", "step", "load"])
        parser.add_argument("step_name", nargs="?")
        parser.add_argument("--sizes", type=_sizes, default=[200_000, 1_000_000])
        parser.add_argument("--databases", default="postgresql,sqlite")
        parser.add_argument("--as-of", dest="as_of", default="2025-12-31")
        parser.add_argument(
            "--write", action="store_true", help="add the results to docs/benchmarks.md"
        )
        parser.add_argument("--skip", default="", help="comma-separated steps to skip")
        parser.add_argument("--import-rows", dest="import_rows", type=int, default=100_000)
        parser.add_argument("--persons", type=_persons, default=20_000, help="load: registry")
        parser.add_argument("--sessions", type=_sessions, default=50, help="load: sessions")
        parser.add_argument("--seconds", type=_seconds, default=60.0, help="load: duration")
        parser.add_argument("--workers", type=_workers, default=5, help="load: gunicorn")

    def handle(self, *args: Any, **options: Any) -> None:
        as_of = dt.date.fromisoformat(options["as_of"])
        if options["action"] == "step":
            self._step(options["step_name"], as_of, options["sessions"])
            return
        if options["action"] == "load":
            self._load(options, as_of)
            return
        databases = [d for d in options["databases"].split(",") if d]
        for d in databases:
            if d not in ("postgresql", "sqlite"):
                raise CommandError(f"数据库类型无效 / unknown database kind: {d}")
        from dpf.bench.suite import run_suite

        report = run_suite(
            sizes=options["sizes"],
            databases=databases,
            as_of=as_of,
            skip={s for s in options["skip"].split(",") if s},
            log=lambda msg: self.stdout.write(msg),
            progress=Path(settings.DATA_DIR) / f"bench-progress-{os.getpid()}.md",
            import_rows=options["import_rows"],
        )
        self.stdout.write(runner.render_markdown(report))
        if options["write"]:
            runner.write_results(Path(settings.BASE_DIR) / "docs" / "benchmarks.md", report)
            self.stdout.write("written to docs/benchmarks.md")

    def _load(self, options: dict[str, Any], as_of: dt.date) -> None:
        from dpf.bench import staffload

        started = dt.datetime.now(dt.UTC)
        command = (
            f"dpf bench load --persons {options['persons']} --sessions {options['sessions']} "
            f"--seconds {options['seconds']:g} --workers {options['workers']}"
        )
        result = staffload.measure_staff_load(
            persons=options["persons"],
            sessions=options["sessions"],
            seconds=options["seconds"],
            workers=options["workers"],
            as_of=as_of,
            log=lambda msg: self.stdout.write(msg),
        )
        block = staffload.render_markdown(result, command=command, started=started)
        self.stdout.write(block)
        self.stdout.write(json.dumps(result, ensure_ascii=False))
        problems = staffload.failures(result)
        if options["write"]:
            staffload.write_results(Path(settings.BASE_DIR) / "docs" / "benchmarks.md", block)
            self.stdout.write("written to docs/benchmarks.md")
        if problems:
            raise CommandError("负载测试有错误 / the load run had errors: " + "; ".join(problems))

    def _step(self, name: str | None, as_of: dt.date, sessions: int) -> None:
        if name not in steps.STEPS:
            raise CommandError(f"未知步骤 / unknown step: {name}; one of {sorted(steps.STEPS)}")
        runner.refuse_real_people()
        fn = steps.STEPS[name]
        if name in ("kpi", "scan"):
            result = fn(as_of)
        elif name == "staff":
            result = fn(sessions)
        else:
            result = fn()
        self.stdout.write(json.dumps(result, ensure_ascii=False, default=str))
