"""``dpf regions load FILE.csv``: load township and village levels of the region tree."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from dpf.core.errors import ValidationFailed
from dpf.core.regions import load_regions, parse_region_rows


class Command(BaseCommand):
    help = "加载地区 / Load regions (columns: code, name, parent_code, level[, name_en, kind])"

    def add_arguments(self, parser: CommandParser) -> None:
        sub = parser.add_subparsers(dest="action", required=True)
        load = sub.add_parser("load", help="load a CSV file (UTF-8)")
        load.add_argument("file", type=Path)
        load.add_argument("--synthetic", action="store_true", help="names are invented")

    def handle(self, *args: Any, **options: Any) -> None:
        path: Path = options["file"]
        try:
            text = path.read_text(encoding="utf-8-sig")
        except (OSError, UnicodeDecodeError) as exc:
            raise CommandError(
                f"无法读取文件 / cannot read the file: {exc.__class__.__name__}"
            ) from None
        try:
            count = load_regions(parse_region_rows(text), synthetic=options["synthetic"])
        except ValidationFailed as exc:
            raise CommandError(exc.bilingual) from None
        self.stdout.write(f"loaded {count} regions")
