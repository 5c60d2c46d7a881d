"""The demo's social step: teams, volunteers with consent, events with hours and social
organisations, counted by T0506-T0508 on the demo's date; nothing more on a second run."""

from __future__ import annotations

import datetime as dt

import pytest

from dpf.demo.context import DemoContext
from dpf.demo.social_records import volunteers_and_organisations
from dpf.social import counters
from dpf.social.models import EventSignup, SocialOrganisation, Volunteer, VolunteerTeam
from tests.factories import make_person

pytestmark = pytest.mark.django_db
AS_OF = dt.date(2025, 12, 31)


def test_the_step_writes_records_the_indicators_count() -> None:
    for village in ("150402001001", "150402001002", "150404002001"):
        make_person(village_code=village)
    ctx = DemoContext(seed=7, as_of=AS_OF)
    volunteers_and_organisations(ctx)
    teams = sum(counters.teams_on(AS_OF, None).values())
    assert teams == VolunteerTeam.objects.filter(founded_on__lte=AS_OF).count() > 0
    assert sum(counters.volunteers_on(AS_OF, None).values()) == Volunteer.objects.count() > 0
    assert all(v.consent_on == v.registered_on <= AS_OF for v in Volunteer.objects.all())
    incubated = SocialOrganisation.objects.filter(incubated_on__lte=AS_OF).count()
    assert sum(counters.organisations_incubated(AS_OF, None).values()) == incubated > 0
    assert EventSignup.objects.filter(attended=True, hours__gt=0).exists()
    before = (Volunteer.objects.count(), SocialOrganisation.objects.count())
    volunteers_and_organisations(DemoContext(seed=7, as_of=AS_OF))
    assert (Volunteer.objects.count(), SocialOrganisation.objects.count()) == before
