"""``dpf levy compute --input FILE.json [--json]``: one declaration's levy, no database.

For auditors and tests: the rules in force for the levy year (``dpf/employment/data/
levy_rules.json``) applied to the file's figures. Bad input prints the error (code, message
in Chinese and English, field) and exits 1.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from dpf.employment.levy import LevyInputInvalid, compute, parse_declaration

MAX_INPUT_BYTES = 1_000_000


class Command(BaseCommand):
    help = "残疾人就业保障金计算 / Compute the employment security levy of one declaration"
    requires_system_checks: list[str] = []

    def add_arguments(self, parser: CommandParser) -> None:
        sub = parser.add_subparsers(dest="action", required=True)
        run = sub.add_parser("compute", help="compute one declaration from a JSON file")
        run.add_argument("--input", required=True, help="the declaration as a JSON file")
        run.add_argument("--json", action="store_true", help="print JSON")

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            data = _read(Path(options["input"]))
            result = compute(parse_declaration(data)).as_dict()
        except LevyInputInvalid as exc:
            self._print({"error": exc.code, **_error_fields(exc)}, options["json"])
            sys.exit(1)
        self._print(result, options["json"])

    def _print(self, result: dict[str, Any], as_json: bool) -> None:
        if as_json:
            self.stdout.write(json.dumps(result, ensure_ascii=False))
        else:
            for key, value in result.items():
                self.stdout.write(f"{key}: {value}")


def _error_fields(exc: LevyInputInvalid) -> dict[str, Any]:
    return {"message": exc.message_zh, "message_en": exc.message_en, "field": exc.field}


def _read(path: Path) -> object:
    try:
        raw = path.read_bytes()[: MAX_INPUT_BYTES + 1]
    except OSError:
        raise LevyInputInvalid(
            "file", "无法读取输入文件", "The input file cannot be read", field="input"
        ) from None
    if len(raw) > MAX_INPUT_BYTES:
        raise LevyInputInvalid(
            "file_too_large",
            "输入文件超过1 MB",
            "The input file is larger than 1 MB",
            field="input",
        )
    try:
        return json.loads(raw.decode("utf-8"))
    except (UnicodeDecodeError, ValueError):
        raise LevyInputInvalid(
            "not_json",
            "输入文件不是有效的 UTF-8 JSON",
            "The input file is not valid UTF-8 JSON",
            field="input",
        ) from None
