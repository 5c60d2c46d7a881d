"""``dpf restore --input FILE``: a backup of ``dpf backup`` into an empty database.

Refuses a database that has any table (nothing is overwritten; to replace a database, drop
and recreate it first), a file that was altered, cut short or extended, a wrong passphrase
and a backup of the other database engine. Afterwards every table's row count and the
audit chain are checked against the backup's manifest.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from dpf.core import backup
from dpf.core.errors import ValidationFailed


class Command(BaseCommand):
    help = "从加密备份恢复到空数据库 / Restore an encrypted backup into an empty database"

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--input", required=True, help="a file written by dpf backup")
        parser.add_argument(
            "--passphrase-env",
            default=backup.PASSPHRASE_ENV,
            help=f"the environment variable holding the passphrase ({backup.PASSPHRASE_ENV})",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            passphrase = backup.passphrase_from_env(options["passphrase_env"])
            result = backup.restore(source=Path(options["input"]), passphrase=passphrase)
        except ValidationFailed as exc:
            raise CommandError(exc.bilingual) from None
        chain = result.audit
        self.stdout.write(
            f"restored the backup of {result.created_at} into the {result.engine} database: "
            f"{len(result.tables)} tables, {sum(result.tables.values())} rows as in the "
            f"backup; audit chain OK {chain.entries} entries, head {chain.head_hash}"
        )
