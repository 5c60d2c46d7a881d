"""A citizen's own registration as a volunteer: pending until the staff of its region
approve it (counted for T0507 from that day) or refuse it with a reason; the citizen's own
person only (never a dependant, never another); registering twice refused; consent
withdrawn ends the registration, erases the contact details and closes the account;
refusals in both languages with nothing written."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest

from dpf.accounts.permissions import PermissionRefused
from dpf.core.errors import ValidationFailed
from dpf.core.models import AuditEntry
from dpf.portal.models import CitizenAccount
from dpf.registry.models import GuardianLink
from dpf.social import counters, volunteers
from dpf.social import volunteer_registration as registration
from dpf.social.models import Volunteer, VolunteerStatus
from tests.factories import ensure_test_regions, make_person, make_user

pytestmark = pytest.mark.django_db
TODAY = dt.date(2026, 5, 10)
TOWNSHIP = "150402001"
VILLAGE = "150402001001"


def citizen(name: str = "孙志愿", village: str = VILLAGE) -> Any:
    person = make_person(name=name, village_code=village)
    user = make_user("citizen", None)
    CitizenAccount.objects.create(user=user, person=person)
    return user


def apply(user: Any, **kw: Any) -> Volunteer:
    values: dict[str, Any] = {
        "actor": user,
        "village_code": VILLAGE,
        "consent": True,
        "skills": "手语",
        "availability": "周末",
        "phone": "13700001111",
        "today": TODAY,
    }
    values.update(kw)
    return registration.volunteer_apply(**values)


@pytest.fixture
def officer() -> Any:
    ensure_test_regions()
    return make_user("township_officer", TOWNSHIP)


def test_the_citizen_registers_themself_pending_approval(officer: Any) -> None:
    user = citizen()
    person = CitizenAccount.objects.get(user=user).person
    volunteer = apply(user)
    assert (volunteer.status, volunteer.registered_on, volunteer.consent_on) == (
        "pending",
        None,
        TODAY,
    )
    assert (volunteer.name, volunteer.id_number) == (person.name, person.id_number)
    assert volunteer.self_registered
    assert registration.own_registration(user) == volunteer
    assert list(registration.pending(officer)) == [volunteer]
    assert not registration.pending(make_user("county_officer", "150404")).exists()
    entry = AuditEntry.objects.get(object_type="volunteer", action="create")
    assert entry.changes["via"] == "portal"
    assert person.id_number not in str(entry.changes)
    assert counters.volunteers_on(TODAY, None) == {}  # not a registered volunteer yet


@pytest.mark.parametrize(
    ("fields", "code", "en"),
    [
        ({"consent": False}, "consent_required", "only with their consent"),
        ({"village_code": "150404002001"}, "region", "village of your own county"),
        ({"village_code": "150402001"}, "region", "village of your own county"),
        ({"phone": "12ab"}, "phone", "not valid"),
        ({"skills": "手" * 201}, "too_long", "at most 200"),
        ({"availability": "周末\x00"}, None, ""),
        ({"team_id": 999999}, "team", "no such team"),
    ],
)
def test_bad_input_is_refused_in_both_languages(
    officer: Any, fields: dict[str, Any], code: str | None, en: str
) -> None:
    user = citizen()
    before = AuditEntry.objects.count()
    with pytest.raises(ValidationFailed) as refused:
        apply(user, **fields)
    assert refused.value.message_zh
    assert refused.value.message_en
    if code:
        assert refused.value.code == code
        assert en in refused.value.message_en
    assert not Volunteer.objects.exists()
    assert AuditEntry.objects.count() == before


def test_a_team_of_another_county_or_dissolved_is_refused(officer: Any) -> None:
    other = volunteers.team_create(
        actor=make_user("county_officer", "150404"),
        name="外县队",
        township_code="150404002",
        founded_on=dt.date(2025, 1, 1),
    )
    gone = volunteers.team_create(
        actor=officer, name="解散队", township_code=TOWNSHIP, founded_on=dt.date(2025, 1, 1)
    )
    gone.dissolved_on = dt.date(2026, 1, 1)
    gone.save()
    user = citizen()
    for team in (other, gone):
        with pytest.raises(ValidationFailed) as refused:
            apply(user, team_id=team.pk)
        assert refused.value.code == "team"
    mine = volunteers.team_create(
        actor=officer, name="本地队", township_code=TOWNSHIP, founded_on=dt.date(2025, 1, 1)
    )
    assert apply(user, team_id=mine.pk).team == mine


def test_registering_twice_is_refused(officer: Any) -> None:
    user = citizen()
    apply(user)
    with pytest.raises(ValidationFailed) as twice:
        apply(user, village_code="150402001002")
    assert twice.value.code == "volunteer_registered"
    assert twice.value.message_en
    # Staff registered the same person before: the portal refuses too.
    other = citizen(name="周已登")
    person = CitizenAccount.objects.get(user=other).person
    volunteers.volunteer_register(
        actor=officer,
        name=person.name,
        id_number=person.id_number,
        village_code=VILLAGE,
        consent=True,
        today=TODAY,
    )
    with pytest.raises(ValidationFailed) as staff_made:
        apply(other)
    assert staff_made.value.code == "volunteer_registered"
    made = registration.own_registration(other)
    assert made is not None
    assert made.status == "approved"
    assert Volunteer.objects.count() == 2


def test_only_the_citizen_s_own_person_is_registered(officer: Any) -> None:
    guardian = citizen(name="钱监护")
    own = CitizenAccount.objects.get(user=guardian).person
    child = make_person(name="钱孩子", birth=dt.date(2015, 3, 3))
    GuardianLink.objects.create(
        guardian=own, dependant=child, relation="parent", valid_from=dt.date(2020, 1, 1)
    )
    volunteer = apply(guardian)
    assert volunteer.id_number == own.id_number  # the guardian, not the dependant
    # The service takes no person: there is nothing to name another by.
    with pytest.raises(TypeError):
        registration.volunteer_apply(  # type: ignore[call-arg]
            actor=guardian, person_id=child.pk, village_code=VILLAGE, consent=True, today=TODAY
        )
    # Staff, volunteers and a citizen without an account cannot use it.
    for actor in (officer, make_user("volunteer", None), make_user("citizen", None)):
        with pytest.raises(PermissionRefused):
            apply(actor)
    # Another citizen sees only their own (none).
    assert registration.own_registration(citizen(name="李旁人")) is None


def test_staff_approve_or_refuse_in_their_region(officer: Any) -> None:
    first, second = citizen(name="甲"), citizen(name="乙")
    one, two = apply(first), apply(second)
    with pytest.raises(PermissionRefused):
        registration.volunteer_decide(
            actor=make_user("county_officer", "150404"),
            volunteer_id=one.pk,
            approve=True,
            today=TODAY,
        )
    with pytest.raises(PermissionRefused):  # a village worker keeps no volunteers
        registration.volunteer_decide(
            actor=make_user("village_worker", VILLAGE),
            volunteer_id=one.pk,
            approve=True,
            today=TODAY,
        )
    with pytest.raises(ValidationFailed) as no_reason:
        registration.volunteer_decide(
            actor=officer, volunteer_id=two.pk, approve=False, reason=" ", today=TODAY
        )
    assert (no_reason.value.code, no_reason.value.field) == ("required", "reason")
    two.refresh_from_db()
    assert two.status == "pending"

    registration.volunteer_decide(actor=officer, volunteer_id=one.pk, approve=True, today=TODAY)
    registration.volunteer_decide(
        actor=officer, volunteer_id=two.pk, approve=False, reason="资料不全", today=TODAY
    )
    one.refresh_from_db()
    two.refresh_from_db()
    assert (one.status, one.registered_on, one.decided_by) == ("approved", TODAY, officer)
    assert (two.status, two.registered_on, two.refusal_reason) == ("refused", None, "资料不全")
    assert (two.phone, two.skills, two.availability) == ("", "", "")
    assert counters.volunteers_on(TODAY, None) == {TOWNSHIP: 1}
    assert counters.volunteers_on(TODAY - dt.timedelta(days=1), None) == {}
    with pytest.raises(ValidationFailed) as again:
        registration.volunteer_decide(
            actor=officer, volunteer_id=one.pk, approve=False, reason="x", today=TODAY
        )
    assert again.value.code == "volunteer_decided"
    # Refused: the citizen may register again (a new registration; the old one is history).
    assert apply(second).status == "pending"
    assert Volunteer.objects.filter(id_number_hash=two.id_number_hash).count() == 2


def test_withdrawing_consent_ends_the_registration_and_the_account(officer: Any) -> None:
    user = citizen()
    volunteer = apply(user)
    registration.volunteer_decide(
        actor=officer, volunteer_id=volunteer.pk, approve=True, today=dt.date(2026, 5, 1)
    )
    account, _ = volunteers.volunteer_account_open(
        actor=officer, volunteer_id=volunteer.pk, username="vol-withdraw"
    )
    assert volunteers.own_volunteer(account) == volunteer
    later = dt.date(2026, 6, 1)
    registration.volunteer_withdraw_own(actor=user, today=later)
    volunteer.refresh_from_db()
    account.refresh_from_db()
    assert (volunteer.status, volunteer.withdrawn_on) == ("withdrawn", later)
    assert (volunteer.phone, volunteer.skills, volunteer.availability) == ("", "", "")
    assert not account.is_active
    assert volunteers.own_volunteer(account) is None
    assert counters.volunteers_on(dt.date(2026, 5, 31), None) == {TOWNSHIP: 1}
    assert counters.volunteers_on(later, None) == {}
    entry = AuditEntry.objects.filter(object_type="volunteer", reason="consent withdrawn").get()
    assert entry.actor == user
    with pytest.raises(ValidationFailed) as nothing:
        registration.volunteer_withdraw_own(actor=user, today=later)
    assert nothing.value.code == "not_registered"
    assert nothing.value.message_en


def test_a_pending_registration_withdrawn_never_counts(officer: Any) -> None:
    user = citizen()
    volunteer = apply(user)
    registration.volunteer_withdraw_own(actor=user, today=TODAY)
    volunteer.refresh_from_db()
    assert (volunteer.status, volunteer.registered_on) == (VolunteerStatus.WITHDRAWN, None)
    assert not registration.pending(officer).exists()
    assert counters.volunteers_on(dt.date(2027, 1, 1), None) == {}
    with pytest.raises(ValidationFailed) as not_pending:
        registration.volunteer_decide(
            actor=officer, volunteer_id=volunteer.pk, approve=True, today=TODAY
        )
    assert not_pending.value.code == "volunteer_decided"


def test_an_account_is_opened_only_for_an_approved_registration(officer: Any) -> None:
    volunteer = apply(citizen())
    with pytest.raises(ValidationFailed) as refused:
        volunteers.volunteer_account_open(
            actor=officer, volunteer_id=volunteer.pk, username="vol-pending"
        )
    assert refused.value.code == "volunteer_not_approved"
