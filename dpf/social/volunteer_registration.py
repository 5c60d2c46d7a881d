"""A citizen's own registration as a volunteer (助残志愿者注册) on the portal, and the staff's
decision on it.

The citizen registers only themself: the name and ID number are read from their own
person in the registry (``scoping.own_person_id``, never a dependant), never typed, so no
one can register another person. They give their consent (the text the portal shows:
what is kept, who sees it, how to withdraw), the village they serve in (of their own
county), an optional team, skills and when they can serve. The registration waits
(``pending``) until staff of that village's township, county or the city approve it
(it takes effect that day and counts for T0507) or refuse it with a reason. The citizen
sees its state and may withdraw their consent at any time: the registration ends that
day, the phone, skills and availability are erased, and a volunteer account is closed.
"""

from __future__ import annotations

import datetime as dt

from django.db import transaction
from django.db.models import QuerySet

from dpf.accounts.models import User
from dpf.accounts.permissions import PermissionRefused, require_permission
from dpf.accounts.scoping import own_person_id, scope_queryset
from dpf.core import audit
from dpf.core.idnumber import parse_id_number
from dpf.core.inputs import clean_text, refuse
from dpf.core.models import Region, RegionLevel
from dpf.registry.models import Person
from dpf.social.models import LIVE_VOLUNTEER_STATUSES, Volunteer, VolunteerStatus, VolunteerTeam
from dpf.social.volunteers import (
    consent_required,
    registration_create,
    volunteer_details,
    volunteer_hash,
    volunteer_phone,
    volunteers,
)

REASON_MAX = 200


def _own_person(actor: User | None, action: str) -> Person:
    require_permission(actor, action, "volunteer_registration")
    person_id = own_person_id(actor)
    person = Person.objects.filter(pk=person_id).first() if person_id else None
    if person is None:
        raise PermissionRefused(action, "volunteer_registration")
    return person


def _own_hash(person: Person) -> str:
    return volunteer_hash(parse_id_number(person.id_number).normalized)


# --- the citizen's side -----------------------------------------------------------------------


def villages_for(person: Person) -> QuerySet[Region]:
    """The villages a citizen may serve in: those of their own county (public names)."""
    return Region.objects.filter(
        level=RegionLevel.VILLAGE, code__startswith=person.county_code
    ).order_by("code")


def teams_for(person: Person) -> QuerySet[VolunteerTeam]:
    """The teams of the citizen's county that are not dissolved (names only are shown)."""
    return VolunteerTeam.objects.filter(
        county_code=person.county_code, dissolved_on__isnull=True
    ).order_by("township_code", "name")


def own_person(actor: User | None) -> Person:
    """The citizen's own person, to offer the villages and teams of their county."""
    return _own_person(actor, "view")


def own_registration(actor: User | None) -> Volunteer | None:
    """The citizen's latest registration as a volunteer (by their own ID number: one staff
    made counts too), whatever its state; ``None`` when there is none."""
    person = _own_person(actor, "view")
    return (
        Volunteer.objects.select_related("team")
        .filter(id_number_hash=_own_hash(person))
        .order_by("-consent_on", "-pk")
        .first()
    )


def volunteer_apply(
    *,
    actor: User | None,
    village_code: str,
    consent: bool,
    team_id: int | None = None,
    skills: str = "",
    availability: str = "",
    phone: str = "",
    today: dt.date,
) -> Volunteer:
    """Register the citizen themself, pending the staff's approval. Refused without consent,
    for a village outside their county, a team of another county or a dissolved one, and
    when a registration of their ID number is pending or in effect."""
    person = _own_person(actor, "create")
    if not consent:
        raise consent_required()
    village = Region.objects.filter(
        code=village_code or "", level=RegionLevel.VILLAGE, code__startswith=person.county_code
    ).first()
    if village is None:
        raise refuse(
            "region",
            "请选择您所在旗县区的嘎查村社区",
            "choose a village of your own county",
            "village_code",
        )
    team = None
    if team_id is not None:
        team = teams_for(person).filter(pk=team_id).first()
        if team is None:
            raise refuse("team", "所选队伍不存在", "no such team", "team_id")
    skills, availability = volunteer_details(skills, availability)
    number = parse_id_number(person.id_number, today=today)
    return registration_create(
        actor=actor,
        audit_as="portal",
        name=person.name[:50],
        id_number=number.normalized,
        id_number_hash=volunteer_hash(number.normalized),
        id_number_masked=number.masked,
        phone=volunteer_phone(phone),
        county_code=village.code[:6],
        township_code=village.code[:9],
        village_code=village.code,
        team=team,
        skills=skills,
        availability=availability,
        consent_on=today,
        registered_on=None,
        status=VolunteerStatus.PENDING,
        self_registered=True,
    )


def _end(volunteer: Volunteer, status: str, on: dt.date) -> None:
    """What ends with a registration: contact details and wishes, and the volunteer's
    account (the name, the masked ID number and the hours served stay as the record)."""
    volunteer.status = status
    volunteer.phone = ""
    volunteer.skills = ""
    volunteer.availability = ""
    if status == VolunteerStatus.WITHDRAWN:
        volunteer.withdrawn_on = on
    if volunteer.user_id is not None:
        User.objects.filter(pk=volunteer.user_id).update(is_active=False)


@transaction.atomic
def volunteer_withdraw_own(*, actor: User | None, today: dt.date) -> Volunteer:
    """The citizen withdraws their consent: the pending or registered registration ends
    today (audited); nothing to withdraw is refused."""
    person = _own_person(actor, "change")
    volunteer = (
        Volunteer.objects.select_for_update()
        .filter(id_number_hash=_own_hash(person), status__in=LIVE_VOLUNTEER_STATUSES)
        .first()
    )
    if volunteer is None:
        raise refuse(
            "not_registered",
            "您没有待审核或已生效的志愿者注册",
            "you have no pending or registered volunteer registration",
            None,
        )
    before = volunteer.status
    _end(volunteer, VolunteerStatus.WITHDRAWN, today)
    volunteer.save()
    audit.record(
        actor=actor,
        action="change",
        object_type="volunteer",
        object_id=volunteer.pk,
        changes={"status": [before, volunteer.status], "withdrawn_on": today.isoformat()},
        reason="consent withdrawn",
    )
    return volunteer


# --- the staff's decision ---------------------------------------------------------------------


def pending(actor: User | None) -> QuerySet[Volunteer]:
    """The registrations of ``actor``'s region waiting for a decision, oldest first."""
    return volunteers(actor).filter(status=VolunteerStatus.PENDING).order_by("consent_on", "pk")


@transaction.atomic
def volunteer_decide(
    *, actor: User, volunteer_id: int, approve: bool, reason: str = "", today: dt.date
) -> Volunteer:
    """Approve a pending registration (in effect from today) or refuse it with a reason
    (its contact details erased); another region's is "not found"."""
    require_permission(actor, "change", "volunteer", volunteer_id)
    volunteer = (
        scope_queryset(actor, Volunteer.objects.select_for_update()).filter(pk=volunteer_id).first()
    )
    if volunteer is None:
        raise PermissionRefused("change", "volunteer", volunteer_id)
    if volunteer.status != VolunteerStatus.PENDING:
        raise refuse(
            "volunteer_decided",
            "该注册已处理或已撤回",
            "this registration was already decided or withdrawn",
            None,
        )
    reason = clean_text(
        reason,
        field="reason",
        label=("未通过原因", "reason for refusing"),
        limit=REASON_MAX,
        required=not approve,
    )
    volunteer.decided_by = actor
    volunteer.decided_on = today
    if approve:
        volunteer.status = VolunteerStatus.APPROVED
        volunteer.registered_on = today
    else:
        _end(volunteer, VolunteerStatus.REFUSED, today)
        volunteer.refusal_reason = reason
    volunteer.save()
    audit.record(
        actor=actor,
        action="approve" if approve else "change",
        object_type="volunteer",
        object_id=volunteer.pk,
        changes={"status": volunteer.status},
    )
    return volunteer
