"""What every step of the demo generator receives: the seed, the demo's date, the row
counts, and the clerks the services act as.

A step is a function ``step(ctx: DemoContext) -> None`` listed in
``dpf.demo.management.commands.demo.STEPS``; it draws its random numbers from
``ctx.rng(name)`` (the same seed gives the same demo) and never reads the wall clock:
dates come from ``ctx.as_of``.
"""

from __future__ import annotations

import datetime as dt
import random
from dataclasses import dataclass, field

from django.contrib.auth.hashers import make_password

from dpf.accounts.models import User
from dpf.core.roles import Role


@dataclass
class Counts:
    """Rows inserted, by table."""

    rows: dict[str, int] = field(default_factory=dict)

    def add(self, table: str, n: int) -> None:
        self.rows[table] = self.rows.get(table, 0) + n


@dataclass
class DemoContext:
    seed: int
    as_of: dt.date
    counts: Counts = field(default_factory=Counts)
    # Persons the journeys took through the services: the bulk steps leave them alone.
    journey_person_ids: set[int] = field(default_factory=set)
    _clerks: dict[tuple[str, str], User] = field(default_factory=dict)

    def rng(self, name: str) -> random.Random:
        return random.Random(f"dpf-demo:{name}:{self.seed}")

    def clerk(self, role: str, region_code: str) -> User:
        """The officer of ``role`` in ``region_code`` who recorded the history: a demo
        account nobody can sign in to (unusable password), so the audit log and the
        transitions name who acted."""
        key = (role, region_code)
        if key not in self._clerks:
            user, _ = User.objects.get_or_create(
                username=f"demo_clerk_{role}_{region_code}",
                defaults={
                    "role": role,
                    "region_id": region_code,
                    "demo": True,
                    "password": make_password(None),
                    "is_active": True,
                },
            )
            self._clerks[key] = user
        return self._clerks[key]

    def county_clerk(self, county_code: str) -> User:
        return self.clerk(Role.COUNTY_OFFICER, county_code)
