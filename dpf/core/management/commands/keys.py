"""``dpf keys status|rotate|reencrypt|retire``: the personal-data encryption keys.

``rotate`` adds a key, makes it current and re-encrypts every encrypted column in
batches; ``--retire-old`` then drops the old keys no value uses any more.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser

from dpf.core import crypto, keyring
from dpf.core.errors import ValidationFailed


class Command(BaseCommand):
    help = "字段加密密钥 / Field-encryption keys: status, rotate, re-encrypt, retire"

    def add_arguments(self, parser: CommandParser) -> None:
        sub = parser.add_subparsers(dest="action", required=True)
        sub.add_parser("status", help="key ids in the ring and how many values use each")
        rotate = sub.add_parser("rotate", help="new current key; re-encrypt everything")
        rotate.add_argument("--batch-size", type=int, default=keyring.BATCH_SIZE)
        rotate.add_argument(
            "--retire-old", action="store_true", help="afterwards drop keys no value uses"
        )
        again = sub.add_parser("reencrypt", help="re-encrypt values not under the current key")
        again.add_argument("--batch-size", type=int, default=keyring.BATCH_SIZE)
        sub.add_parser("retire", help="drop old keys that no stored value uses")

    def handle(self, *args: Any, **options: Any) -> None:
        action = options["action"]
        if action == "status":
            self._status()
        elif action == "rotate":
            self._rotate(options["batch_size"], options["retire_old"])
        elif action == "reencrypt":
            count = keyring.reencrypt(
                batch_size=options["batch_size"],
                on_batch=self._progress,
                actor="dpf keys reencrypt",
            )
            self.stdout.write(f"re-encrypted {count} rows under {settings.DPF_FIELD_KEY_CURRENT}")
        else:
            self._retire()

    def _progress(self, label: str, rows: int) -> None:
        self.stdout.write(f"  {label}: {rows} rows")

    def _status(self) -> None:
        ring = settings.DPF_FIELD_KEYS
        self.stdout.write(f"current key: {settings.DPF_FIELD_KEY_CURRENT}")
        self.stdout.write(f"keys in ring: {', '.join(sorted(ring))}")
        source = "environment" if crypto.keys_from_environment() else "secrets file"
        self.stdout.write(f"source: {source}")
        for column, counts in keyring.columns_summary():
            shown = ", ".join(f"{k}={n}" for k, n in sorted(counts.items())) or "empty"
            self.stdout.write(f"{column}: {shown}")
        unknown = keyring.unknown_key_ids()
        if unknown:
            raise CommandError(f"values under keys missing from the ring: {', '.join(unknown)}")

    def _rotate(self, batch_size: int, retire_old: bool) -> None:
        if crypto.keys_from_environment():
            ring = keyring.add_key()
            self.stdout.write(
                "Keys come from the environment. Deploy these values on every server, "
                "restart, then run `dpf keys reencrypt` and later `dpf keys retire`:"
            )
            for line in ring.env_lines():
                self.stdout.write(line)
            return
        try:
            ring, count = keyring.rotate(
                actor="dpf keys rotate", batch_size=batch_size, on_batch=self._progress
            )
        except ValidationFailed as exc:
            raise CommandError(exc.bilingual) from None
        self.stdout.write(f"new current key {ring.current}; re-encrypted {count} rows")
        if retire_old:
            self._retire()

    def _retire(self) -> None:
        ring, retired, kept = keyring.retire_unused()
        for kid, n in sorted(kept.items()):
            self.stdout.write(f"kept {kid}: still used by {n} values (run dpf keys reencrypt)")
        if not retired:
            self.stdout.write("no key retired")
            return
        self.stdout.write(f"retired {', '.join(retired)}")
        if crypto.keys_from_environment():
            self.stdout.write("Deploy the reduced ring on every server:")
            for line in ring.env_lines():
                self.stdout.write(line)
