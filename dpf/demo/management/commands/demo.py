"""``dpf demo``: synthetic Chifeng data and demo accounts.

dpf demo generate --persons N --seed S [--if-empty] [--as-of YYYY-MM-DD]
dpf demo accounts [--force]          (only with DPF_DEMO=1 unless --force)
"""

from __future__ import annotations

import argparse
import datetime as dt
import resource
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from dpf.core.errors import DomainError
from dpf.demo import (
    applications,
    casework,
    child_rehab,
    employment_records,
    graduates,
    history,
    journeys,
    legal_aid,
    medical,
    monthly,
    service_more,
    service_records,
    services,
    social_records,
    training,
)

# What the demo builds after the registry, in order. A domain adds its generator here as
# one line (``dpf/demo/<domain>.py``: ``def step(ctx: DemoContext) -> None``) before the
# snapshots, which must come last to count everything.
STEPS: list[services.Step] = [
    journeys.journeys,  # applications through the approval chain (the real services)
    history.entitlements_bulk,  # everyone else's allowance periods since 2016
    monthly.payment_lists,  # the counties' payment lists of the last months
    # The applications behind the periods, by channel (T0604): after the lists, which hold
    # no months before the last quarter, so an approved period is not paid 24 months of
    # arrears for them (payments._apply_arrears reads the months paid).
    applications.applications,
    service_records.rehabilitation,  # institutions, rehabilitation, family doctors (P7)
    child_rehab.child_rehabilitation,  # children's approved assistance and plans (T0303)
    service_more.renovations,  # home accessibility renovations (I11)
    service_more.schooling,  # children of 6-15 not in school, followed (I08)
    service_more.care,  # care placements (托养)
    social_records.volunteers_and_organisations,  # volunteers and organisations (T0506-8)
    social_records.facilities_and_culture,  # service facilities, culture and sport activities
    legal_aid.legal_aid_referrals,  # legal aid referrals and the centres' answers
    casework.casework,  # complaints, petitions and 12385 calls with deadlines (T0704)
    employment_records.employment,  # employment facts, assisted employment, posts (issue 19)
    graduates.graduates,  # college graduates' files and support actions (after employment)
    training.training,  # vocational training courses, trainees, completions (I02)
    medical.medical_settlements,  # medical bills, large ones for the risk monitoring
    monthly.snapshots,  # indicator snapshots, every month end from 2021-01
]


def _whole_number(text: str) -> int:
    try:
        return int(text.replace(",", "").replace("_", ""))
    except ValueError:
        raise argparse.ArgumentTypeError(f"应为整数 / must be a whole number: {text!r}") from None


def _persons(text: str) -> int:
    value = _whole_number(text)
    try:
        return services.check_persons(value)
    except DomainError as exc:
        raise argparse.ArgumentTypeError(exc.bilingual) from None


def _as_of(text: str) -> dt.date:
    try:
        day = dt.date.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"日期无效 / not a date (YYYY-MM-DD): {text!r}") from None
    try:
        return services.check_as_of(day)
    except DomainError as exc:
        raise argparse.ArgumentTypeError(exc.bilingual) from None


def _seed(text: str) -> int:
    value = _whole_number(text)
    try:
        return services.check_seed(value)
    except DomainError as exc:
        raise argparse.ArgumentTypeError(exc.bilingual) from None


def _step_peak_mb() -> float | None:
    """The resident memory's high-water mark since the last call (the process's start at
    the first), in MB, then reset: Linux's ``VmHWM``, reset by writing 5 to
    ``/proc/self/clear_refs``. None where the system has no such files."""
    try:
        with open("/proc/self/status", encoding="ascii") as status:
            kib = next(int(line.split()[1]) for line in status if line.startswith("VmHWM:"))
        with open("/proc/self/clear_refs", "w", encoding="ascii") as refs:
            refs.write("5")
    except (OSError, StopIteration, ValueError, IndexError):
        return None
    return kib / 1024


class Command(BaseCommand):
    help = "演示数据与演示账号 / Synthetic demo data and demo accounts"

    def add_arguments(self, parser: CommandParser) -> None:
        sub = parser.add_subparsers(dest="action", required=True)
        gen = sub.add_parser(
            "generate", help="生成虚构的赤峰市残疾人数据 / generate a synthetic Chifeng registry"
        )
        gen.add_argument("--persons", type=_persons, required=True, help="持证残疾人人数")
        gen.add_argument("--seed", type=_seed, required=True, help="随机种子 / random seed")
        gen.add_argument(
            "--as-of",
            dest="as_of",
            type=_as_of,
            default=services.population.REFERENCE_DATE,
            help="演示日期：历史截至此日 / the demo's date: the history ends there",
        )
        gen.add_argument(
            "--if-empty",
            action="store_true",
            dest="if_empty",
            help="已有人员数据时不做任何事 / do nothing when persons exist",
        )
        gen.add_argument(
            "--background",
            action="store_true",
            help="交给后台作业进程运行（dpf worker）/ queue it as a job for the worker",
        )
        acc = sub.add_parser("accounts", help="创建演示账号 / create the demo accounts")
        acc.add_argument(
            "--force", action="store_true", help="不在演示模式也创建 / create outside demo mode"
        )

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            if options["action"] == "generate":
                self._generate(options)
            else:
                self._accounts(options)
        except DomainError as exc:
            raise CommandError(f"{exc.message_zh} / {exc.message_en}") from None

    def _generate(self, options: dict[str, Any]) -> None:
        if options.get("background"):
            self._queue(options)
            return

        def progress(done: int, total: int, seconds: float) -> None:
            rate = done / seconds if seconds > 0 else 0.0
            self.stdout.write(
                f"  已生成 generated {done:,} / {total:,} 人 persons ({rate:,.0f} 人/秒 persons/s)"
            )

        highest = [0.0]

        def step_done(name: str, seconds: float, cpu: float) -> None:
            # The step's own peak where Linux can reset the mark between steps (the step
            # that holds rows in memory is the one whose peak grows with the registry:
            # docs/benchmarks.md, "Demo generation"), and the process's peak so far: the
            # highest of the steps' own peaks, since once the mark is reset getrusage's
            # maximum no longer covers the earlier steps (and, read apart from the mark,
            # could fall a megabyte below the step's own). Elsewhere getrusage's (KiB).
            own = _step_peak_mb()
            if own is None:
                peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
            else:
                highest[0] = max(highest[0], own)
                peak = highest[0]
            mine = f"this step {own:,.0f} MB, " if own is not None else ""
            self.stdout.write(
                f"  {name}: {seconds:,.1f} 秒 s (CPU {cpu:,.1f} s; "
                f"峰值内存 peak memory: {mine}so far {peak:,.0f} MB)"
            )

        result = services.demo_generate(
            persons=options["persons"],
            seed=options["seed"],
            if_empty=options["if_empty"],
            as_of=options["as_of"],
            steps=STEPS,
            progress=progress,
            step_done=step_done,
        )
        if result.skipped:
            self.stdout.write("已有人员数据，未生成 / persons already exist: nothing generated")
            return
        rate = result.persons / result.seconds if result.seconds else 0.0
        self.stdout.write(
            self.style.SUCCESS(
                f"完成 done: {result.persons:,} 名持证残疾人 certified persons, "
                f"{result.relatives:,} 名户主亲属 relatives, "
                f"{result.regions_created:,} 个虚构地区 invented regions, "
                f"历史截至 history to {result.as_of}, "
                f"{result.seconds:,.1f} 秒 s ({rate:,.0f} 人/秒 persons/s; "
                f"CPU {result.cpu_seconds:,.1f} s)"
            )
        )
        for table, n in sorted(result.rows.items()):
            self.stdout.write(f"  {table:<32} {n:>10,}")

    def _queue(self, options: dict[str, Any]) -> None:
        """The same generation as a job (kind ``demo.generate``, with ``--if-empty``): the
        worker runs it; the schedules page lists it with its progress and result."""
        from dpf.jobs.services import job_start

        job, started = job_start(
            actor=None,
            kind="demo.generate",
            key="demo.generate",
            params={
                "persons": options["persons"],
                "seed": options["seed"],
                "as_of": options["as_of"].isoformat(),
            },
        )
        said = "已排队 queued" if started else "已在运行，未重复 already running, joined"
        self.stdout.write(f"作业 job #{job.pk} ({said}): /jobs/{job.pk}/")

    def _accounts(self, options: dict[str, Any]) -> None:
        accounts = services.demo_accounts_create(force=options["force"])
        self.stdout.write(
            self.style.WARNING("演示账号 / DEMO ONLY — 切勿用于生产 / never in production")
        )
        header = f"{'用户名 username':<24}{'角色 role':<22}{'地区 region':<16}{'密码 password'}"
        self.stdout.write(header)
        self.stdout.write("-" * 78)
        portal_accounts = {"demo_citizen", "demo_guardian"}  # printed below, once
        for account in accounts:
            if account.username in portal_accounts:
                continue
            self.stdout.write(
                f"{account.username:<24}{account.role:<22}{account.region_code or '-':<16}"
                f"{services.DEMO_PASSWORD}"
            )
        self.stdout.write(
            f"演示账号 / DEMO ONLY: {len(accounts)} accounts, password {services.DEMO_PASSWORD}"
        )
        from dpf.portal.demo import (  # the portal links citizens to persons
            DEMO_CITIZEN,
            DEMO_GUARDIAN,
            demo_citizens_link,
        )

        # Each portal account once, with the person it is linked to (the staff loop above
        # skips them); a portal account that could not be linked is said so, not left out.
        linked = dict(demo_citizens_link(services.DEMO_PASSWORD))
        for username in (DEMO_CITIZEN, DEMO_GUARDIAN):
            where = (
                f"（门户 portal /portal/ · {linked[username]}）"
                if username in linked
                else "（未创建：演示数据中没有可关联的人员 / not created: no person to link）"
            )
            self.stdout.write(
                f"{username:<24}{'citizen':<22}{'-':<16}{services.DEMO_PASSWORD}  {where}"
            )
        from dpf.portal.messaging import outbox_path

        self.stdout.write(
            f"演示短信验证码写入 {outbox_path()}（不发送）/ demo SMS codes are written to "
            f"{outbox_path()}, never sent"
        )
