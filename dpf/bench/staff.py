"""Staff at work, for the load benchmark (``dpf bench load``): bench accounts of several
roles and regions, applications waiting for their approval, and each session's requests.

Runs inside the benchmark database (``dpf bench step staff``), which holds only synthetic
people. The accounts, named ``bench_…``, are demo accounts (the published demo password;
they log in on a demo installation only), or, for a server with the production settings
(``production=True``), ordinary accounts with a TOTP device for every role that needs one:
the scenario carries their keys and says that the load tools stand in for the HTTPS proxy.
"""

from __future__ import annotations

import datetime as dt
import random
import urllib.parse
from dataclasses import dataclass
from typing import Any

from django.contrib.auth.hashers import make_password
from django.db import transaction
from django.db.models import Count
from django_otp.plugins.otp_totp.models import TOTPDevice

from dpf.accounts import otp
from dpf.accounts.backends import DEMO_PASSWORD
from dpf.accounts.models import User
from dpf.core.roles import Role
from dpf.indicators.models import Indicator
from dpf.registry.models import Person
from dpf.workflow import services
from dpf.workflow.models import ApplicationItem, ItemStatus, Transition

# Shares of the sessions by role; the rest are village workers.
SHARES = ((Role.TOWNSHIP_OFFICER, 0.3), (Role.COUNTY_OFFICER, 0.2), (Role.CITY_ADMIN, 0.1))
CITY = "150400"
APPLICATIONS_PER_OFFICER = 30
SAMPLE = 40  # persons of its region each session searches for and opens
SUBMITTED = dt.datetime(2026, 11, 2, 9, tzinfo=dt.UTC)


@dataclass(frozen=True)
class Staff:
    username: str
    role: str
    region: str
    totp_key: str = ""


def _busiest(level_field: str, n: int) -> list[str]:
    """The ``n`` regions of a level with the most living persons (one GROUP BY)."""
    rows = (
        Person.objects.filter(death_date__isnull=True)
        .exclude(**{level_field: ""})
        .values(level_field)
        .annotate(n=Count("pk"))
        .order_by("-n", level_field)[:n]
    )
    return [r[level_field] for r in rows]


def _counts(sessions: int) -> dict[str, int]:
    counts = {str(role): max(1, round(sessions * share)) for role, share in SHARES}
    counts[Role.VILLAGE_WORKER] = sessions - sum(counts.values())
    if counts[Role.VILLAGE_WORKER] < 0:
        raise ValueError("at least four sessions (one per role)")
    return counts


@transaction.atomic
def create_staff(sessions: int, *, demo: bool = True) -> list[Staff]:
    """``sessions`` bench accounts: township and county officers, city admins and village
    workers, each in one of the busiest regions of its level (regions reused when there
    are fewer regions than accounts). Not ``demo``: ordinary accounts, each role that
    requires the second factor with a confirmed TOTP device (kept from an earlier call, so
    a second scenario on the same database logs in with the same keys)."""
    counts = _counts(sessions)
    levels = {
        Role.TOWNSHIP_OFFICER: "township_code",
        Role.COUNTY_OFFICER: "county_code",
        Role.VILLAGE_WORKER: "village_code",
    }
    password = make_password(DEMO_PASSWORD)
    staff: list[Staff] = []
    for role, n in counts.items():
        regions = _busiest(levels[Role(role)], n) if role in levels else [CITY]
        for i in range(n):
            region = regions[i % len(regions)]
            username = f"bench_{role}_{i + 1:02d}"
            user, _ = User.objects.update_or_create(
                username=username,
                defaults={
                    "role": role,
                    "region_id": region,
                    "password": password,
                    "demo": demo,
                    "is_active": True,
                },
            )
            key = ""
            if otp.required_for(user):
                device, _ = TOTPDevice.objects.get_or_create(
                    user=user, name=otp.DEVICE_NAME, defaults={"confirmed": True}
                )
                key = device.key
            staff.append(Staff(username, role, region, key))
    return staff


def seed_applications(officer: User, per_officer: int) -> list[ApplicationItem]:
    """Applications of persons of the officer's township waiting at its first step, each
    submitted through the platform's own service."""
    persons = (
        Person.objects.filter(township_code=officer.region_id, death_date__isnull=True)
        .exclude(applications__isnull=False)
        .order_by("pk")[:per_officer]
    )
    items = []
    for person in persons:
        application = services.application_submit(
            actor=officer,
            person=person,
            benefit_codes=["living_allowance"],
            applicant_kind="worker",
            channel="window",
            now=SUBMITTED,
            today=SUBMITTED.date(),
        )
        items += list(application.items.all())
    return items


def _region_filter(staff: Staff) -> dict[str, str]:
    if staff.region == CITY:
        return {}
    field = {
        Role.TOWNSHIP_OFFICER: "township_code",
        Role.COUNTY_OFFICER: "county_code",
        Role.VILLAGE_WORKER: "village_code",
    }[Role(staff.role)]
    return {field: staff.region}


def _reads(staff: Staff, rng: random.Random, indicators: list[str]) -> list[dict[str, Any]]:
    """Searches (by name, pinyin initials, ID number) and person pages in the session's
    region, dashboard and indicator pages: one round of the session's reading."""
    ids = list(
        Person.objects.filter(death_date__isnull=True, **_region_filter(staff)).values_list(
            "pk", flat=True
        )
    )
    sample = rng.sample(ids, min(SAMPLE, len(ids)))
    people = Person.objects.filter(pk__in=sample).only("pk", "name", "name_initials", "id_number")
    reads: list[dict[str, Any]] = []
    for n, person in enumerate(people):
        search: dict[str, Any]
        if n % 3 == 0:
            search = {"kind": "search by name", "path": _search(person.name)}
        elif n % 3 == 1:
            search = {"kind": "search by pinyin", "path": _search(person.name_initials)}
        else:
            search = {
                "kind": "search by ID number",
                "method": "POST",
                "path": "/registry/",
                "form": {"q": person.id_number},
            }
        reads.append(search)
        reads.append({"kind": "person page", "path": f"/registry/person/{person.pk}/"})
        if n % 4 == 3:
            reads.append({"kind": "dashboard", "path": "/indicators/"})
        if n % 8 == 7 and indicators:
            code = indicators[(n // 8) % len(indicators)]
            reads.append({"kind": "indicator page", "path": f"/indicators/{code}/"})
    return reads


def _search(text: str) -> str:
    return "/registry/?" + urllib.parse.urlencode({"q": text})


def _approvals(items: list[ApplicationItem]) -> list[list[dict[str, Any]]]:
    """Per application: open it, pass its first step, then its second (both the
    township's): each approval once."""
    rounds = []
    for item in items:
        page = f"/workflow/applications/{item.application_id}/"
        decide = f"/workflow/items/{item.pk}/decide/"
        steps = [item.step_code, "township_report"]
        rounds.append(
            [{"kind": "application page", "path": page, "once": True}]
            + [
                {
                    "kind": "approval",
                    "method": "POST",
                    "path": decide,
                    "form": {f"i{item.pk}-expected_step": s, f"i{item.pk}-decision": "advance"},
                    "expect": [302],
                    "once": True,
                }
                for s in steps
            ]
        )
    return rounds


def step_staff(
    sessions: int = 50, per_officer: int = APPLICATIONS_PER_OFFICER, *, production: bool = False
) -> dict[str, Any]:
    """Create the accounts and the applications; return the load tools' scenario (the same
    reads each call on the same registry, the approvals of fresh applications)."""
    rng = random.Random(7)
    staff = create_staff(sessions, demo=not production)
    indicators = list(Indicator.objects.order_by("code").values_list("code", flat=True)[:12])
    users = {u.username: u for u in User.objects.filter(username__startswith="bench_")}
    out = []
    waiting = 0
    for member in staff:
        requests = _reads(member, rng, indicators)
        if member.role == Role.TOWNSHIP_OFFICER:
            items = seed_applications(users[member.username], per_officer)
            waiting += len(items)
            merged: list[dict[str, Any]] = []
            approvals = _approvals(items)
            per_read = max(1, len(requests) // max(1, len(approvals)))
            for i, read in enumerate(requests):
                merged.append(read)
                if i % per_read == per_read - 1 and approvals:
                    merged += approvals.pop(0)
            for rest in approvals:
                merged += rest
            requests = merged
        session = {"username": member.username, "role": member.role, "requests": requests}
        if member.totp_key:
            session["totp_key"] = member.totp_key
        out.append(session)
    return {
        "password": DEMO_PASSWORD,
        "sessions": out,
        "applications_waiting": waiting,
        # behind the production settings' HTTPS redirect the tools act as the proxy
        "forwarded_https": production,
    }


def step_load_check() -> dict[str, Any]:
    """After the load: the approvals the bench officers' steps recorded, and the audit
    chain."""
    from dpf.core import audit

    passed = Transition.objects.filter(
        actor__username__startswith="bench_", action=Transition.Action.ADVANCE
    ).count()
    in_progress = ApplicationItem.objects.filter(status=ItemStatus.IN_PROGRESS).count()
    return {
        "approvals_recorded": passed,
        "items_in_progress": in_progress,
        "audit_chain_intact": audit.verify() is None,
    }
