"""``dpf scan``: the proactive scan (主动发现) of every benefit over the whole registry.

    dpf scan [--as-of YYYY-MM-DD] [--benefit CODE …] [--incremental] [--json]

Prints progress on stderr and per-benefit counts (eligible, receiving, covered, proposed,
to review) on stdout. A run that died is continued by the next one with the same options.
"""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from dpf.core.errors import DomainError

COLUMNS = ("eligible", "receiving", "covered", "proposed", "to_review", "withdrawn")


class Command(BaseCommand):
    help = "主动发现扫描 / Proactive scan: proposals and reviews for every benefit"

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--as-of", help="YYYY-MM-DD (default: today)")
        parser.add_argument(
            "--benefit", action="append", help="benefit code (repeat for several; default all)"
        )
        parser.add_argument(
            "--incremental",
            action="store_true",
            help="only persons whose facts changed since the last finished scan",
        )
        parser.add_argument("--json", action="store_true", help="print JSON")

    def handle(self, *args: Any, **options: Any) -> None:
        from dpf.benefits import services

        as_of = None
        if options["as_of"]:
            try:
                as_of = dt.date.fromisoformat(options["as_of"])
            except ValueError:
                raise CommandError(
                    "日期格式应为 YYYY-MM-DD / a date is written YYYY-MM-DD", returncode=2
                ) from None
        try:
            run = services.scan(
                as_of=as_of,
                benefit_codes=options["benefit"],
                incremental=options["incremental"],
                progress=lambda message: self.stderr.write(message),
            )
        except DomainError as exc:
            raise CommandError(f"{exc.code}: {exc.bilingual}", returncode=2) from None
        if options["json"]:
            self.stdout.write(
                json.dumps(
                    {
                        "scan": run.pk,
                        "as_of": run.as_of.isoformat(),
                        "mode": run.mode,
                        "counts": run.counts,
                    },
                    ensure_ascii=False,
                )
            )
            return
        self.stdout.write(f"scan #{run.pk} as of {run.as_of} ({run.mode})")
        self.stdout.write(f"{'benefit':<22}" + "".join(f"{c:>11}" for c in COLUMNS))
        for code, counts in run.counts.items():
            self.stdout.write(f"{code:<22}" + "".join(f"{counts[c]:>11}" for c in COLUMNS))
