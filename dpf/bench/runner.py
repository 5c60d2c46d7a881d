"""Orchestration of ``dpf bench``: databases, sizes, child processes, results.

Every measured step runs in a child process (``dpf bench step NAME``) bound to the
benchmark database through ``DATABASE_URL``, so its peak memory is measured alone
(``os.wait4``'s ``ru_maxrss``) and the parent never holds registry data.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import json
import os
import platform
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from dpf.bench.pgserver import throwaway_postgres

DPF = [sys.executable, "-m", "dpf.cli"]


def refuse_real_people() -> None:
    """The one guard of every benchmark step that writes or deletes: refuse a database
    holding any non-synthetic person (a benchmark deletes and rewrites rows freely)."""
    from django.core.management.base import CommandError

    from dpf.registry.models import Person

    if Person.objects.filter(synthetic=False).exists():
        raise CommandError(
            "数据库中有非演示数据，拒绝运行性能测试 / "
            "the database holds non-demo persons: refusing to benchmark it"
        )


@dataclass
class ChildResult:
    seconds: float
    peak_mb: float
    output: dict[str, Any]
    returncode: int
    # the child's own user + system time (a database server's CPU is not included)
    cpu_seconds: float = 0.0


def run_child(args: list[str], env: dict[str, str], *, timeout: float = 7200) -> ChildResult:
    """Run ``dpf ARGS`` with ``env``; wall and CPU time, peak RSS (MB: the highest of the
    high-water marks sampled while it runs and the one at its exit) and the JSON it
    printed last."""
    full_env = {**os.environ, **env}
    start = time.perf_counter()
    sampled_kib = 0
    with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err:
        proc = subprocess.Popen([*DPF, *args], env=full_env, stdout=out, stderr=err)
        deadline = start + timeout
        while True:
            sampled_kib = max(sampled_kib, _high_water_kib(proc.pid))
            pid, status, usage = os.wait4(proc.pid, os.WNOHANG)
            if pid:
                break
            if time.perf_counter() > deadline:
                proc.kill()
                pid, status, usage = os.wait4(proc.pid, 0)
                break
            time.sleep(0.05)
        proc.returncode = os.waitstatus_to_exitcode(status)
        seconds = time.perf_counter() - start
        out.seek(0)
        err.seek(0)
        text = out.read().decode("utf-8", "replace")
        if proc.returncode != 0:
            message = err.read().decode("utf-8", "replace")[-2000:]
            raise RuntimeError(f"dpf {' '.join(args)} failed ({proc.returncode}): {message}")
    output: dict[str, Any] = {}
    for line in reversed(text.strip().splitlines()):
        if line.startswith("{"):
            output = json.loads(line)
            break
    cpu = usage.ru_utime + usage.ru_stime
    peak_mb = max(usage.ru_maxrss, sampled_kib) / 1024
    return ChildResult(seconds, peak_mb, output, proc.returncode, cpu)


def _high_water_kib(pid: int) -> int:
    """The child's resident high-water mark now (Linux's ``VmHWM``, KiB; 0 elsewhere).
    Sampled while it runs because a child may reset its own mark (``dpf demo generate``
    does, to print each step's peak): the maximum ``wait4`` reports at exit then covers
    only what came after the last reset."""
    try:
        with open(f"/proc/{pid}/status", encoding="ascii") as status:
            for line in status:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1])
    except (OSError, ValueError, IndexError):
        pass
    return 0


@contextlib.contextmanager
def database(kind: str) -> Iterator[str]:
    """A fresh, empty benchmark database of ``kind`` (``postgresql`` or ``sqlite``), deleted
    afterwards: the one throwaway-database helper of every scenario."""
    if kind == "postgresql":
        with throwaway_postgres() as url:
            yield url
        return
    folder = Path(tempfile.mkdtemp(prefix="dpf-bench-sqlite."))
    try:
        yield f"sqlite:///{folder / 'bench.sqlite3'}"
    finally:
        shutil.rmtree(folder, ignore_errors=True)


def median(values: list[float]) -> float:
    return round(statistics.median(values), 3) if values else float("nan")


@dataclass
class Measurement:
    database: str
    persons: int
    name: str
    value: float | str
    unit: str
    note: str = ""
    target: str = ""
    met: bool | None = None


@dataclass
class Report:
    started: dt.datetime
    commit: str
    machine: str
    command: str
    rows: list[Measurement] = field(default_factory=list)
    # Where the rows so far are written after each part (a long run can be interrupted).
    progress: Path | None = None

    def add(self, *args: Any, **kwargs: Any) -> None:
        self.rows.append(Measurement(*args, **kwargs))
        if self.progress is not None:
            self.progress.write_text(render_markdown(self), encoding="utf-8")


def machine_description() -> str:
    mem_gb = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**30
    cpu = platform.processor() or platform.machine()
    model = ""
    with contextlib.suppress(OSError):
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    system = f"{platform.system()} {platform.release()}"
    return f"{os.cpu_count()} cores ({model or cpu}), {mem_gb:.0f} GB RAM, {system}"


def git_commit() -> str:
    try:
        return subprocess.run(
            ["git", "rev-parse", "--short", "HEAD"], capture_output=True, text=True, check=True
        ).stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        return "unknown"


def render_markdown(report: Report) -> str:
    now = git_commit()
    commit = (
        f"commit `{report.commit}`"
        if now == report.commit
        else f"commits `{report.commit}` (start) to `{now}` (end): each step ran the code "
        "checked out when its process started"
    )
    lines = [
        f"### Run of {report.started:%Y-%m-%d %H:%M} UTC, {commit}",
        "",
        f"Machine: {report.machine}. Command: `{report.command}`.",
        "",
        "| database | persons | measurement | value | unit | target | met | note |",
        "|---|---:|---|---:|---|---|---|---|",
    ]
    for m in report.rows:
        met = "" if m.met is None else ("yes" if m.met else "**no**")
        value = m.value
        if isinstance(value, float):
            value = f"{value:,.3f}".rstrip("0").rstrip(".")
        cells = [m.database, f"{m.persons:,}", m.name, value, m.unit, m.target, met, m.note]
        lines.append("| " + " | ".join(str(c) for c in cells) + " |")
    return "\n".join(lines) + "\n"


RESULTS_START = "<!-- dpf bench results: newest first; written by `dpf bench --write` -->"


def write_results(path: Path, report: Report) -> None:
    """Insert the new run at the top of the results section, keeping earlier runs below."""
    text = path.read_text(encoding="utf-8") if path.exists() else "# Benchmarks\n"
    block = render_markdown(report)
    if RESULTS_START in text:
        head, tail = text.split(RESULTS_START, 1)
        text = f"{head}{RESULTS_START}\n\n{block}{tail}"
    else:
        text = text.rstrip() + f"\n\n## Results of `dpf bench`\n\n{RESULTS_START}\n\n{block}"
    path.write_text(text, encoding="utf-8")
