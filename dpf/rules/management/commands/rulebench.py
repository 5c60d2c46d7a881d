"""``dpf rulebench``: time rules over the whole registry in SQL against the Python evaluator
person by person (the figures of docs/benchmarks.md, section "Rule language")."""

from __future__ import annotations

import datetime as dt
import time
from typing import Any

from django.core.management.base import BaseCommand, CommandParser
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


class Command(BaseCommand):
    help = "规则引擎计时 / time the rule engine: SQL over the registry against Python per person"

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--as-of", default="2025-12-31", help="YYYY-MM-DD")
        parser.add_argument(
            "--sample", type=int, default=2000, help="persons evaluated one by one in Python"
        )
        parser.add_argument("--rule", action="append", default=[], help="NAME=TEXT (repeatable)")

    def handle(self, *args: Any, **opts: Any) -> None:
        as_of = dt.date.fromisoformat(opts["as_of"])
        rules = dict(DEFAULT_RULES)
        for item in opts["rule"]:
            name, _, text = item.partition("=")
            rules[name] = text
        compiled = {name: compile_rule(text) for name, text in rules.items()}
        total = Person.objects.count()
        self.stdout.write(f"{connection.vendor}, {total:,} persons, as of {as_of}")

        t = time.perf_counter()
        counts = {n: r.filter(Person.objects.all(), as_of).count() for n, r in compiled.items()}
        sql_s = time.perf_counter() - t
        self.stdout.write(f"SQL, all rules over the registry: {sql_s:.2f} s {counts}")

        sample = list(Person.objects.order_by("pk").values_list("pk", flat=True)[: opts["sample"]])
        t = time.perf_counter()
        for pk in sample:
            facts = facts_for_person(Person.objects.get(pk=pk), as_of)
            for r in compiled.values():
                r.evaluate(facts)
        single_s = (time.perf_counter() - t) / max(len(sample), 1) * total
        self.stdout.write(
            f"Python, one person at a time (person page path): {single_s:.1f} s for the "
            f"registry (from {len(sample):,} persons); SQL is {single_s / sql_s:.0f}x faster"
        )

        t = time.perf_counter()
        batch = (
            Person.objects.filter(pk__in=sample)
            .select_related("household")
            .prefetch_related(*FACT_RELATIONS)
        )
        for person in batch:
            facts = facts_for_person(person, as_of)
            for r in compiled.values():
                r.evaluate(facts)
        batch_s = (time.perf_counter() - t) / max(len(sample), 1) * total
        self.stdout.write(
            f"Python, prefetched in one batch: {batch_s:.1f} s for the registry; "
            f"SQL is {batch_s / sql_s:.0f}x faster"
        )
