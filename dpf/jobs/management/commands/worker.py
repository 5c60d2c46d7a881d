"""``dpf worker``: the background worker (django-q2's cluster) with the scheduler's tick.

Stops cleanly on SIGTERM/SIGINT (systemd, ``./run demo``'s Ctrl-C); a job it was running
when killed outright is taken again by the next worker (``dpf.jobs.runner``).
"""

from __future__ import annotations

from typing import Any

from django.core.management import call_command
from django.core.management.base import BaseCommand

from dpf.jobs.runner import beat

TICK = "dpf.jobs.runner.tick"


class Command(BaseCommand):
    help = "Run the background worker: queued jobs and the schedules (dpf.jobs)"

    def handle(self, *args: Any, **options: Any) -> None:
        from django_q.models import Schedule as QSchedule

        # One minute tick, installed once per database; the schedules themselves are data
        # in dpf.jobs.Schedule that the city admin edits.
        QSchedule.objects.update_or_create(
            name="dpf-tick",
            defaults={
                "func": TICK,
                "schedule_type": QSchedule.MINUTES,
                "minutes": 1,
                "repeats": -1,
            },
        )
        beat()
        call_command("qcluster")
