"""Pay the higher one (择高享受, issue 15 part 5): the nursing allowance is not paid together
with the elderly care allowance or veterans' care pay; the person gets the higher, the scan
proposes only then, and the person page and the proposal say why."""

from __future__ import annotations

import datetime as dt

import pytest

from dpf.benefits import scanning, selectors
from dpf.benefits.catalogue import shipped_catalogue
from dpf.benefits.models import WorkItem, WorkItemKind
from dpf.registry.person_facts import outside_payment_record
from tests.benefits.conftest import AS_OF, person_with

pytestmark = pytest.mark.django_db

SINCE = dt.date(2024, 1, 1)


def _nursing(user, person):
    results = selectors.eligibility_for_person(user, person, AS_OF)
    return next(e for e in results if e.benefit.code == "nursing_allowance")


def _proposed() -> set[int]:
    return set(
        WorkItem.objects.filter(
            kind=WorkItemKind.PROPOSAL, benefit__code="nursing_allowance"
        ).values_list("person_id", flat=True)
    )


def test_the_partners_are_catalogue_data() -> None:
    exclusive = shipped_catalogue()["nursing_allowance"].exclusive
    assert {(e.receiving, e.choose) for e in exclusive} == {
        ("elderly_care_allowance", "higher"),
        ("veteran_care", "higher"),
    }
    assert all(e.source for e in exclusive)


def test_the_higher_is_chosen_and_explained(regions, city_admin) -> None:
    # shipped illustrative standards: level 1 is 150.00 a month
    ours_higher = person_with(level=1, household=None, long_term_care=True)
    theirs_higher = person_with(level=1, household=None, long_term_care=True)
    unknown = person_with(level=1, household=None, long_term_care=True)
    plain = person_with(level=1, household=None, long_term_care=True)
    outside_payment_record(
        actor=None, person=ours_higher, kind="elderly_care_allowance", valid_from=SINCE,
        monthly_amount="100",
    )  # fmt: skip
    outside_payment_record(
        actor=None, person=theirs_higher, kind="veteran_care", valid_from=SINCE,
        monthly_amount="400",
    )  # fmt: skip
    outside_payment_record(
        actor=None, person=unknown, kind="elderly_care_allowance", valid_from=SINCE
    )

    kept = _nursing(city_admin, ours_higher)
    assert kept.eligible
    assert "本补贴每月150.00元高于老年人护理补贴每月100.00元" in kept.base[-1].label
    assert "higher than the elderly care allowance" in kept.base[-1].label_en

    lost = _nursing(city_admin, theirs_higher)
    assert not lost.eligible
    assert "已领取优抚对象护理费每月400.00元，不低于本补贴每月150.00元" in lost.base[-1].label

    not_compared = _nursing(city_admin, unknown)
    assert not not_compared.eligible
    assert "金额未登记" in not_compared.base[-1].label

    assert _nursing(city_admin, plain).eligible
    assert not any("择高" in c.text for c in _nursing(city_admin, plain).base)

    # the scan (set-based) makes the same choice, and the proposal explains it
    scanning.scan(as_of=AS_OF, benefit_codes=["nursing_allowance"])
    assert _proposed() == {ours_higher.pk, plain.pk}
    item = WorkItem.objects.get(person=ours_higher, kind=WorkItemKind.PROPOSAL)
    why = selectors.work_item_eligibility(item)
    assert "择高享受" in why.base[-1].label


def test_an_elderly_care_allowance_ended_no_longer_competes(regions, city_admin) -> None:
    person = person_with(level=1, household=None, long_term_care=True)
    outside_payment_record(
        actor=None, person=person, kind="elderly_care_allowance", valid_from=SINCE,
        valid_to=dt.date(2024, 12, 31), monthly_amount="900",
    )  # fmt: skip
    assert _nursing(city_admin, person).eligible
    scanning.scan(as_of=AS_OF, benefit_codes=["nursing_allowance"])
    assert person.pk in _proposed()
