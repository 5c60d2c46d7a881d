"""Volunteer service received and legal aid referrals on a person's timeline (issue 18
part 11): each volunteer event that served the person, on its local date; each referral to
legal aid and the centre's answers. Registered with the registry in ``SocialConfig.ready``;
one query per source and person whatever the number of events."""

from __future__ import annotations

from django.utils import timezone
from django.utils.translation import gettext as _

from dpf.registry.models import Person
from dpf.registry.timeline_sources import ServiceEvent, anchored, recorded_by
from dpf.social.models import LegalAidReferral, VolunteerEvent


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


def person_legal_aid(person: Person) -> list[ServiceEvent]:
    """The person's legal aid referrals (法律援助转介) and the centre's answers, each on its
    date; the matter's kind only (its description stays on the referral's page)."""
    rows = LegalAidReferral.objects.filter(person=person, **anchored(person)).order_by(
        "referred_on", "pk"
    )
    events: list[ServiceEvent] = []
    for r in rows:
        by = recorded_by(r.created_by_id)
        matter = r.get_matter_display()
        events.append(
            ServiceEvent(r.referred_on, _("转介法律援助"), f"{matter} · {r.referred_to}", by, r.pk)
        )
        for day, label in (
            (r.accepted_on, _("法律援助已受理")),
            (r.declined_on, _("法律援助不予受理")),
            (r.concluded_on, _("法律援助已办结")),
        ):
            if day is not None:
                events.append(ServiceEvent(day, label, f"{matter} · {r.referred_to}", by, r.pk))
    return events
