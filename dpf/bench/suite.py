"""The benchmark suite: for each database and size, build a demo registry and measure."""

from __future__ import annotations

import datetime as dt
import json
import os
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from collections.abc import Callable
from functools import partial
from pathlib import Path
from typing import Any

from dpf.accounts.backends import DEMO_PASSWORD
from dpf.bench import runner


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


# The production settings' switches, as deploy/'s units set them: no debug pages or demo
# data, every client sent to HTTPS unless the proxy's X-Forwarded-Proto says it came so.
PRODUCTION = {"DPF_PRODUCTION": "1", "DPF_HTTPS": "1", "DPF_ALLOWED_HOSTS": "127.0.0.1"}


def gunicorn_command(port: int, workers: int) -> list[str]:
    """gunicorn as in production (sync workers), on loopback, trusting the loopback proxy's
    X-Forwarded-Proto."""
    return [
        *(sys.executable, "-m", "gunicorn", "config.wsgi:application"),
        *("--bind", f"127.0.0.1:{port}", "--workers", str(workers)),
        *("--forwarded-allow-ips", "127.0.0.1"),
        # Under faketime (./run clock) the arbiter compares the faked clock with the real
        # mtime of each worker's heartbeat file and kills every worker as timed out: there,
        # the worker timeout is off (gunicorn's 0).
        *(("--timeout", "0") if "FAKETIME" in os.environ else ()),
    ]


class Server:
    """gunicorn with several worker processes, as in production, on a loopback port;
    ``production``: with the production settings (``PRODUCTION``; demo mode off)."""

    def __init__(
        self,
        env: dict[str, str],
        workers: int = 4,
        log: Path | None = None,
        *,
        production: bool = False,
    ) -> None:
        self.port = _free_port()
        self.env = {**os.environ, **env}
        if production:
            self.env.pop("DPF_DEMO", None)
            self.env.pop("DPF_DEBUG", None)
            self.env.update(PRODUCTION)
        self.workers = workers
        self.log = log  # the server's error log (stderr), else discarded
        self.proc: subprocess.Popen[bytes] | None = None

    def __enter__(self) -> Server:
        errors = self.log.open("ab") if self.log is not None else None
        self.proc = subprocess.Popen(
            [*gunicorn_command(self.port, self.workers), "--log-level", "warning"],
            env=self.env,
            stdout=subprocess.DEVNULL,
            stderr=errors if errors is not None else subprocess.DEVNULL,
        )
        if errors is not None:
            errors.close()  # the child keeps its own descriptor
        # as the proxy would ask (the production settings send plain HTTP to HTTPS)
        probe = urllib.request.Request(
            f"http://127.0.0.1:{self.port}/accounts/login/",
            headers={"X-Forwarded-Proto": "https"},
        )
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            try:
                urllib.request.urlopen(probe, timeout=2)  # noqa: S310 - http on loopback
                return self
            except OSError:
                if self.proc.poll() is not None:
                    break
                time.sleep(0.3)
        raise RuntimeError("the benchmark server did not start")

    def __exit__(self, *exc: object) -> None:
        if self.proc is not None:
            self.proc.terminate()
            self.proc.wait(timeout=30)

    @property
    def base(self) -> str:
        return f"http://127.0.0.1:{self.port}"


def load(
    server: Server,
    paths: list[str],
    *,
    username: str,
    password: str,
    concurrency: int,
    requests: int,
    max_seconds: float = 60,
) -> dict[str, float]:
    with tempfile.NamedTemporaryFile("w", suffix=".txt", delete=False) as fh:
        fh.write("\n".join(paths))
        path_file = fh.name
    try:
        out = subprocess.run(
            [
                sys.executable,
                "-m",
                "dpf.bench.load",
                "--base",
                server.base,
                "--username",
                username,
                "--password",
                password,
                "--paths",
                path_file,
                "--concurrency",
                str(concurrency),
                "--requests",
                str(requests),
                "--max-seconds",
                str(max_seconds),
            ],
            capture_output=True,
            text=True,
            check=True,
            timeout=max_seconds + 60,
        )
    finally:
        Path(path_file).unlink(missing_ok=True)
    result: dict[str, float] = json.loads(out.stdout)
    return result


IMPORT_ROWS = 100_000


def run_suite(
    *,
    sizes: list[int],
    databases: list[str],
    as_of: dt.date,
    skip: set[str],
    log: Callable[[str], None],
    progress: Path | None = None,
    import_rows: int = IMPORT_ROWS,
) -> runner.Report:
    command = (
        "dpf bench --sizes "
        + ",".join(str(s) for s in sizes)
        + " --databases "
        + ",".join(databases)
        + (f" --skip {','.join(sorted(skip))}" if skip else "")
        + (f" --import-rows {import_rows}" if import_rows != IMPORT_ROWS else "")
    )
    report = runner.Report(
        started=dt.datetime.now(dt.UTC),
        commit=runner.git_commit(),
        machine=runner.machine_description(),
        command=command,
        progress=progress,
    )
    for kind in databases:
        if "import" not in skip:
            _guarded(
                report,
                kind,
                import_rows,
                log,
                partial(measure_import, report, kind, log, import_rows),
            )
        for size in sizes:
            part = partial(_one_size, report, kind, size, as_of, skip, log)
            _guarded(report, kind, size, log, part)
    return report


def _one_size(
    report: runner.Report,
    kind: str,
    size: int,
    as_of: dt.date,
    skip: set[str],
    log: Callable[[str], None],
) -> None:
    with runner.database(kind) as url:
        env = {"DATABASE_URL": url, "DPF_DEMO": "1"}
        log(f"[{kind} {size:,}] migrate")
        runner.run_child(["migrate", "--no-input", "-v0"], env)
        _measure(report, kind, size, env, as_of, skip, log)


def _guarded(
    report: runner.Report,
    kind: str,
    size: int,
    log: Callable[[str], None],
    fn: Callable[[], None],
) -> None:
    """Run one part of the suite; a failure is recorded as a row and the run goes on, so
    hours of measurements already taken are not lost to one broken step."""
    try:
        fn()
    except Exception as exc:  # noqa: BLE001 - reported in the results, not swallowed
        log(f"[{kind} {size:,}] FAILED: {exc!r}"[:2000])
        report.add(kind, size, "failed", "n/a", "", note=repr(exc)[:300])
    finally:
        if report.progress is not None:
            report.progress.write_text(runner.render_markdown(report), encoding="utf-8")


def _measure(
    report: runner.Report,
    kind: str,
    size: int,
    env: dict[str, str],
    as_of: dt.date,
    skip: set[str],
    log: Callable[[str], None],
) -> None:
    log(f"[{kind} {size:,}] generate")
    gen = runner.run_child(["demo", "generate", "--persons", str(size), "--seed", "1"], env)
    report.add(
        kind,
        size,
        "demo generation",
        round(size / gen.seconds, 1),
        "persons/s",
        note=f"{gen.seconds:.0f} s",
    )
    report.add(
        kind,
        size,
        "demo generation peak memory",
        round(gen.peak_mb),
        "MB",
        target="< 1024",
        met=gen.peak_mb < 1024,
    )
    sz = runner.run_child(["bench", "step", "size"], env)
    report.add(kind, size, "database size per 100,000 persons", sz.output["mb_per_100k"], "MB")
    if "kpi" not in skip:
        log(f"[{kind} {size:,}] indicators")
        kpi = runner.run_child(["bench", "step", "kpi", "--as-of", str(as_of)], env)
        out = kpi.output
        report.add(
            kind,
            size,
            "indicator recomputation (one date, all regions)",
            out["compute_seconds"],
            "s",
        )
        report.add(kind, size, "one full scan of the persons table", out["full_scan_seconds"], "s")
        report.add(
            kind,
            size,
            "indicator recomputation ÷ full scan",
            out["ratio"],
            "×",
            target="≤ 10",
            met=out["ratio"] is not None and out["ratio"] <= 10,
        )
        report.add(
            kind,
            size,
            "month's snapshot rolled forward from the previous month end ÷ full scan",
            out["roll_ratio"],
            "×",
            target="≤ 10",
            met=bool(out["rolled"]) and out["roll_ratio"] is not None and out["roll_ratio"] <= 10,
            note=f"{out['roll_seconds']} s, {out['roll_evaluated']:,} persons evaluated again"
            if out["rolled"]
            else "not rolled: computed in full",
        )
        report.add(
            kind,
            size,
            "month's snapshot stored in full (for comparison)",
            out["store_seconds"],
            "s",
        )
        report.add(
            kind,
            size,
            "indicator job peak memory",
            round(kpi.peak_mb),
            "MB",
            target="< 1024",
            met=kpi.peak_mb < 1024,
        )
    if "scan" not in skip:
        log(f"[{kind} {size:,}] proactive scan")
        scan = runner.run_child(["bench", "step", "scan", "--as-of", str(as_of)], env)
        out = scan.output
        report.add(
            kind,
            size,
            "proactive scan, all benefits, set-based",
            out["scan_seconds"],
            "s",
            note=f"{out['benefits']} benefits; {out['proposed']:,} proposals, "
            f"{out['to_review']:,} reviews; second run {out['second_scan_seconds']} s",
        )
        report.add(
            kind,
            size,
            "same rules person by person in Python (extrapolated)",
            out["extrapolated_python_seconds"],
            "s",
            note=f"{out['per_person_ms']} ms/person on a sample of {out['sample']}; "
            f"{out['disagreements']} disagreements",
        )
        report.add(
            kind,
            size,
            "scan speed-up over person-by-person",
            out["ratio"],
            "×",
            target="≥ 50",
            met=out["ratio"] >= 50,
        )
        report.add(
            kind,
            size,
            f"proactive scan after {out['changed_persons']:,} persons changed, incremental",
            out["incremental_seconds"],
            "s",
            target="≤ 2",
            met=out["incremental_seconds"] <= 2,
            note=f"{out['incremental_moved']:,} items added or withdrawn; a full scan of "
            f"the same state {out['full_after_seconds']} s ({out['incremental_ratio']}×) "
            f"changed {out['full_after_changes']} more (0: the same proposals)",
        )
        report.add(
            kind,
            size,
            "scan job peak memory",
            round(scan.peak_mb),
            "MB",
            target="< 1024",
            met=scan.peak_mb < 1024,
        )
        _add_duck(report, kind, size, out.get("duckdb"), "eligibility SQL (per person)")
        _add_duck(
            report,
            kind,
            size,
            out.get("duckdb_materialised"),
            "scan's eligibility pass (facts materialised once)",
        )
    if "web" not in skip:
        _measure_web(report, kind, size, env, as_of, log, with_snapshot="kpi" not in skip)
    if "payments" not in skip:
        _measure_payments(report, kind, size, env, log)


PAYMENT_MONTH = "2025-10"


def _measure_payments(
    report: runner.Report,
    kind: str,
    size: int,
    env: dict[str, str],
    log: Callable[[str], None],
) -> None:
    """A month's payment lists of both allowances for every county (issue: workflow).

    Runs last: the seed enrols about three quarters of the registry, which the other
    steps must not see.
    """
    log(f"[{kind} {size:,}] payment lists")
    seeded = runner.run_child(["bench", "payments", "seed", "--month", PAYMENT_MONTH], env).output
    first = runner.run_child(["bench", "payments", "measure", "--month", PAYMENT_MONTH], env)
    settled = runner.run_child(["bench", "payments", "measure", "--month", PAYMENT_MONTH], env)
    out = settled.output
    report.add(
        kind,
        size,
        "monthly payment lists, every county, both allowances",
        out["seconds"],
        "s",
        note=f"{out['lines']:,} lines in {out['lists']} lists ({out['lines_per_second']:,} "
        f"lines/s); {seeded['living'] + seeded['nursing']:,} active entitlements; first run "
        f"{first.output['seconds']} s",
    )
    report.add(
        kind,
        size,
        "payment-list job peak memory",
        round(settled.peak_mb),
        "MB",
        target="< 1024",
        met=settled.peak_mb < 1024,
    )
    largest = out.get("largest_list") or {}
    if largest:
        report.add(
            kind,
            size,
            "largest list: bank workbook / summary PDF / largest township's PDFs",
            f"{largest['xlsx_seconds']} / {largest['summary_pdf_seconds']} / "
            f"{largest['township_pdf_seconds']}",
            "s",
            note=f"{largest['lines']:,} lines; largest township "
            f"{largest['largest_township_lines']:,} lines in "
            f"{largest.get('township_pdf_volumes', 1)} signing volume(s)",
        )


def measure_import(
    report: runner.Report, kind: str, log: Callable[[str], None], rows: int = IMPORT_ROWS
) -> None:
    """Roster import (issue: exchange): ``rows`` rows validated, previewed and committed,
    each step in its own process on its own throwaway database."""
    log(f"[{kind}] roster import, {rows:,} rows")
    done = subprocess.run(
        [*runner.DPF, "bench", "roster", "--rows", str(rows), "--database", kind],
        capture_output=True,
        text=True,
        check=True,
        timeout=7200,
    )
    out = json.loads(done.stdout.strip().splitlines()[-1])
    for roster in ("dibao", "pension"):
        one = out[roster]
        for phase, label in (("validate", "validated and previewed"), ("commit", "committed")):
            report.add(
                kind,
                rows,
                f"roster import ({one['file']}): {label}",
                one[f"{phase}_rows_per_s"],
                "rows/s",
                note=f"{one[phase]['seconds']} s, peak {one[phase]['peak_rss_mb']} MB",
                target="< 1024 MB" if phase == "commit" else "",
                met=one[phase]["peak_rss_mb"] < 1024 if phase == "commit" else None,
            )


def _add_duck(
    report: runner.Report, kind: str, size: int, duck: dict[str, Any] | None, what: str
) -> None:
    """One PostgreSQL ÷ DuckDB comparison (``dpf.bench.duck.compare``), or why it failed."""
    if not duck:
        return
    if "error" in duck:
        report.add(kind, size, f"{what} on DuckDB", "n/a", "", note=duck["error"])
        return
    report.add(
        kind,
        size,
        f"{what}: PostgreSQL ÷ DuckDB on Parquet",
        duck["ratio"],
        "×",
        target="≤ 5",
        met=duck["ratio"] is not None and duck["ratio"] <= 5,
        note=f"PostgreSQL {duck['postgresql_seconds']} s, DuckDB "
        f"{duck['duckdb_seconds']} s, counts agree: {duck['counts_agree']}",
    )


SEARCH_USER = "demo_county_hongshan"
ADMIN_USER = "demo_city_admin"


def _measure_web(
    report: runner.Report,
    kind: str,
    size: int,
    env: dict[str, str],
    as_of: dt.date,
    log: Callable[[str], None],
    *,
    with_snapshot: bool,
) -> None:
    """Search latency with 1, 8 and 32 clients; dashboard and person page under 8 clients."""
    runner.run_child(["demo", "accounts"], env)
    if with_snapshot:
        runner.run_child(["kpi", "snapshot", "--as-of", str(as_of)], env)
    paths = runner.run_child(["bench", "step", "paths"], env).output
    with Server(env) as server:
        for label in ("id", "name", "pinyin"):
            for clients in (1, 8, 32):
                # Issue 21: the page p95 < 200 ms, its look-up (below) < 50 ms.
                _latency(
                    report, kind, size, server, paths[label],
                    name=f"search by {label}", clients=clients,
                    requests=max(200, 25 * clients), target_ms=200, log=log,
                )  # fmt: skip
        _measure_lookup(report, kind, size, server, paths, log)
        for label, user in (("person", SEARCH_USER), ("dashboard", ADMIN_USER)):
            log(f"[{kind} {size:,}] {label} page, 8 clients")
            out = load(
                server,
                paths[label],
                username=user,
                password=DEMO_PASSWORD,
                concurrency=8,
                requests=400,
            )
            report.add(
                kind,
                size,
                f"{label} page, 8 clients",
                out["rps"],
                "req/s",
                note=f"p95 {out['p95_ms']} ms, {out['errors']} errors",
            )


def _latency(
    report: runner.Report,
    kind: str,
    size: int,
    server: Server,
    paths: Any,
    *,
    name: str,
    clients: int,
    requests: int,
    target_ms: int,
    log: Callable[[str], None],
) -> None:
    """One latency row: ``requests`` over ``paths`` by ``clients`` at once as the search
    user; the p95 target is judged at 8 clients on PostgreSQL (issue 21)."""
    log(f"[{kind} {size:,}] {name}, {clients} clients")
    out = load(
        server,
        paths,
        username=SEARCH_USER,
        password=DEMO_PASSWORD,
        concurrency=clients,
        requests=requests,
    )
    judged = clients == 8 and kind == "postgresql"
    report.add(
        kind,
        size,
        f"{name}, {clients} clients",
        f"{out['p50_ms']} / {out['p95_ms']} / {out['p99_ms']}",
        "ms p50/p95/p99",
        note=f"{out['rps']} req/s, {out['errors']} errors",
        target=f"p95 < {target_ms} ms" if judged else "",
        met=out["p95_ms"] < target_ms if judged else None,
    )


def _measure_lookup(
    report: runner.Report,
    kind: str,
    size: int,
    server: Server,
    paths: dict[str, Any],
    log: Callable[[str], None],
) -> None:
    """The search box's look-up (``registry:search_lookup``) with 1 and 8 clients, and on
    PostgreSQL whether its name query reads a name index (trigrams, or bigrams for two
    characters)."""
    for label in ("lookup id", "lookup name", "lookup name, 2 characters", "lookup pinyin"):
        for clients in (1, 8):
            _latency(
                report, kind, size, server, paths[label],
                name=label, clients=clients,
                requests=max(200, 50 * clients), target_ms=50, log=log,
            )  # fmt: skip
    plan_rows(report, kind, size, paths.get("plans", {}))


def plan_rows(report: runner.Report, kind: str, size: int, plans: dict[str, str]) -> None:
    """One row per plan of the look-up's name query: the name index it reads (a name of 3+
    characters the trigram index, of 2 the bigram one, migration registry/0013) or none."""
    indexes = {"trigram": "person_name_trgm", "bigram": "person_name_bigrams"}
    for label, plan in plans.items():
        read = [name for name, index in indexes.items() if index in plan]
        report.add(
            kind,
            size,
            f"lookup plan, name of {label}",
            f"{read[0]} index" if read else "no name index",
            "",
            note=" / ".join(line.strip() for line in plan.splitlines()[:6]).replace("|", "¦"),
        )
