"""``dpf bench demo``: ``dpf demo generate`` timed on fresh throwaway databases
(docs/benchmarks.md, "Demo generation").

    dpf bench demo --sizes 20000,200000 --databases sqlite,postgresql

Each run gets a new, empty database (``runner.database``), is migrated, then
``dpf demo generate --persons N --seed S`` runs in a child process whose wall time, CPU
time and peak memory are printed as a markdown table row.
"""

from __future__ import annotations

from collections.abc import Callable

from dpf.bench import runner


def measure_generation(
    *, sizes: list[int], databases: list[str], seed: int, say: Callable[[str], None]
) -> None:
    say("| database | persons | wall s | persons/s | CPU s (generator process) | peak memory |")
    say("|---|---:|---:|---:|---:|---:|")
    for kind in databases:
        for size in sizes:
            with runner.database(kind) as url:
                env = {"DATABASE_URL": url, "DPF_DEMO": "1"}
                runner.run_child(["migrate", "--no-input", "-v0"], env)
                generate = ["demo", "generate", "--persons", str(size), "--seed", str(seed)]
                done = runner.run_child(generate, env)
            say(
                f"| {kind} | {size:,} | {done.seconds:,.0f} | {size / done.seconds:,.0f} "
                f"| {done.cpu_seconds:,.0f} | {done.peak_mb:,.0f} MB |"
            )
