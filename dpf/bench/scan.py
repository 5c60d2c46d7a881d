"""``dpf bench scan``: the proactive scan of every benefit against per-person evaluation.

``measure`` times the set-based scan of every benefit over the whole registry, then the
same rules evaluated person by person with the Python evaluator on a random sample, and
extrapolates the sample to the registry (time per person × persons). It also checks that
both give the same answers on the sample. Then it changes the facts of about ``changed``
persons set-based, as a roster commit does (``change_facts``), and times the incremental
scan that follows against a full scan of the same state in the same run; that full scan
must find nothing left to add or withdraw (issue 21).
"""

from __future__ import annotations

import datetime as dt
import random
import resource
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from decimal import Decimal
from typing import Any

from django.db import connection, transaction
from django.db.models import Q, QuerySet

from dpf.benefits.eligibility import RulesInForce, eligibility_condition, explain
from dpf.benefits.exclusive import losing_choice, partners
from dpf.benefits.scanning import scan
from dpf.benefits.selectors import all_rules_in_force
from dpf.core.errors import ValidationFailed
from dpf.registry.models import HouseholdStatus, OutsidePayment, Person
from dpf.registry.services import mark_facts_changed


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
    changed_persons: int = 0
    incremental_seconds: float = 0.0
    incremental_moved: int = 0
    full_after_seconds: float = 0.0
    incremental_ratio: float = 0.0
    full_after_changes: int = 0
    counts: dict[str, Any] = field(default_factory=dict)

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


def _peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # KiB on Linux


def change_facts(*, count: int, seed: int, as_of: dt.date) -> int:
    """Change about ``count`` persons' facts the way a roster commit does (set-based rows,
    then ``mark_facts_changed``): the households of a quarter of them go on 低保 a month
    before ``as_of`` (new proposals), and further persons get a work-injury care payment
    from then (which withdraws their living and nursing allowance proposals). Returns the
    number of persons queued for the incremental scan."""
    on = as_of - dt.timedelta(days=30)
    living = Person.objects.filter(death_date__isnull=True)
    ids = list(living.values_list("pk", flat=True))
    chosen = random.Random(seed).sample(ids, min(count, len(ids)))
    del ids
    quarter = chosen[: max(count // 4, 1)]
    households = set(
        Person.objects.filter(pk__in=quarter, household__isnull=False)
        .values_list("household_id", flat=True)
        .distinct()
    )
    households -= set(  # a status starting on or after the date would overlap
        HouseholdStatus.objects.filter(household_id__in=households, valid_from__gte=on)
        .values_list("household_id", flat=True)
        .distinct()
    )
    with transaction.atomic():
        in_force_on = HouseholdStatus.objects.filter(
            Q(valid_to__isnull=True) | Q(valid_to__gte=on), household_id__in=households
        )
        in_force_on.update(valid_to=on - dt.timedelta(days=1))
        HouseholdStatus.objects.bulk_create(
            HouseholdStatus(household_id=h, status="dibao", valid_from=on, source="bench")
            for h in sorted(households)
        )
        members = set(
            Person.objects.filter(household_id__in=households).values_list("pk", flat=True)
        )
        paid = OutsidePayment.objects.filter(
            Q(valid_to__isnull=True) | Q(valid_to__gte=on),
            kind="work_injury_care",
            person_id__in=chosen,
        )
        taken = set(paid.values_list("person_id", flat=True))
        rest = [pk for pk in chosen[len(quarter) :] if pk not in members and pk not in taken]
        rest = rest[: max(count - len(members), 0)]
        OutsidePayment.objects.bulk_create(
            OutsidePayment(
                person_id=pk,
                kind="work_injury_care",
                valid_from=on,
                monthly_amount=Decimal("900.00"),
                source="bench",
            )
            for pk in rest
        )
        return mark_facts_changed(sorted(members | set(rest)))


def _sql_eligible(rules: RulesInForce, persons: QuerySet[Person]) -> QuerySet[Person]:
    """Of ``persons``, those the scan finds eligible, as ``scan_benefit`` does: the rule's
    condition, less those who receive an exclusive partner payment the benefit does not
    beat (择高享受, ``losing_choice``), the step ``explain`` takes for one person."""
    matched = persons.filter(eligibility_condition(rules))
    if not partners(rules.benefit.code):
        return matched
    losing = losing_choice(rules.benefit, rules.as_of, matched)
    return matched.exclude(pk__in=losing.values("pk"))


def _moved(run: Any) -> int:
    return sum(c["proposed"] + c["to_review"] + c["withdrawn"] for c in run.counts.values())


def measure(
    *,
    as_of: dt.date,
    sample: int,
    seed: int,
    say: Callable[[str], None],
    changed: int = 1000,
) -> Measurement:
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

    # ordered, so that a seed draws the same sample whatever index the database scans
    ids = list(Person.objects.order_by("pk").values_list("pk", flat=True))
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
        matched = _sql_eligible(r, Person.objects.filter(pk__in=chosen))
        for pk in matched.values_list("pk", flat=True):
            sql_answers[pk].add(benefit_id)
    disagreements = sum(1 for pk in chosen if python_answers[pk] != sql_answers[pk])
    extrapolated = per_person * persons

    queued = change_facts(count=changed, seed=seed, as_of=as_of) if changed else 0
    say(f"{queued} persons changed; incremental scan …")
    started = time.perf_counter()
    quick = scan(as_of=as_of, incremental=True)
    incremental = time.perf_counter() - started
    say(f"incremental {incremental:.2f} s; full scan of the same state …")
    started = time.perf_counter()
    after = scan(as_of=as_of)
    full_after = time.perf_counter() - started
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
        changed_persons=queued,
        incremental_seconds=round(incremental, 3),
        incremental_moved=_moved(quick),
        full_after_seconds=round(full_after, 2),
        incremental_ratio=round(full_after / incremental, 1) if incremental else 0.0,
        full_after_changes=_moved(after),
        counts=run.counts,
    )
