"""``dpf calendar load FILE.csv``: load a year's public holidays and adjusted working days."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from dpf.core.errors import ValidationFailed
from dpf.core.workdays import load_calendar, parse_calendar


class Command(BaseCommand):
    help = "节假日日历 / Public-holiday calendar (columns: date, kind holiday|workday, name)"

    def add_arguments(self, parser: CommandParser) -> None:
        sub = parser.add_subparsers(dest="action", required=True)
        load = sub.add_parser("load")
        load.add_argument("file", type=Path)

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            text = options["file"].read_text(encoding="utf-8-sig")
            count = load_calendar(parse_calendar(text))
        except (OSError, UnicodeDecodeError):
            raise CommandError("无法读取文件 / cannot read the file") from None
        except ValidationFailed as exc:
            raise CommandError(exc.bilingual) from None
        self.stdout.write(f"loaded {count} calendar days")
