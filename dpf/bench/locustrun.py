"""A load scenario sent by locust in its own process, its CSV statistics read back into
``dpf.bench.load.run_scenario``'s result (``dpf bench load --tool locust``).

locust is never imported here (it monkey-patches the importing process with gevent): it
runs as ``python -m locust -f dpf/bench/locustfile.py`` in headless mode, one user per
session of the scenario, for a fixed time after the last log-in, and writes locust's CSV
tables once every user has stopped (``--final-csv``): ``PREFIX_stats.csv`` (count,
failures, percentiles per kind of request), ``PREFIX_failures.csv`` (kind and status per
failure) and ``PREFIX_exceptions.csv`` (errors of the locustfile itself). locust rounds a
latency above 100 ms to 10 ms and one above 1,000 ms to 100 ms before its percentiles; its
``all`` row also counts the log-ins (one per session).
"""

from __future__ import annotations

import csv
import json
import os
import re
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

BASE_DIR = Path(__file__).resolve().parents[2]
LOCUSTFILE = Path(__file__).with_name("locustfile.py")
# After the run's time, each user finishes the request it is waiting for (so every request
# the server answered is counted), within this many seconds.
STOP_TIMEOUT = 130
# The cap on a run (locust's ``-t``): the measured time plus this much for the log-ins.
LOG_IN_ALLOWANCE = 600


def command(
    base: str, scenario_file: Path, *, users: int, spawn_rate: float, seconds: float, prefix: Path
) -> list[str]:
    return [
        *(sys.executable, "-m", "locust", "-f", str(LOCUSTFILE), "--scenario", str(scenario_file)),
        *("--headless", "--only-summary", "--loglevel", "WARNING"),
        *("-u", str(users), "-r", f"{spawn_rate:g}", "--measure", f"{seconds:g}"),
        *("-t", f"{round(seconds) + LOG_IN_ALLOWANCE}s"),
        *("--stop-timeout", str(STOP_TIMEOUT), "--host", base, "--final-csv", str(prefix)),
    ]


def run_scenario(
    base: str, scenario: dict[str, Any], *, seconds: float, spawn_rate: float | None = None
) -> dict[str, Any]:
    """Every session of ``scenario`` as one locust user for ``seconds``, all started at once
    unless ``spawn_rate`` (users a second) says otherwise."""
    users = len(scenario["sessions"])
    with tempfile.TemporaryDirectory(prefix="dpf-locust.") as folder:
        scenario_file = Path(folder, "scenario.json")
        scenario_file.write_text(json.dumps(scenario), encoding="utf-8")
        prefix = Path(folder, "run")
        done = subprocess.run(
            command(
                base,
                scenario_file,
                users=users,
                spawn_rate=spawn_rate or users,
                seconds=seconds,
                prefix=prefix,
            ),
            cwd=BASE_DIR,
            env={**os.environ, "PYTHONPATH": str(BASE_DIR)},
            capture_output=True,
            text=True,
            timeout=seconds + LOG_IN_ALLOWANCE + STOP_TIMEOUT + 120,
        )
        stats = Path(f"{prefix}_stats.csv")
        # locust exits with 1 when a request failed: the failures are in the result
        if done.returncode not in (0, 1) or not stats.exists():
            raise RuntimeError(f"locust failed ({done.returncode}): {done.stderr[-2000:]}")
        return parse(
            stats.read_text(encoding="utf-8"),
            Path(f"{prefix}_failures.csv").read_text(encoding="utf-8"),
            Path(f"{prefix}_exceptions.csv").read_text(encoding="utf-8"),
            sessions=users,
            seconds=seconds,
        )


def _ms(value: str) -> float | None:
    return None if value in ("", "N/A") else round(float(value), 1)


def _row(row: dict[str, str]) -> dict[str, Any]:
    return {
        "requests": int(row["Request Count"]),
        "errors": int(row["Failure Count"]),
        "p50_ms": _ms(row["50%"]),
        "p95_ms": _ms(row["95%"]),
        "p99_ms": _ms(row["99%"]),
        "max_ms": _ms(row["Max Response Time"]),
        "mean_ms": _ms(row["Average Response Time"]),
    }


def _status(error: str) -> str:
    """``CatchResponseError('status 500')`` → ``500``; anything else by its class only."""
    found = re.search(r"status (\w+)", error)
    if found:
        return found.group(1)
    return error.split("(", 1)[0] or "error"


def parse(
    stats_csv: str, failures_csv: str, exceptions_csv: str, *, sessions: int, seconds: float
) -> dict[str, Any]:
    """locust's CSV statistics in the shape of ``dpf.bench.load.run_scenario``'s result."""
    rows = {row["Name"]: row for row in csv.DictReader(stats_csv.splitlines())}
    every = rows.pop("Aggregated")
    kinds = {name: _row(row) for name, row in sorted(rows.items()) if name != "login"}
    login = _row(rows["login"]) if "login" in rows else {"requests": 0, "errors": 0}
    error_kinds: dict[str, int] = {}
    for row in csv.DictReader(failures_csv.splitlines()):
        key = f"{row['Name']} {_status(row['Error'])}"
        error_kinds[key] = error_kinds.get(key, 0) + int(row["Occurrences"])
    exceptions = sum(int(row["Count"]) for row in csv.DictReader(exceptions_csv.splitlines()))
    total = sum(row["requests"] for row in kinds.values())
    shown = _row(every)
    return {
        "tool": "locust",
        "sessions": sessions,
        "seconds": round(seconds, 1),
        "requests": total,
        "errors": sum(row["errors"] for row in kinds.values()),
        "login_failures": login["errors"],
        "rps": round(total / seconds, 1) if seconds else 0,
        "all": {k: shown[k] for k in ("p50_ms", "p95_ms", "p99_ms", "max_ms", "mean_ms")},
        "kinds": {"login": login, **kinds},
        "error_kinds": dict(sorted(error_kinds.items())),
        "tool_exceptions": exceptions,
    }
