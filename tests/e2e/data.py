"""A small, realistic registry for the browser tests, built through the services.

Two counties of the test region tree (红山区 150402 and 松山区 150404), one staff user at
every level, and a handful of certified people in each county, so lists, counts and
cross-county refusals have something to show. Built per test: the browser tests use
transactional databases, which are emptied after every test.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

from dpf.registry import services
from dpf.registry.models import Person
from tests.factories import make_person, make_user

ISSUED = dt.date(2023, 3, 1)

# (name, village, birth, sex, category, level): plausible Chifeng names and a spread of
# categories and levels; two people share the initials "zhm" so a pinyin search lists more
# than one row.
PEOPLE: list[tuple[str, str, dt.date, str, int, int]] = [
    ("张海明", "150402001001", dt.date(1968, 4, 2), "M", 4, 2),
    ("赵慧敏", "150402001001", dt.date(1975, 9, 14), "F", 2, 3),
    ("乌云其木格", "150402001002", dt.date(1959, 1, 30), "F", 1, 1),
    ("巴特尔", "150404002001", dt.date(1982, 7, 21), "M", 5, 2),
    ("刘桂兰", "150404002002", dt.date(1950, 11, 5), "F", 7, 1),
]


@dataclass
class Registry:
    users: dict[str, Any] = field(default_factory=dict)
    people: list[Person] = field(default_factory=list)
    samples: dict[str, Any] = field(default_factory=dict)  # records made for object routes

    def user(self, key: str) -> Any:
        return self.users[key]


def seed_snapshot(as_of: dt.date = dt.date(2025, 12, 31)) -> None:
    """The 14th plan's indicators computed over the seeded registry (dashboard pages)."""
    from dpf.indicators.models import Plan
    from dpf.indicators.services import snapshot_store

    snapshot_store(plan=Plan.objects.get(code="P14"), as_of=as_of)


def seed_registry() -> Registry:
    """Users at every level in 红山区 (and one county officer of 松山区), five people."""
    data = Registry()
    data.users = {
        "city_admin": make_user("city_admin", "150400"),
        "county_officer": make_user("county_officer", "150402"),
        "other_county_officer": make_user("county_officer", "150404"),
        "township_officer": make_user("township_officer", "150402001"),
        "village_worker": make_user("village_worker", "150402001001"),
    }
    for name, village, birth, sex, category, level in PEOPLE:
        person = make_person(name=name, village_code=village, birth=birth, sex=sex)
        services.certificate_issue(
            actor=None, person=person, category=category, level=level, issue_date=ISSUED
        )
        data.people.append(person)
    return data


def seed_citizen(data: Registry) -> Any:
    """A portal account (role citizen) for the first seeded person, 张海明; kept in
    ``data.users["citizen"]``."""
    from dpf.portal.models import CitizenAccount

    user = make_user("citizen", None)
    CitizenAccount.objects.create(user=user, person=data.people[0])
    data.users["citizen"] = user
    return user


def seed_citizen_activity(data: Registry) -> dict[str, Any]:
    """What a citizen who has used the portal has: an online application for one benefit
    and a home-visit request, both through the services (``data.users["citizen"]``).

    Kept in ``data.samples`` as ``citizen_application`` and ``citizen_request``; the
    application leaves other benefits free to apply for.
    """
    from dpf.benefits.models import BenefitItem
    from dpf.portal import casework as portal_casework
    from dpf.workflow import services as workflow
    from dpf.workflow.models import ApplicantKind, Channel

    user = data.users["citizen"]
    person = data.people[0]
    first = BenefitItem.objects.filter(active=True).order_by("order", "code").first()
    assert first is not None, "no active benefit item to apply for"
    data.samples["citizen_application"] = workflow.application_submit(
        actor=user,
        person=person,
        benefit_codes=[first.code],
        applicant_kind=ApplicantKind.SELF,
        channel=Channel.ONLINE,
    )
    data.samples["citizen_request"] = portal_casework.request_submit(
        actor=user,
        person_id=person.pk,
        kind="home_visit",
        text="腿脚不便，希望工作人员上门帮忙办理辅具申请。",
        contact_preference="phone",
    )
    return data.samples
