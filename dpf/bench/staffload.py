"""``dpf bench load``: staff sessions at work against the production server, for a fixed time.

A throwaway PostgreSQL server (``pgserver``), ``dpf migrate``, the demo registry, the demo
accounts, an indicator snapshot; then gunicorn with ``workers`` sync workers and the
production settings (``suite.Server``: DPF_PRODUCTION, HTTPS through the proxy's header, no
demo mode) serves it. For each number of clients and each load tool, ``clients`` bench
accounts get applications waiting for them (``staff.step_staff``: the same reads each time,
fresh approvals), and every session logs in (password, and the TOTP step where its role
requires it) and sends its searches, person pages, approvals and dashboard reads, without
pause, for ``seconds``: with ``builtin`` (``load.run_scenario``, threads in this process)
or ``locust`` (``locustrun.run_scenario``, locust in its own process). Afterwards the
database is asked what the approvals recorded and whether the audit chain holds.

A run is required to show no error: no failed request, no failed log-in, and as many
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
TOOLS = ("locust", "builtin")


def send(tool: str, base: str, scenario: dict[str, Any], *, seconds: float) -> dict[str, Any]:
    """The scenario's sessions for ``seconds``, sent by ``tool``."""
    if tool == "locust":
        from dpf.bench import locustrun

        return locustrun.run_scenario(base, scenario, seconds=seconds)
    if tool == "builtin":
        return {"tool": "builtin", **run_scenario(base, scenario, seconds=seconds)}
    raise ValueError(f"unknown load tool: {tool}")


def measure_load(
    *,
    persons: int,
    clients: list[int],
    tools: list[str],
    seconds: float,
    workers: int,
    as_of: dt.date,
    log: Callable[[str], None],
    server_log: Path | None = None,
    production: bool = True,
) -> list[dict[str, Any]]:
    """One registry, one server; a run per number of clients and tool, in that order."""
    results = []
    with runner.database("postgresql") as url:
        env = {"DATABASE_URL": url, "DPF_DEMO": "1"}
        log("migrate")
        runner.run_child(["migrate", "--no-input", "-v0"], env)
        log(f"demo registry of {persons:,} persons")
        runner.run_child(["demo", "generate", "--persons", str(persons), "--seed", "1"], env)
        runner.run_child(["demo", "accounts"], env)
        runner.run_child(["kpi", "snapshot", "--as-of", str(as_of)], env)
        staff = ["bench", "step", "staff", *(["--production"] if production else [])]
        with Server(env, workers=workers, log=server_log, production=production) as server:
            for sessions in clients:
                for tool in tools:
                    log(f"{sessions} staff accounts and the applications waiting for them")
                    scenario = runner.run_child([*staff, "--sessions", str(sessions)], env).output
                    before = runner.run_child(["bench", "step", "load-check"], env).output
                    log(f"{tool}: {sessions} sessions for {seconds:.0f} s ({workers} workers)")
                    load_before = os.getloadavg()[0]
                    result = send(tool, server.base, scenario, seconds=seconds)
                    load_after = os.getloadavg()[0]
                    check = runner.run_child(["bench", "step", "load-check"], env).output
                    approvals = result["kinds"].get("approval", {"requests": 0, "errors": 0})
                    result.update(
                        persons=persons,
                        workers=workers,
                        production=production,
                        applications_waiting=scenario["applications_waiting"],
                        approvals_answered=approvals["requests"] - approvals["errors"],
                        load_average=[round(load_before, 1), round(load_after, 1)],
                        audit_chain_intact=check["audit_chain_intact"],
                        items_in_progress=check["items_in_progress"],
                        # the bench accounts' approvals of this run only
                        approvals_recorded=check["approvals_recorded"]
                        - before["approvals_recorded"],
                    )
                    results.append(result)
    return results


def measure_staff_load(
    *,
    persons: int,
    sessions: int,
    seconds: float,
    workers: int,
    as_of: dt.date,
    log: Callable[[str], None],
    server_log: Path | None = None,
    tool: str = "builtin",
) -> dict[str, Any]:
    """One run: ``sessions`` sessions sent by ``tool``."""
    return measure_load(
        persons=persons,
        clients=[sessions],
        tools=[tool],
        seconds=seconds,
        workers=workers,
        as_of=as_of,
        log=log,
        server_log=server_log,
    )[0]


def failures(result: dict[str, Any]) -> list[str]:
    """Why the run does not meet "no error" (empty when it does)."""
    problems = []
    if result["errors"]:
        problems.append(f"{result['errors']} failed requests: {result['error_kinds']}")
    if result.get("tool_exceptions"):
        problems.append(f"{result['tool_exceptions']} errors in the locustfile")
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


def _per_second(count: int, seconds: float) -> str:
    return f"{count / seconds:.1f}" if seconds else ""


def _run_block(result: dict[str, Any]) -> list[str]:
    seconds = result["seconds"]
    lines = [
        f"#### {result['sessions']} sessions, {result.get('tool', 'builtin')}",
        "",
        f"Load average {result['load_average'][0]} before and {result['load_average'][1]} "
        f"after (1-minute). {result['sessions']} sessions for {seconds} s: "
        f"**{result['requests']:,} requests, {result['rps']} per second, "
        f"{result['errors']} errors**, {result['login_failures']} failed log-ins; "
        f"{result['approvals_answered']} approvals answered and "
        f"{result['approvals_recorded']} recorded; audit chain "
        f"{'intact' if result['audit_chain_intact'] else '**broken**'}.",
        "",
        "| request | count | per s | errors | p50 ms | p95 ms | p99 ms | max ms |",
        "|---|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for kind, row in result["kinds"].items():
        lines.append(
            f"| {kind} | {row['requests']:,} | {_per_second(row['requests'], seconds)} | "
            f"{row['errors']} | {row.get('p50_ms')} | {row.get('p95_ms')} | "
            f"{row.get('p99_ms')} | {row.get('max_ms')} |"
        )
    every = result["all"]
    label = "all (log-ins too)" if result.get("tool") == "locust" else "all but log-in"
    lines.append(
        f"| **{label}** | {result['requests']:,} | {result['rps']} | {result['errors']} | "
        f"{every['p50_ms']} | {every['p95_ms']} | {every['p99_ms']} | {every['max_ms']} |"
    )
    return [*lines, ""]


def _side_by_side(builtin: dict[str, Any], locust: dict[str, Any]) -> list[str]:
    """The two tools' figures for the same number of sessions, kind by kind."""

    def cell(result: dict[str, Any], kind: str) -> str:
        row = result["kinds"].get(kind)
        if not row or not row["requests"]:
            return "— | — | —"
        return (
            f"{row['requests']:,} ({_per_second(row['requests'], result['seconds'])}/s) | "
            f"{row.get('p50_ms')} / {row.get('p95_ms')} / {row.get('p99_ms')} | {row['errors']}"
        )

    kinds = list(dict.fromkeys([*builtin["kinds"], *locust["kinds"]]))
    lines = [
        f"#### {builtin['sessions']} sessions: the built-in generator and locust side by side",
        "",
        "| request | built-in count | built-in p50 / p95 / p99 ms | errors "
        "| locust count | locust p50 / p95 / p99 ms | errors |",
        "|---|---:|---:|---:|---:|---:|---:|",
    ]
    for kind in kinds:
        lines.append(f"| {kind} | {cell(builtin, kind)} | {cell(locust, kind)} |")
    return [*lines, ""]


def render_markdown(
    results: list[dict[str, Any]] | dict[str, Any], *, command: str, started: dt.datetime
) -> str:
    runs = [results] if isinstance(results, dict) else results
    first = runs[0]
    settings = "the production settings" if first.get("production", True) else "demo settings"
    lines = [
        f"### Run of {started:%Y-%m-%d %H:%M} UTC, commit `{runner.git_commit()}`",
        "",
        f"Machine: {runner.machine_description()}. Command: `{command}`. A registry of "
        f"{first['persons']:,} certified persons, PostgreSQL 15, gunicorn with "
        f"{first['workers']} sync workers and {settings}; the load tool on the same machine.",
        "",
    ]
    for result in runs:
        lines += _run_block(result)
    for result in runs:
        if result.get("tool") != "builtin":
            continue
        for other in runs:
            if other.get("tool") == "locust" and other["sessions"] == result["sessions"]:
                lines += _side_by_side(result, other)
    return "\n".join(lines)


def write_results(path: Path, block: str) -> None:
    """Insert the run at the top of its section of ``docs/benchmarks.md``."""
    text = path.read_text(encoding="utf-8")
    if RESULTS_START in text:
        head, tail = text.split(RESULTS_START, 1)
        text = f"{head}{RESULTS_START}\n\n{block}{tail}"
    else:
        text = text.rstrip() + f"\n\n## Staff sessions under load\n\n{RESULTS_START}\n\n{block}"
    path.write_text(text, encoding="utf-8")
