"""The scan's "pay the higher" comparison reads the person's own certificate level whatever
the row ids: a person without a certificate registered first shifts the certificate ids off
the person ids (in test_pay_the_higher.py they coincide, which hid a correlation that
compared a certificate with itself — found by tests/architecture/test_distribution.py)."""

from __future__ import annotations

import datetime as dt

import pytest

from dpf.benefits import scanning
from dpf.benefits.models import WorkItem, WorkItemKind
from dpf.registry.person_facts import outside_payment_record
from tests.benefits.conftest import AS_OF, person_with
from tests.factories import make_person

pytestmark = pytest.mark.django_db


def test_the_higher_is_chosen_when_certificate_ids_differ_from_person_ids(regions) -> None:
    make_person(name="无证人员")  # takes a person id, no certificate: ids no longer coincide
    # shipped illustrative standards: level 1 is 150.00 a month, above the 100.00 paid
    ours_higher = person_with(level=1, household=None, long_term_care=True)
    theirs_higher = person_with(level=1, household=None, long_term_care=True)
    assert ours_higher.certificates.get().pk != ours_higher.pk
    outside_payment_record(
        actor=None, person=ours_higher, kind="elderly_care_allowance",
        valid_from=dt.date(2024, 1, 1), monthly_amount="100",
    )  # fmt: skip
    outside_payment_record(
        actor=None, person=theirs_higher, kind="elderly_care_allowance",
        valid_from=dt.date(2024, 1, 1), monthly_amount="150",
    )  # fmt: skip
    scanning.scan(as_of=AS_OF, benefit_codes=["nursing_allowance"])
    proposed = set(
        WorkItem.objects.filter(
            kind=WorkItemKind.PROPOSAL, benefit__code="nursing_allowance"
        ).values_list("person_id", flat=True)
    )
    assert proposed == {ours_higher.pk}
