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

# The user name of a demo portal account: this prefix and the person's id.
PORTAL_USER = "demo_portal_"


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

    def clerk(self, role: str, region_code: str, number: int = 1) -> User:
        """The officer of ``role`` in ``region_code`` who recorded the history, so the audit
        log and the transitions name who acted: a demo account with an unusable password,
        active only while the history is written (``retire_clerks``)."""
        key = (role, region_code if number == 1 else f"{region_code}_{number}")
        if key not in self._clerks:
            user, _ = User.objects.get_or_create(
                username=f"demo_clerk_{role}_{key[1]}",
                defaults={
                    "role": role,
                    "region_id": region_code,
                    "demo": True,
                    "password": make_password(None),
                },
            )
            if not user.is_active:  # retired by an earlier run
                user.is_active = True
                user.save(update_fields=["is_active"])
            self._clerks[key] = user
        return self._clerks[key]

    def prepare_clerks(self, role: str, region_codes: set[str]) -> None:
        """The clerks of ``role`` in each of ``region_codes`` at once (a step that needs one
        per village or township): those an earlier run made are reactivated, the others
        bulk-created, as ``clerk`` would one by one."""
        wanted = {f"demo_clerk_{role}_{code}": code for code in region_codes}
        wanted = {name: code for name, code in wanted.items() if (role, code) not in self._clerks}
        found = {u.username: u for u in User.objects.filter(username__in=list(wanted))}
        User.objects.filter(pk__in=[u.pk for u in found.values() if not u.is_active]).update(
            is_active=True
        )
        User.objects.bulk_create(
            [
                User(
                    username=name,
                    role=role,
                    region_id=code,
                    demo=True,
                    password=make_password(None),
                )
                for name, code in sorted(wanted.items())
                if name not in found
            ],
            batch_size=1000,
        )
        for user in User.objects.filter(username__in=list(wanted)):
            user.is_active = True
            self._clerks[role, wanted[user.username]] = user

    def retire_clerks(self) -> None:
        """Deactivate the clerks: nobody signs in as them, and the demo's log-in page
        (which lists the active demo accounts) does not offer them."""
        User.objects.filter(pk__in=[u.pk for u in self._clerks.values()]).update(is_active=False)

    def county_clerk(self, county_code: str) -> User:
        return self.clerk(Role.COUNTY_OFFICER, county_code)

    def portal_users(self, first_use: dict[int, dt.datetime]) -> dict[int, User]:
        """The portal accounts (群众账号) of the persons who applied or complained online in
        the history (``first_use``: person id -> when they first did), bulk-written: the
        person's existing account, or a new demo account ``demo_portal_<id>`` opened that
        day, with an unusable password and inactive like the clerks, so nobody signs in as
        it and the demo's log-in page does not offer it."""
        from dpf.portal.models import CitizenAccount  # the portal links citizens to persons

        accounts = {
            a.person_id: a
            for a in CitizenAccount.objects.filter(person_id__in=list(first_use)).select_related(
                "user"
            )
        }
        wanted = sorted(set(first_use) - set(accounts))
        users = User.objects.bulk_create(
            [
                User(
                    username=f"{PORTAL_USER}{pk}",
                    role=Role.CITIZEN,
                    demo=True,
                    is_active=False,
                    password=make_password(None),
                    date_joined=first_use[pk],
                )
                for pk in wanted
            ],
            batch_size=1000,
        )
        by_name = dict(
            User.objects.filter(username__in=[u.username for u in users]).values_list(
                "username", "pk"
            )
        )
        created = CitizenAccount.objects.bulk_create(
            [CitizenAccount(user_id=by_name[f"{PORTAL_USER}{pk}"], person_id=pk) for pk in wanted],
            batch_size=1000,
        )
        self.counts.add("portal_citizenaccount", len(created))
        # created_at is set on insert (auto_now_add): dated back to the first use here, and
        # an earlier run's demo account moved back when this run's use came first.
        for account in CitizenAccount.objects.filter(person_id__in=wanted).select_related("user"):
            accounts[account.person_id] = account
        moved = []
        for pk, account in accounts.items():
            demo_account = account.user.username == f"{PORTAL_USER}{pk}"
            if demo_account and (pk in wanted or account.created_at > first_use[pk]):
                account.created_at = first_use[pk]
                moved.append(account)
        CitizenAccount.objects.bulk_update(moved, ["created_at"], batch_size=1000)
        return {pk: account.user for pk, account in accounts.items()}
