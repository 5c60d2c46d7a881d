"""``dpf bench``: every benchmark of the platform, one scenario each (docs/benchmarks.md).

dpf bench [run] [--sizes 200000,1000000] [--databases postgresql,sqlite] [--skip STEPS] [--write]
    the suite: demo registries built and measured; steps that can be skipped: import, kpi,
    scan, web, payments. The rows measured so far are written to
    ``data/bench-progress-PID.md`` after each part, and a part that fails is recorded as a
    row while the run goes on.
dpf bench load [--tool locust|builtin|both] [--persons 20000] [--sessions 8,32] [--seconds 60]
               [--workers 2] [--write]
    staff sessions (log-in, searches, person pages, approvals, dashboard reads) against
    gunicorn with the production settings on PostgreSQL for a fixed time, once per number
    of sessions and tool (locust in its own process, or ``dpf.bench.load``'s threads; both
    for the comparison); exits with status 1 on any error (``dpf.bench.staffload``);
    ``--write`` adds the figures to docs/benchmarks.md.
dpf bench payments run [--database sqlite] [--persons 20000] [--seed 1] [--month 2025-10]
                       [--profile]
dpf bench payments seed|measure [--month 2025-10] [--profile]
    every county's monthly payment lists (``dpf.bench.payments``); ``--profile`` adds the
    time of every statement group and of the commits (``dpf.bench.statements``).
dpf bench demo [--sizes 20000,200000] [--databases sqlite,postgresql] [--seed 1]
    ``dpf demo generate`` timed (``dpf.bench.demo``).
dpf bench roster [--rows 100000] [--database sqlite] [--tracemalloc] [--profile]
    a roster validated and committed (``dpf.bench.roster_import``); ``--profile`` as for
    the payments.
dpf bench rules [--as-of DATE] [--sample 2000] [--rule NAME=TEXT …]
    rules in SQL over the registry against Python per person (``dpf.bench.rules``).
dpf bench scan [--as-of DATE] [--sample 2000] [--seed 1] [--changed 1000] [--json]
    the proactive scan against per-person evaluation, then the incremental scan after
    ``--changed`` persons' facts changed against a full scan (``dpf.bench.scan``).
dpf bench indicators [--as-of DATE] [--changed 1000] [--seed 1] [--json]
    the newest snapshot kept current: a full and a maintained snapshot, one person moved
    (the request's refresh), ``--changed`` persons refreshed, compared with a full
    computation (``dpf.bench.indicators``).
dpf bench documents [--rows 81485] [--township 4946] [--compare]
    the bank workbook and a township's signing PDFs written from synthetic lines, no
    database; ``--compare`` also times openpyxl and WeasyPrint (``dpf.bench.documents``).
dpf bench step NAME [--as-of DATE]      (internal: one measurement in this database)

``run``, ``load``, ``payments run``, ``demo`` and ``roster`` create their own throwaway
databases (``runner.database``) and delete them afterwards. The scenarios that work in the
database of ``DATABASE_URL`` (``step``, ``payments seed|measure``, ``rules``, ``scan``,
``indicators``)
delete, rewrite or read its rows freely: one guard, ``runner.refuse_real_people``, refuses
them on a database holding any non-synthetic person.
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

SCENARIOS = [
    "run",
    "step",
    "load",
    "payments",
    "demo",
    "roster",
    "rules",
    "scan",
    "indicators",
    "documents",
]
PAYMENT_STEPS = ["run", "seed", "measure"]


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
_session_count = _bounded(int, 4, 500, "会话数", "sessions")


def _sessions(text: str) -> list[int]:
    return [_session_count(n) for n in text.split(",") if n.strip()] or [_session_count("")]


_seconds = _bounded(float, 1, 3600, "时长", "seconds")
_workers = _bounded(int, 1, 64, "进程数", "workers")
_sample = _bounded(int, 1, 1_000_000, "样本数", "sample")
_rows = _bounded(int, 1, 5_000_000, "行数", "rows")
_changed = _bounded(int, 0, 1_000_000, "变更人数", "changed persons")


def _month(text: str) -> str:
    try:
        dt.date.fromisoformat(f"{text}-01")
    except ValueError:
        raise CommandError(f"月份应为 YYYY-MM / a month is YYYY-MM: {text!r}") from None
    return text


def _kinds(text: str) -> list[str]:
    kinds = [d for d in text.split(",") if d]
    for kind in kinds:
        if kind not in ("postgresql", "sqlite"):
            raise CommandError(f"数据库类型无效 / unknown database kind: {kind}")
    return kinds


class Command(BaseCommand):
    help = "性能测试 / Benchmarks at city and province scale"

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("scenario", nargs="?", default="run", choices=SCENARIOS)
        parser.add_argument("name", nargs="?", help="step: its name; payments: run|seed|measure")
        parser.add_argument("--sizes", type=_sizes, help="run, demo: registry sizes")
        parser.add_argument("--databases", type=_kinds, help="run, demo: database kinds")
        parser.add_argument("--as-of", dest="as_of", default="2025-12-31")
        parser.add_argument(
            "--write", action="store_true", help="add the results to docs/benchmarks.md"
        )
        parser.add_argument("--skip", default="", help="comma-separated steps to skip")
        parser.add_argument("--import-rows", dest="import_rows", type=int, default=100_000)
        parser.add_argument("--persons", type=_persons, default=20_000, help="load, payments")
        parser.add_argument(
            "--sessions", type=_sessions, default=[8, 32], help="load: sessions, e.g. 8,32"
        )
        parser.add_argument("--seconds", type=_seconds, default=60.0, help="load: duration")
        parser.add_argument("--workers", type=_workers, default=2, help="load: gunicorn")
        parser.add_argument(
            "--tool", choices=["locust", "builtin", "both"], default="locust", help="load"
        )
        parser.add_argument(
            "--production",
            action="store_true",
            help="step staff: accounts for a server with the production settings",
        )
        parser.add_argument(
            "--database",
            choices=["sqlite", "postgresql"],
            default="sqlite",
            help="payments, roster",
        )
        parser.add_argument("--seed", type=int, default=1, help="payments, demo, scan, indicators")
        parser.add_argument("--month", type=_month, default="2025-10", help="payments: YYYY-MM")
        parser.add_argument("--sample", type=_sample, default=2000, help="rules, scan")
        parser.add_argument(
            "--rule", action="append", default=[], help="rules: NAME=TEXT (repeatable)"
        )
        parser.add_argument("--json", action="store_true", help="scan, indicators: one JSON line")
        parser.add_argument(
            "--changed",
            type=_changed,
            default=1000,
            help="scan, indicators: persons changed before the incremental scan or refresh",
        )
        parser.add_argument("--rows", type=_rows, help="roster (100,000), documents (81,485)")
        parser.add_argument("--tracemalloc", action="store_true", help="roster")
        parser.add_argument(
            "--profile",
            action="store_true",
            help="payments, roster: the time of each statement group and of the commits",
        )
        parser.add_argument("--township", type=_rows, default=4_946, help="documents")
        parser.add_argument("--compare", action="store_true", help="documents")

    def handle(self, *args: Any, **options: Any) -> None:
        as_of = dt.date.fromisoformat(options["as_of"])
        scenario, name = options["scenario"], options["name"]
        if scenario == "payments" and name not in PAYMENT_STEPS:
            raise CommandError(f"未知步骤 / unknown step: {name}; one of {PAYMENT_STEPS}")
        if scenario == "step" and name not in steps.STEPS:
            raise CommandError(f"未知步骤 / unknown step: {name}; one of {sorted(steps.STEPS)}")
        if scenario in ("step", "rules", "scan", "indicators") or (
            scenario == "payments" and name != "run"
        ):
            # these work in this database: never one holding a real person
            runner.refuse_real_people()
        scenarios = {
            "run": self._suite,
            "step": self._step,
            "load": self._load,
            "payments": self._payments,
            "demo": self._demo,
            "roster": self._roster,
            "rules": self._rules,
            "scan": self._scan,
            "indicators": self._indicators,
            "documents": self._documents,
        }
        scenarios[scenario](options, as_of)

    def _suite(self, options: dict[str, Any], as_of: dt.date) -> None:
        from dpf.bench.suite import run_suite

        report = run_suite(
            sizes=options["sizes"] or [200_000, 1_000_000],
            databases=options["databases"] or ["postgresql", "sqlite"],
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

    def _payments(self, options: dict[str, Any], as_of: dt.date) -> None:
        from dpf.bench import payments

        if options["name"] == "run":
            result = payments.run(
                database=options["database"],
                persons=options["persons"],
                seed=options["seed"],
                month=options["month"],
                profile=options["profile"],
            )
        else:
            month = dt.date.fromisoformat(f"{options['month']}-01")
            if options["name"] == "seed":
                result = payments.seed(month)
            else:
                result = payments.measure(month, profile=options["profile"])
        self.stdout.write(json.dumps(result, ensure_ascii=False))

    def _demo(self, options: dict[str, Any], as_of: dt.date) -> None:
        from dpf.bench.demo import measure_generation

        measure_generation(
            sizes=options["sizes"] or [20_000, 200_000],
            databases=options["databases"] or ["sqlite", "postgresql"],
            seed=options["seed"],
            say=lambda line: self.stdout.write(line),
        )

    def _roster(self, options: dict[str, Any], as_of: dt.date) -> None:
        from dpf.bench.roster_import import run

        result = run(
            options["rows"] or 100_000,
            options["database"],
            options["tracemalloc"],
            profile=options["profile"],
        )
        self.stdout.write(json.dumps(result, ensure_ascii=False))

    def _rules(self, options: dict[str, Any], as_of: dt.date) -> None:
        from dpf.bench.rules import measure

        measure(
            as_of=as_of,
            sample=options["sample"],
            extra_rules=options["rule"],
            say=lambda line: self.stdout.write(line),
        )

    def _documents(self, options: dict[str, Any], as_of: dt.date) -> None:
        from dpf.bench.documents import measure

        result = measure(
            lines=options["rows"] or 81_485,
            township=options["township"],
            compare=options["compare"],
        )
        self.stdout.write(json.dumps(result, ensure_ascii=False, indent=1))

    def _scan(self, options: dict[str, Any], as_of: dt.date) -> None:
        from dpf.bench.scan import measure
        from dpf.core.errors import DomainError

        try:
            result = measure(
                as_of=as_of,
                sample=options["sample"],
                seed=options["seed"],
                say=lambda message: self.stderr.write(message),
                changed=options["changed"],
            )
        except DomainError as exc:
            raise CommandError(f"{exc.code}: {exc.bilingual}", returncode=2) from None
        self._result(result.as_dict(), as_json=options["json"], leave_out=("counts",))

    def _indicators(self, options: dict[str, Any], as_of: dt.date) -> None:
        from dpf.bench.indicators import measure
        from dpf.core.errors import DomainError

        try:
            result = measure(
                as_of=as_of,
                changed=options["changed"],
                seed=options["seed"],
                say=lambda message: self.stderr.write(message),
            )
        except DomainError as exc:
            raise CommandError(f"{exc.code}: {exc.bilingual}", returncode=2) from None
        self._result(result.as_dict(), as_json=options["json"])

    def _result(
        self, result: dict[str, Any], *, as_json: bool, leave_out: tuple[str, ...] = ()
    ) -> None:
        """A scenario's result: one JSON line with ``--json``, else ``key: value`` lines."""
        if as_json:
            self.stdout.write(json.dumps(result, ensure_ascii=False))
            return
        for key, value in result.items():
            if key not in leave_out:
                self.stdout.write(f"{key}: {value}")

    def _load(self, options: dict[str, Any], as_of: dt.date) -> None:
        from dpf.bench import staffload

        started = dt.datetime.now(dt.UTC)
        sessions = ",".join(str(n) for n in options["sessions"])
        command = (
            f"dpf bench load --tool {options['tool']} --persons {options['persons']} "
            f"--sessions {sessions} --seconds {options['seconds']:g} "
            f"--workers {options['workers']}"
        )
        tools = list(staffload.TOOLS[::-1]) if options["tool"] == "both" else [options["tool"]]
        results = staffload.measure_load(
            persons=options["persons"],
            clients=options["sessions"],
            tools=tools,
            seconds=options["seconds"],
            workers=options["workers"],
            as_of=as_of,
            log=lambda msg: self.stdout.write(msg),
        )
        block = staffload.render_markdown(results, command=command, started=started)
        self.stdout.write(block)
        self.stdout.write(json.dumps(results, ensure_ascii=False))
        problems = [
            f"{r['tool']}, {r['sessions']} sessions: {problem}"
            for r in results
            for problem in staffload.failures(r)
        ]
        if options["write"]:
            staffload.write_results(Path(settings.BASE_DIR) / "docs" / "benchmarks.md", block)
            self.stdout.write("written to docs/benchmarks.md")
        if problems:
            raise CommandError("负载测试有错误 / the load run had errors: " + "; ".join(problems))

    def _step(self, options: dict[str, Any], as_of: dt.date) -> None:
        name = options["name"]
        fn = steps.STEPS[name]
        if name in ("kpi", "scan"):
            result = fn(as_of)
        elif name == "staff":
            result = fn(options["sessions"][0], production=options["production"])
        else:
            result = fn()
        self.stdout.write(json.dumps(result, ensure_ascii=False, default=str))
