"""Vocational training on a person's timeline (issue 18 part 11): the course attended,
from its start, and its completion. Registered with the registry in
``EmploymentConfig.ready``; one query per person whatever the number of courses."""

from __future__ import annotations

from django.utils.translation import gettext as _

from dpf.employment.models import TrainingAttendance
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
