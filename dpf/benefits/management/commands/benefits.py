"""``dpf benefits``: demo enrolment and the scan benchmark.

    dpf benefits enrol-demo [--as-of DATE] [--share 80] [--benefit CODE …]
    dpf benefits bench [--as-of DATE] [--sample 2000] [--seed 1] [--json]

``enrol-demo`` refuses a registry holding any real (non-synthetic) person. ``bench`` runs
the full scan (it writes the worker's queue like ``dpf scan``): use it on a benchmark
database (``DATABASE_URL=…``), never on production.
"""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils import timezone

from dpf.core.errors import DomainError

DEMO_BENEFITS = ["living_allowance", "nursing_allowance", "child_rehab", "device_subsidy"]


def _date(raw: str | None) -> dt.date:
    if not raw:
        return timezone.localdate()
    try:
        return dt.date.fromisoformat(raw)
    except ValueError:
        raise CommandError("日期格式应为 YYYY-MM-DD / a date is YYYY-MM-DD", returncode=2) from None


class Command(BaseCommand):
    help = "惠残事项：演示数据与扫描基准 / Benefits: demo enrolment and the scan benchmark"

    def add_arguments(self, parser: CommandParser) -> None:
        sub = parser.add_subparsers(dest="action", required=True)
        enrol = sub.add_parser("enrol-demo", help="enrol a share of eligible synthetic people")
        enrol.add_argument("--as-of")
        enrol.add_argument("--share", type=int, default=80, help="percent of the eligible")
        enrol.add_argument("--benefit", action="append", help=f"default: {DEMO_BENEFITS}")
        bench = sub.add_parser("bench", help="time the scan against per-person evaluation")
        bench.add_argument("--as-of")
        bench.add_argument("--sample", type=int, default=2000)
        bench.add_argument("--seed", type=int, default=1)
        bench.add_argument("--json", action="store_true")

    def handle(self, *args: Any, **options: Any) -> None:
        from dpf.benefits import bench

        as_of = _date(options["as_of"])
        try:
            if options["action"] == "enrol-demo":
                created = bench.enrol_demo(
                    as_of=as_of,
                    share_percent=options["share"],
                    codes=options["benefit"] or DEMO_BENEFITS,
                )
                for code, n in created.items():
                    self.stdout.write(f"{code}: {n} entitlements")
                return
            result = bench.measure(
                as_of=as_of,
                sample=options["sample"],
                seed=options["seed"],
                say=lambda message: self.stderr.write(message),
            )
        except DomainError as exc:
            raise CommandError(f"{exc.code}: {exc.bilingual}", returncode=2) from None
        if options["json"]:
            self.stdout.write(json.dumps(result.as_dict(), ensure_ascii=False))
            return
        for key, value in result.as_dict().items():
            if key != "counts":
                self.stdout.write(f"{key}: {value}")
