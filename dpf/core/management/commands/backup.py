"""``dpf backup --output FILE``: an encrypted copy of the whole database (dpf.core.backup).

The passphrase comes from the environment (``DPF_BACKUP_PASSPHRASE``, or the variable named
by ``--passphrase-env``), never from the command line.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from dpf.core import backup
from dpf.core.errors import ValidationFailed


class Command(BaseCommand):
    help = "加密备份整个数据库 / Write an encrypted backup of the whole database"

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--output", required=True, help="a new file (never overwritten)")
        parser.add_argument(
            "--passphrase-env",
            default=backup.PASSPHRASE_ENV,
            help=f"the environment variable holding the passphrase ({backup.PASSPHRASE_ENV})",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            passphrase = backup.passphrase_from_env(options["passphrase_env"])
            result = backup.backup(output=Path(options["output"]), passphrase=passphrase)
        except ValidationFailed as exc:
            raise CommandError(exc.bilingual) from None
        head = result.audit_head
        self.stdout.write(
            f"backup of the {result.engine} database written to {result.path}: "
            f"{len(result.tables)} tables, {sum(result.tables.values())} rows, "
            f"audit log {head['entries']} entries, head {head['head_hash'] or '-'}"
        )
