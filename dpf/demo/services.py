"""The demo app's writes: generate a synthetic Chifeng registry, create the demo accounts.

Both refuse bad input before writing anything and run in one transaction, so a failure
(or Ctrl-C) leaves the database as it was.
"""

from __future__ import annotations

import datetime as dt
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

from django.conf import settings
from django.contrib.auth.hashers import make_password
from django.db import connection, transaction

from dpf.accounts.backends import DEMO_PASSWORD
from dpf.accounts.models import User
from dpf.core import audit
from dpf.core.bulk import rollback_journal
from dpf.core.inputs import refuse
from dpf.core.models import Region, RegionLevel
from dpf.core.roles import Role
from dpf.demo import population
from dpf.demo.context import DemoContext
from dpf.demo.places import (
    CITY_CODE,
    COUNTIES,
    apportion,
    county_populations,
    ensure_demo_regions,
    mongolian_shares,
    villages_by_county,
)
from dpf.demo.writer import resolve_id_collisions, write_chunk
from dpf.registry.models import Household, Person

MAX_PERSONS = 5_000_000
MAX_SEED = 2**32 - 1
CHUNK = 5_000

Progress = Callable[[int, int, float], None]
# A step after the registry: entitlements, journeys, payment lists, snapshots … (the list
# is ``dpf.demo.management.commands.demo.STEPS``).
Step = Callable[[DemoContext], None]
StepDone = Callable[[str, float, float], None]  # name, wall seconds, CPU seconds
# The demo's history runs from 2021 to this date at the latest: the synthetic registry's
# facts end there (``population.REFERENCE_DATE``, the 14th plan's final evaluation date).
AS_OF_FROM = dt.date(2021, 1, 31)


def check_persons(persons: object) -> int:
    if isinstance(persons, bool) or not isinstance(persons, int):
        raise refuse(
            "demo_persons",
            "人数应为整数",
            "the number of persons must be a whole number",
            "persons",
        )
    if not 1 <= persons <= MAX_PERSONS:
        raise refuse(
            "demo_persons",
            f"人数应在1至{MAX_PERSONS:,}之间",
            f"the number of persons must be 1 to {MAX_PERSONS:,}",
            "persons",
        )
    return persons


def check_seed(seed: object) -> int:
    if isinstance(seed, bool) or not isinstance(seed, int) or not 0 <= seed <= MAX_SEED:
        raise refuse(
            "demo_seed",
            f"随机种子应为0至{MAX_SEED}之间的整数",
            f"the seed must be a whole number from 0 to {MAX_SEED}",
            "seed",
        )
    return seed


def check_as_of(as_of: object) -> dt.date:
    if not isinstance(as_of, dt.date) or isinstance(as_of, dt.datetime):
        raise refuse("demo_as_of", "演示日期应为日期", "the demo's date must be a date", "as_of")
    if not AS_OF_FROM <= as_of <= population.REFERENCE_DATE:
        raise refuse(
            "demo_as_of",
            f"演示日期应在{AS_OF_FROM}至{population.REFERENCE_DATE}之间",
            f"the demo's date must be from {AS_OF_FROM} to {population.REFERENCE_DATE}",
            "as_of",
        )
    return as_of


@dataclass
class GenerationResult:
    skipped: bool = False
    persons: int = 0  # certified disabled people
    relatives: int = 0  # household heads who are not themselves certified
    regions_created: int = 0
    id_clashes_resolved: int = 0
    seconds: float = 0.0
    cpu_seconds: float = 0.0  # this process's CPU time (the wall time on a quiet machine)
    rows: dict[str, int] = field(default_factory=dict)
    as_of: dt.date | None = None


def demo_generate(
    *,
    persons: int,
    seed: int,
    if_empty: bool = False,
    as_of: dt.date = population.REFERENCE_DATE,
    steps: Sequence[Step] = (),
    progress: Progress | None = None,
    step_done: StepDone | None = None,
) -> GenerationResult:
    """Add ``persons`` synthetic certified disabled people (and their households' facts),
    then run ``steps`` (the history up to ``as_of``) in order, in one transaction.

    ``if_empty``: do nothing when the registry already holds anyone. Refused when the
    registry holds real (non-synthetic) people: demo data never mixes with real data.
    On SQLite the transaction runs with a rollback journal when no other connection has
    the database open (``core.bulk.rollback_journal``: its write-ahead log would grow to
    gigabytes and slow every read of the transaction).
    """
    with rollback_journal():
        return _generate(
            persons=persons,
            seed=seed,
            if_empty=if_empty,
            as_of=as_of,
            steps=steps,
            progress=progress,
            step_done=step_done,
        )


@transaction.atomic
def _generate(
    *,
    persons: int,
    seed: int,
    if_empty: bool,
    as_of: dt.date,
    steps: Sequence[Step],
    progress: Progress | None,
    step_done: StepDone | None,
) -> GenerationResult:
    check_persons(persons)
    check_seed(seed)
    check_as_of(as_of)
    began, began_cpu = time.perf_counter(), time.process_time()
    if if_empty and Person.objects.exists():
        return GenerationResult(skipped=True)
    if Person.objects.filter(synthetic=False).exists():
        raise refuse(
            "demo_real_data",
            "数据库中有真实人员数据，拒绝写入演示数据",
            "the database holds real (non-synthetic) persons: refusing to add demo data",
        )
    result = GenerationResult(regions_created=ensure_demo_regions())
    villages = villages_by_county()
    empty = [code for code, rows in villages.items() if not rows]
    if empty:
        raise refuse(
            "demo_no_villages",
            f"以下旗县区没有嘎查村社区：{', '.join(empty)}",
            f"these counties have no villages: {', '.join(empty)}",
        )
    per_county = apportion(persons, county_populations())
    mongolian = mongolian_shares()
    strata = population.Strata(seed)
    source = f"demo:seed={seed}"
    ctx = DemoContext(seed=seed, as_of=as_of)
    counts = ctx.counts
    # A second run into a populated demo database continues the sequences instead of
    # replaying the same people.
    index = Household.objects.count()
    done = 0
    for county in COUNTIES:
        context = population.ChunkContext(
            county=county.code,
            county_name=county.name,
            villages=villages[county.code],
            other_villages=[v for c, rows in villages.items() if c != county.code for v in rows],
            mongolian_share=mongolian[county.code],
        )
        remaining = per_county[county.code]
        while remaining > 0:
            size = min(CHUNK, remaining)
            specs = population.draw_chunk(
                seed=seed, start=index, count=size, context=context, strata=strata
            )
            result.id_clashes_resolved += resolve_id_collisions(specs)
            write_chunk(specs, source=source, counts=counts)
            result.relatives += sum(1 for p in specs if p.head is not None)
            index += size
            remaining -= size
            done += size
            if progress is not None:
                progress(done, persons, time.perf_counter() - began)
    result.persons = done
    _refresh_statistics()
    if step_done is not None:  # the registry is the first step (docs/benchmarks.md)
        step_done("registry", time.perf_counter() - began, time.process_time() - began_cpu)
    audit.record(
        actor=None,
        actor_name="dpf demo generate",
        action="create",
        object_type="demo_registry",
        changes={"persons": done, "relatives": result.relatives, "seed": seed},
    )
    for step in steps:
        started, cpu = time.perf_counter(), time.process_time()
        step(ctx)
        if step_done is not None:
            name = getattr(step, "__name__", str(step))
            step_done(name, time.perf_counter() - started, time.process_time() - cpu)
    ctx.retire_clerks()
    _refresh_statistics()
    result.rows = dict(counts.rows)
    result.as_of = as_of
    result.seconds = time.perf_counter() - began
    result.cpu_seconds = time.process_time() - began_cpu
    return result


def _refresh_statistics() -> None:
    """On PostgreSQL, the planner's statistics of the tables just bulk-written: rows written
    inside a transaction (the tests', or a run the autovacuum has not reached yet) are
    planned as empty tables, and the indicators' nested EXISTS over the registry then ran
    for minutes on 900 persons (tests/demo/test_services_demo.py). ANALYZE reads the rows
    the transaction sees."""
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE")


# --- demo accounts --------------------------------------------------------------------

# Printed on screen and in README/docs: these accounts exist only in a demo database.


@dataclass(frozen=True)
class DemoAccount:
    username: str
    role: str
    region_code: str | None
    institution_code: str = ""


def demo_account_specs() -> list[DemoAccount]:
    """One account per role; the township and village ones sit in 红山区 (150402)."""
    township = (
        Region.objects.filter(code__startswith="150402", level=RegionLevel.TOWNSHIP)
        .order_by("-synthetic", "code")
        .values_list("code", flat=True)
        .first()
    )
    village = (
        Region.objects.filter(code__startswith=township or "150402", level=RegionLevel.VILLAGE)
        .order_by("code")
        .values_list("code", flat=True)
        .first()
    )
    if township is None or village is None:
        raise refuse(
            "demo_regions_missing",
            "红山区下没有苏木乡镇或嘎查村社区",
            "Hongshan (150402) has no township or village",
        )
    return [
        DemoAccount("demo_city_admin", Role.CITY_ADMIN, CITY_CODE),
        DemoAccount("demo_county_hongshan", Role.COUNTY_OFFICER, "150402"),
        DemoAccount("demo_county_songshan", Role.COUNTY_OFFICER, "150404"),
        DemoAccount("demo_township", Role.TOWNSHIP_OFFICER, township),
        DemoAccount("demo_village", Role.VILLAGE_WORKER, village),
        DemoAccount("demo_institution", Role.INSTITUTION_STAFF, CITY_CODE, "DEMO-REHAB-01"),
        DemoAccount("demo_exchange", Role.DEPARTMENT_EXCHANGE, CITY_CODE),
        DemoAccount("demo_employer", Role.EMPLOYER, CITY_CODE, "DEMO-EMPLOYER-01"),
        DemoAccount("demo_volunteer", Role.VOLUNTEER, CITY_CODE),
        DemoAccount("demo_viewer", Role.VIEWER, CITY_CODE),
        DemoAccount("demo_citizen", Role.CITIZEN, None),
    ]


@transaction.atomic
def demo_accounts_create(*, force: bool = False) -> list[DemoAccount]:
    """Create or reset the demo accounts (idempotent). Only in a demo (``DPF_DEMO=1``)."""
    if not (settings.DPF_DEMO or force):
        raise refuse(
            "demo_disabled",
            "仅在演示模式（DPF_DEMO=1）或使用 --force 时创建演示账号",
            "demo accounts are created only in demo mode (DPF_DEMO=1) or with --force",
        )
    ensure_demo_regions()
    specs = demo_account_specs()
    taken = list(
        User.objects.filter(username__in=[s.username for s in specs], demo=False).values_list(
            "username", flat=True
        )
    )
    if taken:
        raise refuse(
            "demo_username_taken",
            f"用户名已被非演示账号使用：{', '.join(taken)}",
            f"usernames already used by non-demo accounts: {', '.join(taken)}",
        )
    # One hash for the shared, published demo password (hashing is deliberately slow).
    encoded = make_password(DEMO_PASSWORD)
    for spec in specs:
        User.objects.update_or_create(
            username=spec.username,
            defaults={
                "role": spec.role,
                "region_id": spec.region_code,
                "institution_code": spec.institution_code,
                "password": encoded,
                "demo": True,
                "is_active": True,
                "is_staff": False,
                "is_superuser": False,
            },
        )
    audit.record(
        actor=None,
        actor_name="dpf demo accounts",
        action="create",
        object_type="demo_accounts",
        changes={"usernames": [s.username for s in specs]},
    )
    return specs
