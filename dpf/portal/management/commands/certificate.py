"""``dpf certificate check NUMBER [--json]``: validate a disability certificate number."""

from __future__ import annotations

import json
import sys
from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from dpf.core.certnumber import parse_certificate_number
from dpf.core.errors import ValidationFailed


class Command(BaseCommand):
    help = "残疾人证号校验 / Check a disability certificate number"

    def add_arguments(self, parser: CommandParser) -> None:
        sub = parser.add_subparsers(dest="action", required=True)
        check = sub.add_parser("check", help="validate one certificate number")
        check.add_argument("number")
        check.add_argument("--json", action="store_true", help="print JSON")

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            parsed = parse_certificate_number(options["number"])
        except ValidationFailed as exc:
            result: dict[str, Any] = {
                "valid": False,
                "error": exc.code,
                "message": exc.message_zh,
                "message_en": exc.message_en,
            }
            self._print(result, options["json"])
            sys.exit(1)
        self._print(parsed.as_dict(), options["json"])

    def _print(self, result: dict[str, Any], as_json: bool) -> None:
        if as_json:
            self.stdout.write(json.dumps(result, ensure_ascii=False))
        else:
            for key, value in result.items():
                self.stdout.write(f"{key}: {value}")
