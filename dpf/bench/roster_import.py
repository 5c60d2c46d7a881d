"""``dpf bench roster``: a 100,000-row roster validated and committed, per database.

    dpf bench roster --rows 100000 --database sqlite
    dpf bench roster --rows 100000 --database postgresql

Everything runs in a temporary data folder (fresh keys) on a throwaway database
(``runner.database``). Each measured step (``dpf exchange import``
= upload + streaming validation, ``dpf exchange commit``) runs in its own child process,
which reports its wall time and peak resident memory (``getrusage``); with
``--tracemalloc`` it also reports the peak of Python allocations (slower). The commit is
measured without the benefits rescan (``--no-rescan``), which the benefits benchmarks
measure. ``python -m dpf.bench.roster_import setup|measure`` are those child processes
(internal); both refuse a database holding a real person.
"""

from __future__ import annotations

import argparse
import contextlib
import datetime as dt
import json
import os
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from dpf.bench import runner

HEADER_DIBAO = ["身份证号码", "姓名", "类别", "起始日期", "终止日期"]
HEADER_PENSION = ["身份证号码", "姓名", "参保日期", "终止日期"]
VILLAGE = "150402"  # persons are spread over the villages of this county


def _dpf(env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "dpf.cli", *args],
        env=env,
        check=True,
        capture_output=True,
        text=True,
    )


def _measure(
    env: dict[str, str], *args: str, trace: bool = False, profile: bool = False
) -> dict[str, Any]:
    command = [sys.executable, "-m", "dpf.bench.roster_import", "measure"]
    if trace:
        command.append("--tracemalloc")
    if profile:
        command.append("--profile")
    done = subprocess.run([*command, "--", *args], env=env, capture_output=True, text=True)
    if done.returncode != 0:
        raise RuntimeError(f"{' '.join(args)} failed:\n{done.stderr[-3000:]}")
    result: dict[str, Any] = json.loads(done.stdout.strip().splitlines()[-1])
    return result


def setup(rows: int, out: Path) -> None:
    """Create ``rows`` synthetic persons (bulk) and write the roster files (in-process)."""
    import django

    django.setup()
    from openpyxl import Workbook

    from dpf.accounts.models import User
    from dpf.core.idnumber import make_id_number, mask_id_number
    from dpf.core.models import Region
    from dpf.registry.models import Household, Person
    from dpf.registry.services import id_lookup_hash

    runner.refuse_real_people()

    # Synthetic township and villages under a real county (the shipped tree stops at
    # townships; the demo generator invents villages the same way).
    township = f"{VILLAGE}901"
    Region.objects.get_or_create(
        code=township,
        defaults={"name": "基准街道", "level": "township", "parent_id": VILLAGE, "synthetic": True},
    )
    villages = [f"{township}{n:03d}" for n in range(1, 21)]
    for code in villages:
        Region.objects.get_or_create(
            code=code,
            defaults={"name": f"基准社区{code[-3:]}", "level": "village", "parent_id": township,
                      "synthetic": True},
        )  # fmt: skip
    User.objects.create_user(
        username="bench", password=None, role="county_officer", region_id=VILLAGE
    )
    ids: list[str] = []
    start = dt.date(1940, 1, 1)
    for chunk_start in range(0, rows, 5000):
        households = []
        persons = []
        for n in range(chunk_start, min(rows, chunk_start + 5000)):
            village = villages[n % len(villages)]
            number = make_id_number(VILLAGE, start + dt.timedelta(days=n // 400), n % 400 + 100)
            ids.append(number)
            households.append(
                Household(county_code=village[:6], township_code=village[:9], village_code=village)
            )
            persons.append(
                Person(
                    name=f"基准{n}",
                    name_initials="jz",
                    name_pinyin="jizhun",
                    id_number=number,
                    id_number_hash=id_lookup_hash(number),
                    id_number_masked=mask_id_number(number),
                    sex="M" if int(number[16]) % 2 else "F",
                    birth_date=start + dt.timedelta(days=n // 400),
                    county_code=village[:6],
                    township_code=village[:9],
                    village_code=village,
                    synthetic=True,
                )
            )
        Household.objects.bulk_create(households)
        for person, household in zip(persons, households, strict=True):
            person.household = household
        Person.objects.bulk_create(persons)
    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet("低保")
    sheet.append(HEADER_DIBAO)
    for n, number in enumerate(ids):
        sheet.append([number, f"基准{n}", "低保", "2023-01-05", None])
    workbook.save(out / "dibao.xlsx")
    with (out / "pension.csv").open("w", encoding="gb18030", newline="") as fh:
        fh.write(",".join(HEADER_PENSION) + "\r\n")
        for n, number in enumerate(ids):
            fh.write(f"{number},基准{n},2021/7/1,\r\n")


def measure(args: list[str], trace: bool, profile: bool = False) -> None:
    """Run one ``dpf`` command in this process; print seconds and peak memory as JSON
    (with ``profile``, also where the time went: ``dpf.bench.statements``)."""
    import django

    django.setup()
    import tracemalloc

    from django.core.management import call_command

    runner.refuse_real_people()

    if trace:
        tracemalloc.start()
    import dpf.exchange.management.commands.exchange  # noqa: F401  (imports not timed)
    from dpf.bench.statements import timed_statements

    output = __import__("io").StringIO()
    with contextlib.ExitStack() as timing:
        statements = timing.enter_context(timed_statements()) if profile else None
        began = time.perf_counter()
        call_command(*args, stdout=output, stderr=output)
        seconds = time.perf_counter() - began
    peak_rss_kb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    result: dict[str, Any] = {
        "seconds": round(seconds, 2),
        "peak_rss_mb": round(peak_rss_kb / 1024, 1),
        "output": output.getvalue()[-400:],
    }
    if trace:
        result["python_peak_mb"] = round(tracemalloc.get_traced_memory()[1] / 2**20, 1)
    if statements is not None:
        result["profile"] = statements.report()
    print(json.dumps(result, ensure_ascii=False))


def run(rows: int, database: str, trace: bool, *, profile: bool = False) -> dict[str, Any]:
    """Import and commit both rosters of ``rows`` rows on a fresh ``database``."""
    folder = Path(tempfile.mkdtemp(prefix="dpf-bench-exchange."))
    with contextlib.ExitStack() as cleanup:
        cleanup.callback(shutil.rmtree, folder, ignore_errors=True)
        url = cleanup.enter_context(runner.database(database))
        env = {**os.environ, "DATABASE_URL": url, "DPF_DATA_DIR": str(folder)}
        env.pop("DPF_TEST_COMMIT_PAUSE", None)
        # A roster larger than the import limits (300,000 rows, 20 MB, 256 MB unpacked) is
        # measured by raising them for this run only.
        scale = max(1, -(-rows // 300_000))
        env["DPF_IMPORT_MAX_ROWS"] = str(max(300_000, rows + 1))
        env["DPF_IMPORT_MAX_BYTES"] = str(20 * 1024 * 1024 * scale)
        env["DPF_IMPORT_MAX_UNPACKED_BYTES"] = str(256 * 1024 * 1024 * scale)
        _dpf(env, "migrate", "--no-input", "-v0")
        subprocess.run(
            [sys.executable, "-m", "dpf.bench.roster_import", "setup", "--rows", str(rows)],
            env=env,
            check=True,
            cwd=folder,
        )
        results: dict[str, Any] = {"rows": rows, "db": database}
        for roster, name in (("dibao", "dibao.xlsx"), ("pension", "pension.csv")):
            staged = _measure(
                env, "exchange", "import", roster, str(folder / name), "--user", "bench",
                trace=trace,
            )  # fmt: skip
            batch_id = staged["output"].split("batch ", 1)[1].split(":", 1)[0]
            committed = _measure(
                env, "exchange", "commit", batch_id, "--no-rescan", trace=trace, profile=profile
            )
            results[roster] = {
                "file": name,
                "validate": staged,
                "commit": committed,
                "validate_rows_per_s": round(rows / staged["seconds"]),
                "commit_rows_per_s": round(rows / committed["seconds"]),
            }
    return results


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    sub = parser.add_subparsers(dest="step", required=True)
    setup_p = sub.add_parser("setup")
    setup_p.add_argument("--rows", type=int, required=True)
    measure_p = sub.add_parser("measure")
    measure_p.add_argument("--tracemalloc", action="store_true")
    measure_p.add_argument("--profile", action="store_true")
    measure_p.add_argument("command", nargs=argparse.REMAINDER)
    args = parser.parse_args()
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    if args.step == "setup":
        setup(args.rows, Path.cwd())
    else:
        command = [a for a in args.command if a != "--"]
        measure(command, args.tracemalloc, args.profile)


if __name__ == "__main__":
    main()
