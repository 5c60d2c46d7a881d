"""Vocational training on a person's timeline (issue 18 part 11): the course attended,
from its start, and its completion; and a college graduate's file opened and the support
actions taken (一人一档、一人一策). Registered with the registry in ``EmploymentConfig.ready``;
one query per source and person whatever the number of courses or actions."""

from __future__ import annotations

from django.utils.translation import gettext as _

from dpf.employment.models import SupportAction, TrainingAttendance
from dpf.registry.models import Person
from dpf.registry.timeline_sources import ServiceEvent, anchored, recorded_by


def person_training_events(person: Person) -> list[ServiceEvent]:
    events: list[ServiceEvent] = []
    rows = (
        TrainingAttendance.objects.filter(person=person, **anchored(person))
        .select_related("course")
        .order_by("course__start", "pk")
    )
    for a in rows:
        c = a.course
        by = recorded_by(c.created_by_id)
        detail = f"{c.name}（{c.get_kind_display()}）· {c.provider}"
        events.append(ServiceEvent(c.start, _("参加职业技能培训"), detail, by, a.pk))
        if a.completed_on:
            events.append(ServiceEvent(a.completed_on, _("培训结业"), detail, by, a.pk))
    return events


def person_graduate_events(person: Person) -> list[ServiceEvent]:
    """The support actions taken for the person as a college graduate, with the employer
    recommended (one query)."""
    rows = (
        SupportAction.objects.filter(**anchored(person, "file__"), file__person=person)
        .select_related("employer")
        .order_by("taken_on", "pk")
    )
    events: list[ServiceEvent] = []
    for a in rows:
        detail = a.get_kind_display()
        if a.employer is not None:
            detail = f"{detail} · {a.employer.name}"
        label = _("高校毕业生就业帮扶")
        events.append(ServiceEvent(a.taken_on, label, detail, recorded_by(a.created_by_id), a.pk))
    return events
