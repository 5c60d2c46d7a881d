"""``dpf security table``: the permission table as markdown (pasted into docs/security.md)."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from dpf.accounts.permissions import markdown_table


class Command(BaseCommand):
    help = "权限表 / Print the role permission table (markdown)"

    def add_arguments(self, parser: CommandParser) -> None:
        sub = parser.add_subparsers(dest="action", required=True)
        sub.add_parser("table", help="print the permission table as markdown")

    def handle(self, *args: Any, **options: Any) -> None:
        self.stdout.write(markdown_table(), ending="")
