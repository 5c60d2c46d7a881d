"""The optional link to ``dpf.benefits``: the rescan after a commit and "who is receiving".

The exchange works before the benefits app exists: without it the rescan is skipped (the
changed people stay queued through ``Person.facts_changed_at``) and the "left 低保 and
still receiving" list is empty with a note.
"""

from __future__ import annotations

import importlib
import importlib.util
from typing import Any

from django.apps import apps
from django.db.models import QuerySet

from dpf.registry.models import Person


def _module(name: str) -> Any | None:
    if not apps.is_installed("dpf.benefits") or importlib.util.find_spec(name) is None:
        return None
    return importlib.import_module(name)


def run_scan(*, actor: Any) -> Any | None:
    """Run the incremental scan if the benefits app provides one; None when it does not."""
    services = _module("dpf.benefits.services")
    scan = getattr(services, "scan", None) if services is not None else None
    if scan is None:
        return None
    return scan(actor=actor, incremental=True)


def receiving_living_allowance(persons: QuerySet[Person]) -> QuerySet[Person] | None:
    """Those of ``persons`` with an active living-allowance entitlement (None: unknown)."""
    selectors = _module("dpf.benefits.selectors")
    receiving = getattr(selectors, "persons_receiving", None) if selectors is not None else None
    if receiving is None:
        return None
    result: QuerySet[Person] = receiving(persons, "living_allowance")
    return result
