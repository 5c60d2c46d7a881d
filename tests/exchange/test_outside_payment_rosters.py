"""The outside payment rosters (issue 15 part 2): one roster type per kind of payment
another department makes, staged, previewed and committed like the other rosters; a row for
an unknown person is not imported; a period overlapping one recorded differently is
refused; after the commit the scan no longer proposes the allowances the payment excludes."""

from __future__ import annotations

import datetime as dt

import pytest

from dpf.benefits import scanning
from dpf.benefits.models import WorkItem, WorkItemKind, WorkItemStatus
from dpf.exchange import services
from dpf.exchange.rostertypes import OUTSIDE_PAYMENT_ROSTERS, roster_type
from dpf.registry import services as registry
from dpf.registry.models import NeedsSurvey, OutsidePayment, OutsidePaymentKind
from tests.exchange.conftest import outcomes, stage, xlsx_bytes
from tests.factories import make_person, new_id_number

pytestmark = pytest.mark.django_db

D = dt.date
AS_OF = D(2025, 6, 30)
HEADER = ["身份证号码", "姓名", "发放起始日期", "发放终止日期"]


def _certified_in_dibao(actor, name: str):
    person = make_person(actor=actor, name=name)
    registry.certificate_issue(
        actor=None, person=person, category=4, level=1, issue_date=D(2020, 1, 1),
        today=D(2026, 12, 31),
    )  # fmt: skip
    registry.household_status_set(
        actor=None,
        household=person.household,  # type: ignore[arg-type]
        status="dibao",
        valid_from=D(2020, 1, 1),
    )
    NeedsSurvey.objects.create(
        person=person, year=2025, survey_date=D(2025, 1, 15), long_term_care_need=True
    )
    return person


def _proposed(code: str) -> set[int]:
    return set(
        WorkItem.objects.filter(
            kind=WorkItemKind.PROPOSAL, benefit__code=code, status=WorkItemStatus.OPEN
        ).values_list("person_id", flat=True)
    )


def test_one_roster_type_per_kind_of_outside_payment() -> None:
    assert {t.payment_kind for t in OUTSIDE_PAYMENT_ROSTERS} == set(OutsidePaymentKind.values)
    for rtype in OUTSIDE_PAYMENT_ROSTERS:
        assert roster_type(rtype.code) is rtype
        assert str(rtype.department)
        assert rtype.column("valid_from") is not None


def test_work_injury_roster_commits_and_the_scan_stops_proposing(county_officer) -> None:
    """Before this roster nothing but the demo wrote outside payments: the scan proposed
    both allowances to a person whom work-injury care pay excludes from both."""
    paid = _certified_in_dibao(county_officer, "李秀英")
    other = _certified_in_dibao(county_officer, "王建国")
    scanning.scan(as_of=AS_OF, benefit_codes=["living_allowance", "nursing_allowance"])
    assert {paid.pk, other.pk} <= _proposed("living_allowance") & _proposed("nursing_allowance")

    content = xlsx_bytes(
        [
            HEADER,
            [paid.id_number, "李秀英", "2022-04-01", None],
            [new_id_number("150402", D(1970, 1, 1)), "不存在", "2022-04-01", None],
        ]
    )
    batch = stage(county_officer, "work_injury_care", content)
    assert outcomes(batch) == {2: "will_change", 3: "not_found"}
    services.batch_commit(actor=county_officer, batch=batch, rescan=False)
    row = OutsidePayment.objects.get()
    assert (row.person_id, row.kind, row.valid_from, row.valid_to, row.source) == (
        paid.pk,
        "work_injury_care",
        D(2022, 4, 1),
        None,
        f"roster:{batch.pk}",
    )
    scanning.scan(as_of=AS_OF, benefit_codes=["living_allowance", "nursing_allowance"])
    for code in ("living_allowance", "nursing_allowance"):
        assert paid.pk not in _proposed(code)
        assert other.pk in _proposed(code)


def test_an_overlapping_period_is_refused_and_nothing_written(county_officer) -> None:
    person = make_person(actor=county_officer, name="赵明")
    OutsidePayment.objects.create(
        person=person, kind="orphan_support", valid_from=D(2021, 1, 1), valid_to=D(2023, 12, 31)
    )
    # starts before the recorded period and runs into it: history would be rewritten
    content = xlsx_bytes([HEADER, [person.id_number, "赵明", "2020-06-01", "2021-06-30"]])
    batch = stage(county_officer, "orphan_support", content)
    assert outcomes(batch) == {2: "invalid"}
    assert batch.rows.get(row_number=2).errors[0]["code"] == "history_conflict"
    services.batch_commit(actor=county_officer, batch=batch, rescan=False)
    assert OutsidePayment.objects.count() == 1


def test_the_same_kind_is_kept_apart_from_the_others(county_officer) -> None:
    person = make_person(actor=county_officer, name="赵明")
    OutsidePayment.objects.create(person=person, kind="veteran_care", valid_from=D(2021, 1, 1))
    content = xlsx_bytes([HEADER, [person.id_number, "赵明", "2023-01-01", None]])
    batch = stage(county_officer, "elderly_care_allowance", content)
    assert outcomes(batch) == {2: "will_change"}
    services.batch_commit(actor=county_officer, batch=batch, rescan=False)
    assert set(OutsidePayment.objects.values_list("kind", flat=True)) == {
        "veteran_care",
        "elderly_care_allowance",
    }
