"""Measure ``dpf demo generate`` on fresh throwaway databases (docs/benchmarks.md).

    .venv/bin/python -m dpf.demo.measure --sizes 20000,200000 --databases sqlite,postgresql

Each run gets a new, empty database (a temporary SQLite file, or a PostgreSQL server on
loopback in a temporary folder, stopped and deleted afterwards), is migrated, then
``dpf demo generate --persons N --seed 1`` runs in a child process whose wall time and
peak memory are reported as a markdown table.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

DPF = [sys.executable, "-m", "dpf.cli"]


@contextlib.contextmanager
def _database(kind: str) -> Iterator[str]:
    if kind == "postgresql":
        from dpf.bench.pgserver import throwaway_postgres

        with throwaway_postgres() as url:
            yield url
        return
    folder = Path(tempfile.mkdtemp(prefix="dpf-demo-measure."))
    try:
        yield f"sqlite:///{folder / 'demo.sqlite3'}"
    finally:
        shutil.rmtree(folder, ignore_errors=True)


def _child(args: list[str], env: dict[str, str]) -> tuple[float, float, float]:
    """Run ``dpf ARGS``; return (wall seconds, CPU seconds, peak resident memory in MB)."""
    start = time.perf_counter()
    with tempfile.TemporaryFile() as err:
        proc = subprocess.Popen(
            [*DPF, *args], env={**os.environ, **env}, stdout=subprocess.DEVNULL, stderr=err
        )
        _, status, usage = os.wait4(proc.pid, 0)
        seconds = time.perf_counter() - start
        if os.waitstatus_to_exitcode(status) != 0:
            err.seek(0)
            raise SystemExit(f"dpf {' '.join(args)} failed: {err.read().decode()[-2000:]}")
    return seconds, usage.ru_utime + usage.ru_stime, usage.ru_maxrss / 1024


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else "")
    parser.add_argument("--sizes", default="20000,200000")
    parser.add_argument("--databases", default="sqlite,postgresql")
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args(argv)
    sizes = [int(s) for s in args.sizes.split(",") if s]
    print("| database | persons | wall s | persons/s | CPU s (generator process) | peak memory |")
    print("|---|---:|---:|---:|---:|---:|")
    for kind in [d for d in args.databases.split(",") if d]:
        for size in sizes:
            with _database(kind) as url:
                env = {"DATABASE_URL": url, "DPF_DEMO": "1"}
                _child(["migrate", "--no-input", "-v0"], env)
                generate = ["demo", "generate", "--persons", str(size), "--seed", str(args.seed)]
                seconds, cpu, peak = _child(generate, env)
            print(
                f"| {kind} | {size:,} | {seconds:,.0f} | {size / seconds:,.0f} "
                f"| {cpu:,.0f} | {peak:,.0f} MB |",
                flush=True,
            )


if __name__ == "__main__":
    main()
