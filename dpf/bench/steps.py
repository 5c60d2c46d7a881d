"""Measured steps, each run inside a child process bound to the benchmark database.

Each returns a JSON-able dict; ``dpf bench step NAME`` prints it as the last line.
"""

from __future__ import annotations

import datetime as dt
import statistics
import time
from collections.abc import Callable
from typing import Any

from django.db import connection

REPEAT = 3


def _timed(fn: Callable[[], Any], repeat: int = REPEAT) -> tuple[float, Any]:
    """Median wall time of ``repeat`` calls, and the last call's result."""
    times: list[float] = []
    result: Any = None
    for _ in range(repeat):
        start = time.perf_counter()
        result = fn()
        times.append(time.perf_counter() - start)
    return statistics.median(times), result


def full_scan_seconds(repeat: int = REPEAT) -> float:
    """One full read of the persons table (every row touched), the yardstick of the ratios."""

    def scan() -> int:
        with connection.cursor() as cur:
            cur.execute(
                "SELECT COUNT(*), SUM(LENGTH(name)), MAX(birth_date), "
                "SUM(CASE WHEN death_date IS NULL THEN 1 ELSE 0 END) FROM registry_person"
            )
            row = cur.fetchone()
        return int(row[0]) if row else 0

    seconds, _ = _timed(scan, repeat)
    return seconds


def step_size() -> dict[str, Any]:
    from dpf.registry.models import Person

    persons = Person.objects.count()
    if connection.vendor == "postgresql":
        with connection.cursor() as cur:
            cur.execute("SELECT pg_database_size(current_database())")
            total = int(cur.fetchone()[0])
    else:
        with connection.cursor() as cur:
            cur.execute("PRAGMA page_count")
            pages = int(cur.fetchone()[0])
            cur.execute("PRAGMA page_size")
            total = pages * int(cur.fetchone()[0])
    return {
        "persons": persons,
        "bytes": total,
        "mb_per_100k": round(total / 2**20 / max(persons, 1) * 100_000, 1),
    }


def step_kpi(as_of: dt.date) -> dict[str, Any]:
    """All indicators of the latest plan for one date, against one full scan; then the
    month's snapshot stored twice, rolled forward from the previous month end's maintained
    snapshot (``refresh.roll_forward``) and computed in full (once each: a roll needs its
    base stored again first)."""
    from dpf.indicators import compute, services
    from dpf.indicators.models import Plan

    plan = Plan.objects.order_by("-start").first()
    assert plan is not None
    compute_seconds, results = _timed(lambda: compute.compute(plan, as_of))
    scan_seconds = full_scan_seconds()
    previous = as_of.replace(day=1) - dt.timedelta(days=1)
    base = services.snapshot_store(plan=plan, as_of=previous, maintain=True, roll=False)
    roll_seconds, rolled = _timed(lambda: services.snapshot_store(plan=plan, as_of=as_of), 1)
    store_seconds, _ = _timed(
        lambda: services.snapshot_store(plan=plan, as_of=as_of, roll=False), 1
    )

    def ratio(seconds: float) -> float | None:
        return round(seconds / scan_seconds, 1) if scan_seconds else None

    return {
        "indicators": plan.indicators.count(),
        "regions": len({r.region_code for r in results}),
        "compute_seconds": round(compute_seconds, 3),
        "full_scan_seconds": round(scan_seconds, 3),
        "ratio": ratio(compute_seconds),
        "roll_from": str(previous),
        "rolled": rolled.pk == base.pk,
        "roll_evaluated": rolled.evaluated,
        "roll_seconds": round(roll_seconds, 3),
        "roll_ratio": ratio(roll_seconds),
        "store_seconds": round(store_seconds, 3),
    }


def step_paths() -> dict[str, Any]:
    """Request paths for the load tests, sampled from the registry (a county's persons)."""
    import random
    import urllib.parse

    from dpf.registry.models import Person

    rng = random.Random(7)
    ids = list(
        Person.objects.filter(county_code="150402")
        .order_by("pk")
        .values_list("pk", flat=True)[:20000]
    )
    sample = rng.sample(ids, min(200, len(ids)))
    people = list(
        Person.objects.filter(pk__in=sample).only("pk", "name", "name_initials", "id_number")
    )

    def get(q: str) -> str:
        return "/registry/?" + urllib.parse.urlencode({"q": q})

    def lookup(q: str) -> str:
        return f"POST /registry/lookup/ {urllib.parse.urlencode({'q': q})}"

    return {
        "id": [f"POST /registry/ {urllib.parse.urlencode({'q': p.id_number})}" for p in people],
        "name": [get(p.name) for p in people],
        "pinyin": [get(p.name_initials) for p in people],
        "person": [f"/registry/person/{p.pk}/" for p in people],
        "dashboard": ["/indicators/"],
        # The search box's look-up as a worker types: the whole number, the whole name, its
        # first two characters (no trigram: the broadest), the pinyin initials.
        "lookup id": [lookup(p.id_number) for p in people],
        "lookup name": [lookup(p.name) for p in people],
        "lookup name, 2 characters": [lookup(p.name[:2]) for p in people],
        "lookup pinyin": [lookup(p.name_initials) for p in people],
        "plans": _lookup_plans([p.name for p in people]),
    }


def _lookup_plans(names: list[str]) -> dict[str, str]:
    """PostgreSQL's plan of the look-up's id query for a name of three characters and for
    one of two, as the search user (the scope's region condition beside the name's)."""
    if connection.vendor != "postgresql":
        return {}
    from dpf.accounts.models import User
    from dpf.bench.suite import SEARCH_USER
    from dpf.registry.search_selectors import LOOKUP_LIMIT, ORDER, _matching

    user = User.objects.get(username=SEARCH_USER)
    plans = {}
    for label, name in (
        ("3 characters", next((n for n in names if len(n) >= 3), names[0])),
        ("2 characters", names[0][:2]),
    ):
        _, matching = _matching(user, "name", name, None)
        plans[label] = matching.order_by(*ORDER).values("pk")[: LOOKUP_LIMIT + 1].explain()
    return plans


def step_scan(as_of: dt.date) -> dict[str, Any]:
    """The proactive scan of every benefit, set-based, against the Python evaluator on a
    sample (extrapolated) and, on PostgreSQL, against DuckDB over Parquet copies."""
    from dpf.bench.scan import measure
    from dpf.benefits.eligibility import eligibility_condition
    from dpf.benefits.selectors import all_rules_in_force
    from dpf.registry.models import Person

    result = measure(as_of=as_of, sample=400, seed=1, say=lambda _msg: None).as_dict()
    result.pop("counts", None)
    if connection.vendor == "postgresql":
        from dpf.bench import duck

        statements = []
        for rules in all_rules_in_force(as_of).values():
            qs = Person.objects.filter(eligibility_condition(rules)).values("pk")
            sql, params = qs.query.sql_with_params()
            statements.append((sql, list(params)))
        try:
            result["duckdb"] = duck.compare(statements)
        except Exception as exc:  # noqa: BLE001 - a dialect gap is reported, not fatal
            result["duckdb"] = {"error": f"{type(exc).__name__}: {str(exc)[:200]}"}
        try:
            result["duckdb_materialised"] = _duck_materialised(as_of)
        except Exception as exc:  # noqa: BLE001 - a dialect gap is reported, not fatal
            result["duckdb_materialised"] = {"error": f"{type(exc).__name__}: {str(exc)[:200]}"}
    return result


def _duck_materialised(as_of: dt.date) -> dict[str, Any]:
    """What the scan runs: the facts of the date materialised once, then every benefit's
    condition over that table; the same statements on DuckDB."""
    from dpf.bench import duck
    from dpf.benefits.eligibility import eligibility_condition, rules_of
    from dpf.benefits.selectors import all_rules_in_force
    from dpf.rules import materialise

    in_force = all_rules_in_force(as_of)
    roots = [r.root for rules in in_force.values() for r in rules_of(rules)]
    with materialise.facts_in_force(as_of, roots) as facts:
        statements = []
        for rules in in_force.values():
            qs = facts.queryset().filter(eligibility_condition(rules, facts)).values("pk")
            sql, params = qs.query.sql_with_params()
            statements.append((sql, list(params)))
    create = materialise.create_statement(as_of, materialise.calls_of(roots))
    drop = f'DROP TABLE IF EXISTS "{materialise.TABLE}"'
    return duck.compare(statements, setup=[(drop, []), create], teardown=[drop])


def step_staff(sessions: int, *, production: bool = False) -> dict[str, Any]:
    """Bench staff accounts, applications waiting for them, and the load scenario."""
    from dpf.bench import staff

    return staff.step_staff(sessions, production=production)


def step_load_check() -> dict[str, Any]:
    from dpf.bench import staff

    return staff.step_load_check()


STEPS: dict[str, Callable[..., dict[str, Any]]] = {
    "scan": step_scan,
    "paths": step_paths,
    "size": step_size,
    "kpi": step_kpi,
    "staff": step_staff,
    "load-check": step_load_check,
}
