"""``dpf audit verify`` and ``dpf audit prune --before DATE``: the audit log's chain and age.

``verify`` also compares the log with the newest signed checkpoint outside the database
(``dpf.core.audit_checkpoint``) and, when all holds, appends and prints a new one.
"""

from __future__ import annotations

import datetime as dt
import sys
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from dpf.core import audit, audit_checkpoint
from dpf.core.errors import ValidationFailed


def _date(text: str) -> dt.date:
    try:
        return dt.date.fromisoformat(text)
    except ValueError:
        raise CommandError("日期格式应为 YYYY-MM-DD / the date must be YYYY-MM-DD") from None


class Command(BaseCommand):
    help = "审计日志校验与清理 / Verify the audit chain; prune entries older than six months"

    def add_arguments(self, parser: CommandParser) -> None:
        sub = parser.add_subparsers(dest="action", required=True)
        sub.add_parser(
            "verify",
            help="walk the hash chain and compare its head with the newest signed checkpoint; "
            "exit 1 at a broken entry, missing newest entries or a forged checkpoint",
        )
        prune = sub.add_parser("prune", help="delete entries older than --before (≥ 183 days)")
        prune.add_argument("--before", required=True, help="YYYY-MM-DD")

    def handle(self, *args: Any, **options: Any) -> None:
        if options["action"] == "verify":
            outcome = audit_checkpoint.verify_and_checkpoint()
            result = outcome.verification
            if not result.ok:
                self.stdout.write(f"BROKEN at entry {result.broken_id}")
                sys.exit(1)
            if outcome.problem is not None:
                self.stdout.write(outcome.problem.message)
                sys.exit(1)
            self.stdout.write(f"OK {result.entries} entries, head {result.head_hash}")
            if outcome.written is not None:
                # Printed too, so the operations log keeps a copy outside this machine's file.
                self.stdout.write(f"checkpoint {outcome.written.line()}")
            return
        before = _date(options["before"])
        try:
            count = audit.prune(actor="dpf audit prune", before=before)
        except ValidationFailed as exc:
            raise CommandError(exc.bilingual) from None
        self.stdout.write(f"pruned {count} entries older than {before.isoformat()}")
