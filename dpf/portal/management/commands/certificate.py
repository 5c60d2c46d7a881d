"""``dpf certificate``: certificate numbers and electronic-certificate QR codes.

dpf certificate check NUMBER [--json]      validate a 20-character certificate number
dpf certificate verify PAYLOAD [--json]    verify a QR payload (or the URL it encodes)
dpf certificate keys [--rotate]            list the signing keys; make a new current key
"""

from __future__ import annotations

import datetime as dt
import json
import sys
from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from dpf.core.certnumber import parse_certificate_number
from dpf.core.errors import ValidationFailed
from dpf.portal import ecert


class Command(BaseCommand):
    help = "残疾人证号校验与电子证核验 / Certificate numbers and e-certificate codes"

    def add_arguments(self, parser: CommandParser) -> None:
        sub = parser.add_subparsers(dest="action", required=True)
        check = sub.add_parser("check", help="validate one certificate number")
        check.add_argument("number")
        check.add_argument("--json", action="store_true", help="print JSON")
        verify = sub.add_parser("verify", help="verify a QR payload")
        verify.add_argument("payload")
        verify.add_argument("--json", action="store_true", help="print JSON")
        verify.add_argument(
            "--on",
            type=dt.date.fromisoformat,
            default=None,
            help="verify as on this date, YYYY-MM-DD (default: today)",
        )
        keys = sub.add_parser("keys", help="signing keys")
        keys.add_argument("--rotate", action="store_true", help="create a new current key")

    def handle(self, *args: Any, **options: Any) -> None:
        action = options["action"]
        if action == "check":
            self._check(options)
        elif action == "verify":
            result = ecert.verify(options["payload"], today=options["on"])
            self._print(result.as_dict(), options["json"])
            if result.status != "valid":
                sys.exit(1)
        else:
            if options["rotate"]:
                key = ecert.create_key()
                self.stdout.write(f"new current key {key.kid}")
            for key in ecert.published_keys():
                state = "current" if key.current else f"retired, verifies until {key.verify_until}"
                self.stdout.write(f"{key.kid}\t{key.public_key}\t{state}")

    def _check(self, options: dict[str, Any]) -> None:
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
