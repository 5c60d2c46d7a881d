"""``dpf bench load``: staff sessions at work against the production server, for a fixed time.

A throwaway PostgreSQL server (``pgserver``), ``dpf migrate``, the demo registry, the demo
accounts, an indicator snapshot, then ``sessions`` bench accounts with applications waiting
for them (``staff.step_staff``); gunicorn with ``workers`` sync workers (as in production)
serves it, and every session logs in and sends its searches, person pages, approvals and
dashboard reads, without pause, for ``seconds`` (``load.run_scenario``). Afterwards the
database is asked what the approvals recorded and whether the audit chain holds.

The result is required to show no error: no failed request, no failed log-in, and as many
approvals recorded as answered.
"""

from __future__ import annotations

import datetime as dt
import os
from collections.abc import Callable
from pathlib import Path
from typing import Any

from dpf.bench import runner
from dpf.bench.load import run_scenario
from dpf.bench.suite import Server

RESULTS_START = "<!-- dpf bench load results: newest first; written by `dpf bench load --write` -->"


def measure_staff_load(
    *,
    persons: int,
    sessions: int,
    seconds: float,
    workers: int,
    as_of: dt.date,
    log: Callable[[str], None],
    server_log: Path | None = None,
) -> dict[str, Any]:
    with runner.database("postgresql") as url:
        env = {"DATABASE_URL": url, "DPF_DEMO": "1"}
        log("migrate")
        runner.run_child(["migrate", "--no-input", "-v0"], env)
        log(f"demo registry of {persons:,} persons")
        runner.run_child(["demo", "generate", "--persons", str(persons), "--seed", "1"], env)
        runner.run_child(["demo", "accounts"], env)
        runner.run_child(["kpi", "snapshot", "--as-of", str(as_of)], env)
        log(f"{sessions} staff accounts and the applications waiting for them")
        scenario = runner.run_child(
            ["bench", "step", "staff", "--sessions", str(sessions)], env
        ).output
        with Server(env, workers=workers, log=server_log) as server:
            log(f"{sessions} sessions for {seconds:.0f} s against gunicorn ({workers} workers)")
            load_before = os.getloadavg()[0]
            result = run_scenario(server.base, scenario, seconds=seconds)
            load_after = os.getloadavg()[0]
        check = runner.run_child(["bench", "step", "load-check"], env).output
    approvals = result["kinds"].get("approval", {"requests": 0, "errors": 0})
    result.update(
        persons=persons,
        workers=workers,
        applications_waiting=scenario["applications_waiting"],
        approvals_answered=approvals["requests"] - approvals["errors"],
        load_average=[round(load_before, 1), round(load_after, 1)],
        **check,
    )
    return result


def failures(result: dict[str, Any]) -> list[str]:
    """Why the run does not meet "no error" (empty when it does)."""
    problems = []
    if result["errors"]:
        problems.append(f"{result['errors']} failed requests: {result['error_kinds']}")
    if result["login_failures"]:
        problems.append(f"{result['login_failures']} sessions could not log in")
    if result["approvals_recorded"] != result["approvals_answered"]:
        problems.append(
            f"{result['approvals_answered']} approvals answered but "
            f"{result['approvals_recorded']} recorded"
        )
    if not result["audit_chain_intact"]:
        problems.append("the audit chain does not verify")
    return problems


def render_markdown(result: dict[str, Any], *, command: str, started: dt.datetime) -> str:
    commit = runner.git_commit()
    lines = [
        f"### Run of {started:%Y-%m-%d %H:%M} UTC, commit `{commit}`",
        "",
        f"Machine: {runner.machine_description()}; load average {result['load_average'][0]} "
        f"before and {result['load_average'][1]} after the run (1-minute). Command: "
        f"`{command}`.",
        "",
        f"{result['sessions']} sessions for {result['seconds']} s on a registry of "
        f"{result['persons']:,} certified persons (PostgreSQL 15, gunicorn with "
        f"{result['workers']} sync workers, the load generator on the same machine): "
        f"**{result['requests']:,} requests, {result['rps']} per second, "
        f"{result['errors']} errors**, {result['login_failures']} failed log-ins; "
        f"{result['approvals_answered']} approvals answered and "
        f"{result['approvals_recorded']} recorded; audit chain "
        f"{'intact' if result['audit_chain_intact'] else '**broken**'}.",
        "",
        "| request | count | errors | p50 ms | p95 ms | p99 ms | max ms |",
        "|---|---:|---:|---:|---:|---:|---:|",
    ]
    for kind, row in result["kinds"].items():
        lines.append(
            f"| {kind} | {row['requests']:,} | {row['errors']} | {row['p50_ms']} | "
            f"{row['p95_ms']} | {row['p99_ms']} | {row['max_ms']} |"
        )
    every = result["all"]
    lines.append(
        f"| **all but log-in** | {result['requests']:,} | {result['errors']} | "
        f"{every['p50_ms']} | {every['p95_ms']} | {every['p99_ms']} | {every['max_ms']} |"
    )
    return "\n".join(lines) + "\n"


def write_results(path: Path, block: str) -> None:
    """Insert the run at the top of its section of ``docs/benchmarks.md``."""
    text = path.read_text(encoding="utf-8")
    if RESULTS_START in text:
        head, tail = text.split(RESULTS_START, 1)
        text = f"{head}{RESULTS_START}\n\n{block}{tail}"
    else:
        text = text.rstrip() + f"\n\n## Staff sessions under load\n\n{RESULTS_START}\n\n{block}"
    path.write_text(text, encoding="utf-8")
