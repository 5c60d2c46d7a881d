"""``dpf bench rules``: time rules over the whole registry in SQL against the Python
evaluator person by person (the figures of docs/benchmarks.md, section "Rule language")."""

from __future__ import annotations

import datetime as dt
import time
from collections.abc import Callable

from django.db import connection

from dpf.registry.models import Person
from dpf.rules.facts import FACT_RELATIONS, facts_for_person
from dpf.rules.rule import compile_rule

DEFAULT_RULES = {
    "living_allowance": (
        'alive && certificate.valid && household.status == "dibao" && !in_destitute_care'
        ' && !receiving("work_injury_care") && !receiving("orphan_support")'
    ),
    "nursing_allowance": (
        "alive && certificate.valid && certificate.level in [1, 2] && long_term_care_need"
        ' && !in_destitute_care && !receiving("work_injury_care")'
    ),
}


def measure(
    *, as_of: dt.date, sample: int, extra_rules: list[str], say: Callable[[str], None]
) -> None:
    """Count every rule's eligible persons in SQL, then evaluate a sample in Python (one by
    one, and prefetched in one batch), scaled to the registry; ``extra_rules`` are
    ``NAME=TEXT``. Reads only."""
    rules = dict(DEFAULT_RULES)
    for item in extra_rules:
        name, _, text = item.partition("=")
        rules[name] = text
    compiled = {name: compile_rule(text) for name, text in rules.items()}
    total = Person.objects.count()
    say(f"{connection.vendor}, {total:,} persons, as of {as_of}")

    t = time.perf_counter()
    counts = {n: r.filter(Person.objects.all(), as_of).count() for n, r in compiled.items()}
    sql_s = time.perf_counter() - t
    say(f"SQL, all rules over the registry: {sql_s:.2f} s {counts}")

    chosen = list(Person.objects.order_by("pk").values_list("pk", flat=True)[:sample])
    t = time.perf_counter()
    for pk in chosen:
        facts = facts_for_person(Person.objects.get(pk=pk), as_of)
        for r in compiled.values():
            r.evaluate(facts)
    single_s = (time.perf_counter() - t) / max(len(chosen), 1) * total
    say(
        f"Python, one person at a time (person page path): {single_s:.1f} s for the "
        f"registry (from {len(chosen):,} persons); SQL is {single_s / sql_s:.0f}x faster"
    )

    t = time.perf_counter()
    batch = (
        Person.objects.filter(pk__in=chosen)
        .select_related("household")
        .prefetch_related(*FACT_RELATIONS)
    )
    for person in batch:
        facts = facts_for_person(person, as_of)
        for r in compiled.values():
            r.evaluate(facts)
    batch_s = (time.perf_counter() - t) / max(len(chosen), 1) * total
    say(
        f"Python, prefetched in one batch: {batch_s:.1f} s for the registry; "
        f"SQL is {batch_s / sql_s:.0f}x faster"
    )
