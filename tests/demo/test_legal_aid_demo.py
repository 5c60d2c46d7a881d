"""The demo's legal aid step: referrals of each county's persons in the shape the services
write (region codes the person's, answers dated in order and never after the demo's date),
some concluded, some awaiting an answer past 30 days; nothing more on a second run."""

from __future__ import annotations

import datetime as dt

import pytest

from dpf.demo.context import DemoContext
from dpf.demo.legal_aid import legal_aid_referrals
from dpf.social import legal_aid
from dpf.social.models import LegalAidReferral, LegalAidStatus
from tests.factories import make_person, make_user

pytestmark = pytest.mark.django_db
AS_OF = dt.date(2025, 12, 31)


def test_the_step_writes_referrals_the_services_would() -> None:
    for n in range(40):
        make_person(village_code=("150402001001", "150404002001")[n % 2])
    legal_aid_referrals(DemoContext(seed=7, as_of=AS_OF))
    rows = list(LegalAidReferral.objects.select_related("person"))
    assert len(rows) >= 6
    assert {r.county_code for r in rows} == {"150402", "150404"}
    for r in rows:
        assert (r.county_code, r.village_code) == (r.person.county_code, r.person.village_code)
        dates = [d for d in (r.referred_on, r.accepted_on, r.concluded_on) if d is not None]
        assert dates == sorted(dates)
        assert max(dates) <= AS_OF
        assert r.declined_on is None or (r.decline_reason and r.declined_on >= r.referred_on)
        assert r.concluded_on is None or r.result
        assert r.referred_to.endswith("法律援助中心")
        assert len(r.referred_to) > 6
    city = make_user("city_admin", "150400")
    counts = legal_aid.status_counts(city, today=AS_OF)
    assert sum(counts[s] for s in LegalAidStatus.values) == len(rows)
    legal_aid_referrals(DemoContext(seed=7, as_of=AS_OF))
    assert LegalAidReferral.objects.count() == len(rows)
