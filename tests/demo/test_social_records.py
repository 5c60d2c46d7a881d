"""The demo's social steps: teams, volunteers with consent, events with hours and social
organisations, counted by T0506-T0508 on the demo's date; facilities in states the register
accepts and culture activities with participants of the organising county; nothing more on a
second run."""

from __future__ import annotations

import datetime as dt

import pytest

from dpf.demo.context import DemoContext
from dpf.demo.social_records import facilities_and_culture, volunteers_and_organisations
from dpf.social import counters, culture
from dpf.social.models import (
    ActivityParticipation,
    CultureActivity,
    EventSignup,
    Facility,
    SocialOrganisation,
    Volunteer,
    VolunteerTeam,
)
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
    assert all(
        v.registered_on is not None and v.consent_on == v.registered_on <= AS_OF
        for v in Volunteer.objects.all()
    )
    incubated = SocialOrganisation.objects.filter(incubated_on__lte=AS_OF).count()
    assert sum(counters.organisations_incubated(AS_OF, None).values()) == incubated > 0
    assert EventSignup.objects.filter(attended=True, hours__gt=0).exists()
    before = (Volunteer.objects.count(), SocialOrganisation.objects.count())
    volunteers_and_organisations(DemoContext(seed=7, as_of=AS_OF))
    assert (Volunteer.objects.count(), SocialOrganisation.objects.count()) == before


def test_facilities_and_culture() -> None:
    people = [make_person(village_code=v) for v in ("150402001001", "150404002001")]
    ctx = DemoContext(seed=7, as_of=AS_OF)
    facilities_and_culture(ctx)
    assert Facility.objects.exists()
    for facility in Facility.objects.all():
        dates = [
            d
            for d in (
                facility.planned_on,
                facility.building_from,
                facility.opened_on,
                facility.closed_on,
            )
            if d is not None
        ]
        assert dates == sorted(dates)
        assert max(dates) <= AS_OF
        assert (facility.opening_year is not None) == (facility.state in ("open", "closed"))
    assert not CultureActivity.objects.filter(held_on__gt=AS_OF).exists()
    rows = ActivityParticipation.objects.select_related("activity", "person")
    assert rows.exists()
    assert all(r.person.county_code == r.activity.county_code == r.county_code for r in rows)
    by_township = culture.participation_by_township(AS_OF, dt.date(2021, 1, 1))
    assert sum(by_township.values()) == rows.count()
    assert {p.township_code for p in people} >= set(by_township)
    before = (Facility.objects.count(), rows.count())
    facilities_and_culture(DemoContext(seed=7, as_of=AS_OF))
    assert (Facility.objects.count(), rows.count()) == before
