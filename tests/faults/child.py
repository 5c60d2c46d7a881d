"""A job run in a child process that stops, alive, at a chosen point so a test can SIGKILL it.

    python -m tests.faults.child --pause MODULE:FUNCTION [--nth N] [--when before|after]
        --marker FILE -- dpf ARGS…          (a real ``dpf`` command)
                      -- job NAME ARGS…     (a service without a command, see ``JOBS``)

The N-th call of ``MODULE.FUNCTION`` (looked up as a module attribute, the way the platform
calls it) first runs (``after``) or not (``before``), then the marker file is written and
the process sleeps until it is killed. Nothing in the platform is changed or mocked: the
job runs its real code against the real database; the pause only chooses where the kill
lands. Without ``--pause`` the job runs to its end (the re-run after a kill).
"""

from __future__ import annotations

import argparse
import datetime as dt
import importlib
import os
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any


def _install_pause(target: str, nth: int, when: str, marker: Path) -> None:
    module_name, _, function_name = target.partition(":")
    module = importlib.import_module(module_name)
    real = getattr(module, function_name)
    calls = 0

    def stop_here() -> None:
        marker.write_text(f"paused at {target} call {nth} ({when})", encoding="utf-8")
        while True:  # until SIGKILL
            time.sleep(60)

    def paused(*args: Any, **kwargs: Any) -> Any:
        nonlocal calls
        calls += 1
        if calls == nth and when == "before":
            stop_here()
        result = real(*args, **kwargs)
        if calls == nth:
            stop_here()
        return result

    setattr(module, function_name, paused)


def _payment_list(username: str, county: str, benefit: str, month: str) -> None:
    """Generate one payment list as the county officer ``username`` (the list page's job)."""
    from dpf.accounts.models import User
    from dpf.benefits.models import BenefitItem
    from dpf.workflow import services

    day = dt.date.fromisoformat(month)
    services.payment_list_generate(
        actor=User.objects.get(username=username),
        county_code=county,
        benefit=BenefitItem.objects.get(code=benefit),
        month=day,
        today=day,
        now=dt.datetime(day.year, day.month, day.day, 9, tzinfo=dt.UTC),
    )


JOBS: dict[str, Callable[..., None]] = {"payment-list": _payment_list}


def main(argv: list[str]) -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--pause")
    parser.add_argument("--nth", type=int, default=1)
    parser.add_argument("--when", choices=["before", "after"], default="after")
    parser.add_argument("--marker", type=Path)
    parser.add_argument("kind", choices=["dpf", "job"])
    parser.add_argument("args", nargs=argparse.REMAINDER)
    options = parser.parse_args(argv)
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    import django

    django.setup()
    if options.pause:
        _install_pause(options.pause, options.nth, options.when, options.marker)
    if options.kind == "dpf":
        from django.core.management import execute_from_command_line

        execute_from_command_line(["dpf", *options.args])
    else:
        name, *args = options.args
        JOBS[name](*args)


if __name__ == "__main__":
    main(sys.argv[1:])
