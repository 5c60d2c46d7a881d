"""Accounts already on file become verified (staff recorded them at the window or on a home
visit), except a change a citizen typed in the portal before verification existed: that one
goes back to pending, any earlier unverified portal change is superseded, and the last
account staff recorded is paid again until an officer verifies the change.

Set-based: two updates, one read of the few persons concerned, two bulk updates.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.db import migrations
from django.db.models import F

CITIZEN = "citizen"


def forwards(apps: Any, schema_editor: Any) -> None:
    account = apps.get_model("workflow", "PayeeAccount")
    account.objects.update(status="verified", decided_at=F("recorded_at"))
    concerned = account.objects.filter(
        valid_to__isnull=True, recorded_by__role=CITIZEN
    ).values_list("person_id", flat=True)
    rows = list(
        account.objects.filter(person_id__in=list(concerned))
        .select_related("recorded_by")
        .order_by("person_id", "valid_from", "id")
    )
    by_person: dict[int, list[Any]] = {}
    for row in rows:
        by_person.setdefault(row.person_id, []).append(row)
    changed: list[Any] = []
    for history in by_person.values():
        trusted = [r for r in history if getattr(r.recorded_by, "role", None) != CITIZEN]
        last_trusted = trusted[-1] if trusted else None
        start = history.index(last_trusted) + 1 if last_trusted is not None else 0
        for row in history[start:]:
            if getattr(row.recorded_by, "role", None) != CITIZEN:
                continue
            if row.valid_to is None:
                row.status, row.decided_at = "pending", None
            else:
                row.status = "superseded"
            changed.append(row)
        if last_trusted is not None and last_trusted.valid_to is not None:
            last_trusted.valid_to = None
            changed.append(last_trusted)
    account.objects.bulk_update(changed, ["status", "decided_at", "valid_to"], batch_size=1000)


def backwards(apps: Any, schema_editor: Any) -> None:
    """Back to one open account per person: a pending change is the open one again."""
    account = apps.get_model("workflow", "PayeeAccount")
    since = dict(account.objects.filter(status="pending").values_list("person_id", "valid_from"))
    current = list(
        account.objects.filter(person_id__in=list(since), status="verified", valid_to__isnull=True)
    )
    for row in current:
        row.valid_to = max(since[row.person_id] - dt.timedelta(days=1), row.valid_from)
    account.objects.bulk_update(current, ["valid_to"], batch_size=1000)
    account.objects.exclude(status="verified").update(status="verified")


class Migration(migrations.Migration):
    dependencies = [("workflow", "0003_payee_account_status")]

    operations = [migrations.RunPython(forwards, backwards)]
