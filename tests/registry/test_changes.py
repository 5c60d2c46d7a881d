"""Keeping the registry current from the pages (issue 17 part 1): details, guardian, move,
household, the certificate's renewal, re-assessment and cancellation. Each succeeds with
its reason and date on the timeline and in the audit log; each refusal is bilingual and
writes nothing."""

from __future__ import annotations

import datetime as dt

import pytest

from dpf.core.errors import NotFound, ValidationFailed
from dpf.core.models import AuditEntry
from dpf.registry import certificate_changes, changes, services
from dpf.registry.change_models import RecordChange
from dpf.registry.models import (
    Certificate,
    GuardianLink,
    HouseholdStatus,
    Person,
    Residence,
)
from dpf.registry.timeline_selectors import person_timeline
from tests.factories import make_person, make_user

pytestmark = pytest.mark.django_db

TODAY = dt.date(2026, 3, 10)
ISSUED = dt.date(2016, 3, 1)
VILLAGE = "150402001001"
OTHER_VILLAGE = "150402001002"
OTHER_COUNTY_VILLAGE = "150404002001"


def _person(**extra) -> Person:
    person = make_person(village_code=VILLAGE, phone="13800001234", **extra)
    Residence.objects.filter(person=person).update(valid_from=dt.date(2000, 1, 1))
    return person


def _certified(level: int = 2, issued: dt.date = ISSUED) -> tuple[Person, Certificate]:
    person = _person()
    cert = services.certificate_issue(
        actor=None, person=person, category=4, level=level, issue_date=issued, today=TODAY
    )
    return person, cert


def _nothing_written(person: Person) -> None:
    assert not RecordChange.objects.filter(person=person).exists()
    assert not AuditEntry.objects.filter(
        object_type="person", object_id=str(person.pk), action="change"
    ).exists()


def _refusal(info: pytest.ExceptionInfo[ValidationFailed], code: str) -> None:
    assert info.value.code == code
    assert info.value.message_zh
    assert info.value.message_en
    assert info.value.message_zh != info.value.message_en


# --- details ----------------------------------------------------------------------------


def test_details_change_keeps_the_reason_and_date_and_masks_personal_data(regions) -> None:
    worker = make_user("village_worker", VILLAGE)
    person = _person()
    changes.person_details_change(
        actor=worker,
        person=person,
        on=dt.date(2026, 3, 1),
        reason="户口本更正姓名",
        name="张海鸣",
        phone="13900005678",
        ethnicity="蒙古族",
        today=TODAY,
    )
    person.refresh_from_db()
    assert (person.name, person.phone, person.ethnicity) == ("张海鸣", "13900005678", "蒙古族")
    assert person.name_initials == "zhm"
    record = RecordChange.objects.get(person=person)
    assert record.effective_on == dt.date(2026, 3, 1)
    assert record.reason == "户口本更正姓名"
    assert "13900005678" not in record.summary
    assert "139****5678" in record.summary
    assert "张海鸣" not in record.summary
    entry = AuditEntry.objects.get(object_type="person", object_id=str(person.pk), action="change")
    assert entry.reason == "户口本更正姓名"
    assert "13900005678" not in str(entry.changes)
    events = [e for e in person_timeline(person) if e.kind == "record"]
    assert [(e.date, e.label) for e in events] == [(dt.date(2026, 3, 1), "修改基本信息")]
    assert "户口本更正姓名" in events[0].detail


def test_details_change_outside_the_region_is_not_found_and_writes_nothing(regions) -> None:
    other_county = make_user("county_officer", "150404")
    person = _person()
    with pytest.raises(NotFound) as info:
        changes.person_details_change(
            actor=other_county, person=person, on=TODAY, reason="更正", name="李四", today=TODAY
        )
    assert info.value.message_zh
    assert info.value.message_en
    person.refresh_from_db()
    assert person.name == "张海明"
    _nothing_written(person)


@pytest.mark.parametrize(
    ("kwargs", "code"),
    [
        ({"reason": "", "name": "李四"}, "reason_missing"),
        ({"reason": "更正", "name": "张海明"}, "nothing_changed"),
        ({"reason": "更正", "phone": "12ab"}, "phone"),
        ({"reason": "更正", "name": "李四", "on": dt.date(2026, 3, 11)}, "future_date"),
    ],
)
def test_details_change_refusals_write_nothing(regions, kwargs, code) -> None:
    worker = make_user("village_worker", VILLAGE)
    person = _person()
    arguments = {"on": TODAY, **kwargs}
    with pytest.raises(ValidationFailed) as info:
        changes.person_details_change(actor=worker, person=person, today=TODAY, **arguments)
    _refusal(info, code)
    person.refresh_from_db()
    assert person.name == "张海明"
    assert person.phone == "13800001234"
    _nothing_written(person)


def test_guardian_change_ends_the_old_link_and_starts_the_new(regions) -> None:
    worker = make_user("village_worker", VILLAGE)
    person = _person()
    mother = make_person(village_code=VILLAGE, name="王秀英", sex="F")
    changes.guardian_change(
        actor=worker,
        person=person,
        on=dt.date(2026, 1, 1),
        reason="母亲担任监护人",
        guardian_id_number=mother.id_number,
        relation="parent",
        today=TODAY,
    )
    changes.guardian_change(
        actor=worker, person=person, on=dt.date(2026, 2, 1), reason="成年，自行办理", today=TODAY
    )
    links = list(GuardianLink.objects.filter(dependant=person))
    assert [(lk.guardian_id, lk.valid_from, lk.valid_to) for lk in links] == [
        (mother.pk, dt.date(2026, 1, 1), dt.date(2026, 1, 31))
    ]
    assert RecordChange.objects.filter(person=person, kind="guardian").count() == 2


def test_a_guardian_outside_the_region_is_refused(regions) -> None:
    worker = make_user("village_worker", VILLAGE)
    person = _person()
    elsewhere = make_person(village_code=OTHER_COUNTY_VILLAGE, name="王秀英", sex="F")
    with pytest.raises(ValidationFailed) as info:
        changes.guardian_change(
            actor=worker,
            person=person,
            on=TODAY,
            reason="监护",
            guardian_id_number=elsewhere.id_number,
            today=TODAY,
        )
    _refusal(info, "guardian_unknown")
    assert not GuardianLink.objects.exists()
    _nothing_written(person)


# --- move -------------------------------------------------------------------------------


def test_a_move_to_another_county_hands_the_person_over_and_keeps_the_history(regions) -> None:
    worker = make_user("village_worker", VILLAGE)
    person = _person()
    outcome = changes.person_move_record(
        actor=worker,
        person=person,
        village_code=OTHER_COUNTY_VILLAGE,
        on=dt.date(2026, 2, 1),
        reason="随子女迁居",
        today=TODAY,
    )
    person.refresh_from_db()
    assert (person.county_code, person.village_code) == ("150404", OTHER_COUNTY_VILLAGE)
    rows = list(Residence.objects.filter(person=person).order_by("valid_from"))
    assert [(r.village_code, r.valid_to) for r in rows] == [
        (VILLAGE, dt.date(2026, 1, 31)),
        (OTHER_COUNTY_VILLAGE, None),
    ]
    # Living alone in the household: it moves along; the worker no longer sees the person.
    assert outcome.household_moved
    assert not outcome.still_in_scope
    assert person.household is not None
    assert person.household.village_code == OTHER_COUNTY_VILLAGE
    assert RecordChange.objects.get(person=person).kind == "move"


def test_a_move_within_the_township_leaves_a_shared_household_where_it_is(regions) -> None:
    officer = make_user("township_officer", "150402001")
    person = _person()
    assert person.household is not None
    make_person(village_code=VILLAGE, household=person.household, relation_to_head="spouse")
    outcome = changes.person_move_record(
        actor=officer,
        person=person,
        village_code=OTHER_VILLAGE,
        on=dt.date(2026, 2, 1),
        reason="搬迁",
        today=TODAY,
    )
    assert outcome.still_in_scope
    assert not outcome.household_moved
    person.household.refresh_from_db()
    assert person.household.village_code == VILLAGE


@pytest.mark.parametrize(
    ("village", "code"),
    [("150402001999", "village_unknown"), ("150402", "village_unknown"), (VILLAGE, "same_village")],
)
def test_a_move_to_an_unknown_region_is_refused_and_writes_nothing(regions, village, code):
    worker = make_user("village_worker", VILLAGE)
    person = _person()
    with pytest.raises(ValidationFailed) as info:
        changes.person_move_record(
            actor=worker, person=person, village_code=village, on=TODAY, reason="迁居", today=TODAY
        )
    _refusal(info, code)
    person.refresh_from_db()
    assert person.village_code == VILLAGE
    assert Residence.objects.filter(person=person).count() == 1
    _nothing_written(person)


def test_a_move_outside_the_region_is_not_found(regions) -> None:
    other_county = make_user("county_officer", "150404")
    person = _person()
    with pytest.raises(NotFound):
        changes.person_move_record(
            actor=other_county,
            person=person,
            village_code=OTHER_COUNTY_VILLAGE,
            on=TODAY,
            reason="迁居",
            today=TODAY,
        )
    person.refresh_from_db()
    assert person.village_code == VILLAGE
    _nothing_written(person)


# --- household --------------------------------------------------------------------------


def test_household_member_and_status_changes_are_dated_on_the_timeline(regions) -> None:
    worker = make_user("village_worker", VILLAGE)
    head = _person()
    spouse = make_person(village_code=VILLAGE, name="王秀英", sex="F")
    assert head.household is not None
    changes.household_member_change(
        actor=worker,
        person=spouse,
        household=head.household,
        relation="spouse",
        on=dt.date(2026, 1, 5),
        reason="结婚",
        today=TODAY,
    )
    spouse.refresh_from_db()
    assert (spouse.household_id, spouse.relation_to_head) == (head.household_id, "spouse")
    changes.household_status_change(
        actor=worker,
        household=head.household,
        status="dibao",
        on=dt.date(2026, 2, 1),
        reason="民政认定低保",
        today=TODAY,
    )
    assert HouseholdStatus.objects.get(household=head.household).valid_from == dt.date(2026, 2, 1)
    kinds = set(RecordChange.objects.filter(person=spouse).values_list("kind", flat=True))
    assert kinds == {"household", "household_status"}
    assert RecordChange.objects.filter(person=head, kind="household_status").exists()
    with pytest.raises(ValidationFailed) as info:
        changes.household_status_change(
            actor=worker,
            household=head.household,
            status="dibao",
            on=TODAY,
            reason="重复",
            today=TODAY,
        )
    _refusal(info, "nothing_changed")


def test_a_household_outside_the_region_is_not_found(regions) -> None:
    other = make_user("county_officer", "150404")
    head = _person()
    assert head.household is not None
    with pytest.raises(NotFound):
        changes.household_status_change(
            actor=other,
            household=head.household,
            status="dibao",
            on=TODAY,
            reason="认定",
            today=TODAY,
        )
    assert not HouseholdStatus.objects.exists()


# --- certificates -----------------------------------------------------------------------


def test_renewal_replaces_the_old_certificate_with_the_same_category_and_level(regions):
    officer = make_user("county_officer", "150402")
    person, old = _certified()
    new = certificate_changes.certificate_renew(
        actor=officer, certificate=old, issue_date=dt.date(2026, 2, 28), reason="到期换证",
        today=TODAY,
    )  # fmt: skip
    old.refresh_from_db()
    assert (old.status, old.valid_to) == ("replaced", dt.date(2026, 2, 27))
    assert (new.category, new.level, new.replaces_id) == (old.category, old.level, old.pk)
    assert new.valid_from == dt.date(2026, 2, 28)
    assert new.status == "valid"
    assert RecordChange.objects.get(person=person).kind == "renewal"


def test_reassessment_issues_the_new_level_and_refuses_the_same_result(regions):
    officer = make_user("county_officer", "150402")
    person, old = _certified(level=3, issued=dt.date(2020, 5, 1))
    with pytest.raises(ValidationFailed) as info:
        certificate_changes.certificate_reassess(
            actor=officer, certificate=old, category=4, level=3, on=TODAY, reason="复评",
            today=TODAY,
        )  # fmt: skip
    _refusal(info, "same_assessment")
    assert Certificate.objects.filter(person=person).count() == 1
    new = certificate_changes.certificate_reassess(
        actor=officer, certificate=old, category=4, level=2, on=TODAY, reason="复评为二级",
        today=TODAY,
    )  # fmt: skip
    old.refresh_from_db()
    assert old.status == "replaced"
    assert old.valid_to == TODAY - dt.timedelta(days=1)
    assert (new.level, new.replaces_id) == (2, old.pk)
    events = [e.label for e in person_timeline(person) if e.kind in ("certificate", "record")]
    assert "重新评定" in events
    assert "重新评定，换发残疾人证" in events


def test_a_cancelled_certificate_cannot_be_renewed_or_reassessed(regions):
    officer = make_user("county_officer", "150402")
    person, cert = _certified()
    certificate_changes.certificate_cancel(
        actor=officer, certificate=cert, on=dt.date(2026, 1, 1), reason="本人申请注销",
        today=TODAY,
    )  # fmt: skip
    cert.refresh_from_db()
    assert (cert.status, cert.end_reason) == ("cancelled", "本人申请注销")
    before = AuditEntry.objects.count()
    with pytest.raises(ValidationFailed) as info:
        certificate_changes.certificate_renew(
            actor=officer, certificate=cert, issue_date=TODAY, reason="换证", today=TODAY
        )
    _refusal(info, "certificate_cancelled")
    with pytest.raises(ValidationFailed):
        certificate_changes.certificate_reassess(
            actor=officer, certificate=cert, category=4, level=1, on=TODAY, reason="评定",
            today=TODAY,
        )  # fmt: skip
    assert Certificate.objects.filter(person=person).count() == 1
    assert RecordChange.objects.filter(person=person).count() == 1  # the cancellation only
    assert AuditEntry.objects.count() == before


def test_a_village_worker_may_not_change_certificates(regions):
    from dpf.accounts.permissions import PermissionRefused

    worker = make_user("village_worker", VILLAGE)
    _, cert = _certified()
    with pytest.raises(PermissionRefused):
        certificate_changes.certificate_renew(
            actor=worker, certificate=cert, issue_date=TODAY, reason="换证", today=TODAY
        )
    cert.refresh_from_db()
    assert cert.status == "valid"


def test_a_certificate_follows_its_holder_on_a_move(regions):
    """There is no separate certificate transfer (迁移): the person's move is it. The
    certificate is untouched, the new county acts on it from then on, the old one no more."""
    person, cert = _certified()
    changes.person_move_record(
        actor=make_user("village_worker", VILLAGE),
        person=person,
        village_code=OTHER_COUNTY_VILLAGE,
        on=dt.date(2026, 2, 1),
        reason="随子女迁居",
        today=TODAY,
    )
    moved = Certificate.objects.get(pk=cert.pk)
    assert (moved.person_id, moved.number, moved.status, moved.valid_to) == (
        person.pk,
        cert.number,
        "valid",
        cert.valid_to,
    )
    assert moved.issuing_county == "150402"  # issued there; the card says so until renewed
    with pytest.raises(NotFound):
        certificate_changes.certificate_renew(
            actor=make_user("county_officer", "150402"), certificate=cert,
            issue_date=dt.date(2026, 2, 28), reason="到期换证", today=TODAY,
        )  # fmt: skip
    new = certificate_changes.certificate_renew(
        actor=make_user("county_officer", "150404"), certificate=cert,
        issue_date=dt.date(2026, 2, 28), reason="到期换证", today=TODAY,
    )  # fmt: skip
    assert (new.issuing_county, new.replaces_id) == ("150404", cert.pk)


def test_a_certificate_outside_the_region_is_not_found(regions):
    other = make_user("county_officer", "150404")
    _, cert = _certified()
    with pytest.raises(NotFound):
        certificate_changes.certificate_cancel(
            actor=other, certificate=cert, on=TODAY, reason="注销", today=TODAY
        )
    cert.refresh_from_db()
    assert cert.status == "valid"
