"""``dpf bench scan``: the proactive scan of every benefit against per-person evaluation.

``measure`` times the set-based scan of every benefit over the whole registry, then the
same rules evaluated person by person with the Python evaluator on a random sample, and
extrapolates the sample to the registry (time per person × persons). It also checks that
both give the same answers on the sample.
"""

from __future__ import annotations

import datetime as dt
import random
import resource
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from typing import Any

from django.db import connection

from dpf.benefits.eligibility import eligibility_condition, explain
from dpf.benefits.scanning import scan
from dpf.benefits.selectors import all_rules_in_force
from dpf.core.errors import ValidationFailed
from dpf.registry.models import Person


@dataclass
class Measurement:
    persons: int
    database: str
    as_of: str
    benefits: int
    scan_seconds: float
    second_scan_seconds: float
    proposed: int
    to_review: int
    sample: int
    sample_seconds: float
    per_person_ms: float
    extrapolated_python_seconds: float
    ratio: float
    disagreements: int
    peak_rss_mb: float
    counts: dict[str, Any] = field(default_factory=dict)

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


def _peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # KiB on Linux


def measure(*, as_of: dt.date, sample: int, seed: int, say: Callable[[str], None]) -> Measurement:
    persons = Person.objects.count()
    if persons == 0:
        raise ValidationFailed("empty", "登记库为空", "the registry is empty", field=None)
    say(f"{persons} persons on {connection.vendor}; full scan …")
    started = time.perf_counter()
    run = scan(as_of=as_of, progress=say)
    scan_seconds = time.perf_counter() - started
    say(f"scan {scan_seconds:.1f} s; second (idempotent) scan …")
    started = time.perf_counter()
    scan(as_of=as_of)
    second = time.perf_counter() - started

    ids = list(Person.objects.values_list("pk", flat=True))
    chosen = random.Random(seed).sample(ids, min(sample, len(ids)))
    del ids
    rules = all_rules_in_force(as_of)
    say(f"Python evaluator on a sample of {len(chosen)} persons …")
    from dpf.rules import facts_for_person

    python_answers: dict[int, set[int]] = {pk: set() for pk in chosen}
    started = time.perf_counter()
    for person in Person.objects.filter(pk__in=chosen).iterator(chunk_size=500):
        facts = facts_for_person(person, as_of)
        for benefit_id, r in rules.items():
            if explain(r, facts, person.county_code).eligible:
                python_answers[person.pk].add(benefit_id)
    sample_seconds = time.perf_counter() - started
    per_person = sample_seconds / max(len(chosen), 1)

    sql_answers: dict[int, set[int]] = {pk: set() for pk in chosen}
    for benefit_id, r in rules.items():
        matched = Person.objects.filter(eligibility_condition(r), pk__in=chosen)
        for pk in matched.values_list("pk", flat=True):
            sql_answers[pk].add(benefit_id)
    disagreements = sum(1 for pk in chosen if python_answers[pk] != sql_answers[pk])
    extrapolated = per_person * persons
    return Measurement(
        persons=persons,
        database=connection.vendor,
        as_of=as_of.isoformat(),
        benefits=len(rules),
        scan_seconds=round(scan_seconds, 2),
        second_scan_seconds=round(second, 2),
        proposed=sum(c["proposed"] for c in run.counts.values()),
        to_review=sum(c["to_review"] for c in run.counts.values()),
        sample=len(chosen),
        sample_seconds=round(sample_seconds, 2),
        per_person_ms=round(per_person * 1000, 3),
        extrapolated_python_seconds=round(extrapolated, 1),
        ratio=round(extrapolated / scan_seconds, 1) if scan_seconds else 0.0,
        disagreements=disagreements,
        peak_rss_mb=round(_peak_rss_mb(), 1),
        counts=run.counts,
    )
