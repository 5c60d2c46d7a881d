"""Duplicate suspects: found by name, birth date and village; merged with history kept,
or marked distinct; an overlapping merge is refused and moves nothing."""

from __future__ import annotations

import datetime as dt

import pytest

from dpf.core.errors import DomainError
from dpf.core.models import AuditEntry
from dpf.exchange import selectors, services
from dpf.exchange.models import DuplicateSuspect, SuspectKind, SuspectStatus
from dpf.registry import services as registry
from dpf.registry.models import Certificate, InsuranceEnrolment, Person, Residence
from tests.factories import make_person

pytestmark = pytest.mark.django_db

D = dt.date


@pytest.fixture
def twins(county_officer):
    a = make_person(actor=county_officer, name="张海明", birth=D(1980, 5, 17))
    b = make_person(actor=county_officer, name="张海明", birth=D(1980, 5, 17))
    make_person(actor=county_officer, name="张海明", birth=D(1980, 5, 18))  # other birthday
    make_person(  # other village
        actor=county_officer, name="张海明", birth=D(1980, 5, 17), village_code="150402001002"
    )
    return a, b


def test_same_name_birth_and_village_are_listed_once(county_officer, twins) -> None:
    a, b = twins
    assert services.duplicates_find(actor=county_officer) == 1
    assert services.duplicates_find(actor=county_officer) == 0  # not listed twice
    suspect = DuplicateSuspect.objects.get()
    assert (suspect.kind, suspect.person_a_id, suspect.person_b_id) == (
        SuspectKind.SAME_PERSON,
        a.pk,
        b.pk,
    )
    assert list(selectors.suspects_for(county_officer)) == [suspect]


def test_suspects_are_scoped(twins) -> None:
    from tests.factories import make_user

    services.duplicates_find()
    assert not selectors.suspects_for(make_user("county_officer", "150404")).exists()


def test_merge_moves_facts_and_keeps_history(county_officer, twins) -> None:
    a, b = twins
    registry.certificate_issue(
        actor=county_officer, person=b, category=4, level=2, issue_date=D(2019, 5, 1)
    )
    InsuranceEnrolment.objects.create(person=a, kind="pension", valid_from=D(2020, 1, 1))
    InsuranceEnrolment.objects.create(person=b, kind="medical", valid_from=D(2020, 1, 1))
    services.duplicates_find()
    suspect = DuplicateSuspect.objects.get()
    services.suspect_resolve(actor=county_officer, suspect=suspect, resolution="merge")
    suspect.refresh_from_db()
    assert suspect.status == SuspectStatus.MERGED
    assert suspect.resolved_by == county_officer
    assert Certificate.objects.get().person_id == a.pk
    assert set(InsuranceEnrolment.objects.values_list("person_id", "kind")) == {
        (a.pk, "pension"),
        (a.pk, "medical"),
    }
    # B stays, with its own residence history; A keeps its own.
    assert Person.objects.filter(pk=b.pk).exists()
    assert Residence.objects.filter(person=b).count() == 1
    assert Residence.objects.filter(person=a).count() == 1
    entry = AuditEntry.objects.filter(action="merge").get()
    assert entry.changes["merged_person"] == b.pk
    assert entry.changes["moved"]["registry.Certificate"] == 1


def test_overlapping_facts_refuse_the_whole_merge(county_officer, twins) -> None:
    a, b = twins
    InsuranceEnrolment.objects.create(person=b, kind="medical", valid_from=D(2019, 1, 1))
    registry.certificate_issue(
        actor=county_officer, person=a, category=4, level=2, issue_date=D(2019, 5, 1)
    )
    registry.certificate_issue(
        actor=county_officer, person=b, category=1, level=3, issue_date=D(2021, 5, 1)
    )
    services.duplicates_find()
    suspect = DuplicateSuspect.objects.get()
    with pytest.raises(DomainError) as info:
        services.suspect_resolve(actor=county_officer, suspect=suspect, resolution="merge")
    assert info.value.code == "merge_overlap"
    assert "重叠" in info.value.message_zh
    assert InsuranceEnrolment.objects.get().person_id == b.pk  # nothing moved
    assert Certificate.objects.filter(person=b).count() == 1
    suspect.refresh_from_db()
    assert suspect.status == SuspectStatus.OPEN


def test_distinct_and_no_second_resolution(county_officer, twins) -> None:
    services.duplicates_find()
    suspect = DuplicateSuspect.objects.get()
    services.suspect_resolve(actor=county_officer, suspect=suspect, resolution="distinct")
    suspect.refresh_from_db()
    assert suspect.status == SuspectStatus.DISTINCT
    with pytest.raises(DomainError) as info:
        services.suspect_resolve(actor=county_officer, suspect=suspect, resolution="merge")
    assert info.value.code == "already_resolved"
    assert services.duplicates_find() == 0  # a pair marked distinct is not listed again


def test_village_workers_may_not_merge(village_worker, twins) -> None:
    services.duplicates_find()
    suspect = DuplicateSuspect.objects.get()
    with pytest.raises(DomainError) as info:
        services.suspect_resolve(actor=village_worker, suspect=suspect, resolution="merge")
    assert info.value.code == "not_found"
