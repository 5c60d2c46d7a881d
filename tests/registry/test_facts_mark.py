"""Persons' change marks (``FactsMark``): the queue the incremental scan and the indicators
kept current read. One upsert marks any number of persons (the roster commit marks
thousands), a person has one mark, which moves forward, and the migration that moved the
marks off the person row keeps every mark already set, both ways."""

from __future__ import annotations

import datetime as dt

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from dpf.registry.models import FactsMark, Person
from dpf.registry.services import mark_facts_changed
from tests.factories import make_person
from tests.migrating import migrate_latest, migrate_to

pytestmark = pytest.mark.django_db

T0 = dt.datetime(2026, 3, 2, 8, 0, tzinfo=dt.UTC)


def _people(n: int) -> list[Person]:
    return [make_person() for _ in range(n)]


def _marks() -> dict[int, dt.datetime]:
    return dict(FactsMark.objects.values_list("person_id", "changed_at"))


def test_a_mark_is_set_then_moved_forward_never_doubled(regions, time_machine) -> None:
    a, b, c = _people(3)
    FactsMark.objects.all().delete()  # the registrations' own marks
    time_machine.move_to(T0, tick=False)
    assert mark_facts_changed([a.pk, b.pk]) == 2
    assert _marks() == {a.pk: T0, b.pk: T0}
    later = T0 + dt.timedelta(hours=2)
    time_machine.move_to(later, tick=False)
    # a queryset of ids, as the roster commit passes; b again, c for the first time
    assert mark_facts_changed(Person.objects.filter(pk__in=[b.pk, c.pk]).values("pk")) == 2
    assert _marks() == {a.pk: T0, b.pk: later, c.pk: later}
    assert FactsMark.objects.count() == 3
    # compared in the database with times the ORM writes (the scan's "changed since")
    since = Person.objects.filter(facts_mark__changed_at__gt=T0)
    assert set(since.values_list("pk", flat=True)) == {b.pk, c.pk}
    # an id no person has is not marked (and breaks nothing)
    assert mark_facts_changed([max(a.pk, b.pk, c.pk) + 1000]) == 0
    assert mark_facts_changed([]) == 0
    assert _marks() == {a.pk: T0, b.pk: later, c.pk: later}


def test_registering_a_person_marks_them(regions, time_machine) -> None:
    time_machine.move_to(T0, tick=False)
    person = make_person()
    assert _marks()[person.pk] == T0


def test_marking_many_persons_takes_as_many_statements_as_marking_few(regions) -> None:
    people = _people(30)
    counts = []
    for group in (people[:3], people):
        with CaptureQueriesContext(connection) as ctx:
            mark_facts_changed(Person.objects.filter(pk__in=[p.pk for p in group]).values("pk"))
        counts.append(len(ctx.captured_queries))
    assert counts[0] == counts[1] == 1


BEFORE = [("registry", "0013_person_name_bigram_index")]
AFTER = [("registry", "0014_facts_mark")]


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_the_migration_keeps_every_mark_both_ways(regions) -> None:
    marked, unmarked = _people(2)
    try:
        old = migrate_to(BEFORE).get_model("registry", "Person")
        old.objects.filter(pk=marked.pk).update(facts_changed_at=T0)
        old.objects.filter(pk=unmarked.pk).update(facts_changed_at=None)
        migrate_to(AFTER)
        assert {k: v for k, v in _marks().items() if k in (marked.pk, unmarked.pk)} == {
            marked.pk: T0
        }
        FactsMark.objects.filter(pk=marked.pk).update(changed_at=T0 + dt.timedelta(days=1))
        back = migrate_to(BEFORE).get_model("registry", "Person")
        at = dict(back.objects.values_list("pk", "facts_changed_at"))
        assert at[marked.pk] == T0 + dt.timedelta(days=1)
        assert at[unmarked.pk] is None
    finally:
        migrate_latest()
