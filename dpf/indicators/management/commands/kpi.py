"""``dpf kpi``: indicators as of a date.

dpf kpi --as-of 2025-12-31 [--region 150402] [--plan P14] [--json]   compute and print
dpf kpi snapshot --as-of 2025-12-31                                   compute and store
dpf kpi snapshot --monthly --from 2021-01-01 --to 2025-12-31          the monthly schedule
dpf kpi load-plan FILE.json [--replace]                               add a plan (e.g. the 15th)
"""

from __future__ import annotations

import datetime as dt
import json
import sys
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from dpf.core.dates import local_today
from dpf.core.errors import ValidationFailed
from dpf.core.regions import root_code
from dpf.indicators import compute, services
from dpf.indicators.models import Plan
from dpf.indicators.plandefs import parse_plan_file


def _date(text: str) -> dt.date:
    try:
        return dt.date.fromisoformat(text)
    except ValueError:
        raise CommandError(f"日期无效 / not a date: {text!r} (YYYY-MM-DD)") from None


class Command(BaseCommand):
    help = "指标计算与快照 / Indicators as of a date"

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "action", nargs="?", default="show", choices=["show", "snapshot", "load-plan"]
        )
        parser.add_argument("file", nargs="?", type=Path)
        parser.add_argument("--as-of", dest="as_of", type=_date)
        parser.add_argument("--region", default=None)
        parser.add_argument("--plan", default=None, help="plan code (default: the latest)")
        parser.add_argument("--json", action="store_true")
        parser.add_argument("--monthly", action="store_true")
        parser.add_argument("--from", dest="date_from", type=_date)
        parser.add_argument("--to", dest="date_to", type=_date)
        parser.add_argument("--replace", action="store_true")

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            if options["action"] == "load-plan":
                self._load(options)
                return
            plan = self._plan(options["plan"])
            if options["action"] == "snapshot":
                self._snapshot(plan, options)
            else:
                self._show(plan, options)
        except ValidationFailed as exc:
            raise CommandError(exc.bilingual) from None

    def _plan(self, code: str | None) -> Plan:
        plans = Plan.objects.order_by("-start")
        plan = plans.filter(code=code).first() if code else plans.first()
        if plan is None:
            raise CommandError(f"规划不存在 / no such plan: {code or '(none loaded)'}")
        return plan

    def _load(self, options: dict[str, Any]) -> None:
        path: Path | None = options["file"]
        if path is None:
            raise CommandError("请给出规划文件 / give the plan file")
        try:
            content = path.read_bytes()
        except OSError as exc:
            raise CommandError(
                f"无法读取规划文件 / cannot read the plan file: {exc.__class__.__name__}"
            ) from None
        # The checks of the upload page: size, UTF-8, JSON (however deep), one object.
        data = parse_plan_file(content)
        plan = services.plan_load(actor=None, data=data, replace=options["replace"])
        self.stdout.write(f"loaded plan {plan.code}: {plan.indicators.count()} indicators")

    def _snapshot(self, plan: Plan, options: dict[str, Any]) -> None:
        if options["monthly"]:
            start = options["date_from"] or plan.start
            end = options["date_to"] or min(local_today(), plan.end)
            dates = services.month_ends(start, end)
        else:
            dates = [options["as_of"] or local_today()]
        for day in dates:
            run = services.snapshot_store(plan=plan, as_of=day)
            self.stdout.write(f"{day}: {run.snapshots.count()} snapshot rows")

    def _show(self, plan: Plan, options: dict[str, Any]) -> None:
        as_of = options["as_of"] or local_today()
        region = options["region"] or root_code()
        results = [
            r for r in compute.compute(plan, as_of, region_code=region) if r.region_code == region
        ]
        if not results:
            raise CommandError(f"地区不存在 / unknown region: {region}")
        payload = {
            "as_of": as_of.isoformat(),
            "plan": plan.code,
            "region": region,
            "indicators": [r.as_dict() for r in results],
        }
        if options["json"]:
            self.stdout.write(json.dumps(payload, ensure_ascii=False))
            return
        for r in results:
            d = r.as_dict()
            line = f"{d['code']:6} {d['name']:<24} {d['value']!s:>10} "
            target = "—" if d["target"] is None else d["target"]
            self.stdout.write(line + f"{d['comparison']} {target!s:<8} {d['status']}")
        sys.stdout.flush()
