"""``dpf benefits``: demo enrolment (the scan's benchmark is ``dpf bench scan``).

    dpf benefits enrol-demo [--as-of DATE] [--share 80] [--benefit CODE …]

``enrol-demo`` refuses a registry holding any real (non-synthetic) person.
"""

from __future__ import annotations

import datetime as dt
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
    help = "惠残事项：演示数据 / Benefits: demo enrolment"

    def add_arguments(self, parser: CommandParser) -> None:
        sub = parser.add_subparsers(dest="action", required=True)
        enrol = sub.add_parser("enrol-demo", help="enrol a share of eligible synthetic people")
        enrol.add_argument("--as-of")
        enrol.add_argument("--share", type=int, default=80, help="percent of the eligible")
        enrol.add_argument("--benefit", action="append", help=f"default: {DEMO_BENEFITS}")

    def handle(self, *args: Any, **options: Any) -> None:
        from dpf.benefits.demo import enrol_demo

        try:
            created = enrol_demo(
                as_of=_date(options["as_of"]),
                share_percent=options["share"],
                codes=options["benefit"] or DEMO_BENEFITS,
            )
        except DomainError as exc:
            raise CommandError(f"{exc.code}: {exc.bilingual}", returncode=2) from None
        for code, n in created.items():
            self.stdout.write(f"{code}: {n} entitlements")
