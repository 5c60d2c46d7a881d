"""Volunteer service received on a person's timeline (issue 18 part 11): each volunteer
event that served the person, on its local date. Registered with the registry in
``SocialConfig.ready``; one query per person whatever the number of events."""

from __future__ import annotations

from django.utils import timezone
from django.utils.translation import gettext as _

from dpf.registry.models import Person
from dpf.registry.timeline_sources import ServiceEvent, recorded_by
from dpf.social.models import VolunteerEvent


def person_volunteer_events(person: Person) -> list[ServiceEvent]:
    rows = (
        VolunteerEvent.objects.filter(served=person, served__county_code=person.county_code)
        .select_related("team")
        .order_by("starts_at", "pk")
    )
    events: list[ServiceEvent] = []
    for e in rows:
        detail = f"{e.title} · {e.team.name}" if e.team else e.title
        day = timezone.localdate(e.starts_at)
        by = recorded_by(e.created_by_id)
        events.append(ServiceEvent(day, _("接受志愿服务"), detail, by, e.pk))
    return events
