"""``dpf rules eval``: what-if for one person described in JSON (no database needed);
``dpf rules check``: compile a rule text and report the first error with its position.

    dpf rules eval --benefit nursing_allowance --as-of 2025-06-30 --facts person.json --json

Exit 0 whether eligible or not; exit 2 with a message in Chinese and English on a bad
file, invalid JSON, an unknown benefit or invalid facts (naming the field).
"""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from dpf.core.errors import DomainError

EXIT_REFUSED = 2


def _date(raw: str) -> dt.date:
    try:
        return dt.date.fromisoformat(raw)
    except ValueError:
        raise CommandError(
            f"日期格式应为 YYYY-MM-DD：{raw} / a date is written YYYY-MM-DD: {raw}",
            returncode=EXIT_REFUSED,
        ) from None


def _refused(exc: DomainError) -> CommandError:
    where = f" [{exc.field}]" if exc.field else ""
    return CommandError(f"{exc.code}{where}: {exc.bilingual}", returncode=EXIT_REFUSED)


class Command(BaseCommand):
    help = "规则试算与检查 / Evaluate a benefit for a person in JSON; check a rule text"
    requires_system_checks: list[str] = []  # the what-if must run without a database

    def add_arguments(self, parser: CommandParser) -> None:
        sub = parser.add_subparsers(dest="action", required=True)
        ev = sub.add_parser("eval", help="evaluate one benefit for a person described in JSON")
        ev.add_argument("--benefit", required=True, help="benefit code, e.g. living_allowance")
        ev.add_argument("--as-of", required=True, help="YYYY-MM-DD")
        ev.add_argument("--facts", required=True, help="JSON file describing the person")
        ev.add_argument("--region", default="", help="county code (residence, widening)")
        ev.add_argument(
            "--use-db",
            action="store_true",
            help="use the versions stored in the database, with the county's widening",
        )
        ev.add_argument("--json", action="store_true", help="print JSON")
        check = sub.add_parser("check", help="compile a rule (text or file) and report errors")
        check.add_argument("rule", help="rule text, or the path of a file holding it")
        check.add_argument("--kind", choices=["bool", "number"], default="bool")
        check.add_argument("--json", action="store_true", help="print JSON")

    def handle(self, *args: Any, **options: Any) -> None:
        if options["action"] == "eval":
            self._eval(options)
        else:
            self._check(options)

    def _eval(self, options: dict[str, Any]) -> None:
        from dpf.benefits import whatif

        as_of = _date(options["as_of"])
        try:
            facts = whatif.read_facts_file(options["facts"])
            result = whatif.evaluate(
                options["benefit"],
                facts,
                as_of,
                region=options["region"],
                use_db=options["use_db"],
            )
        except DomainError as exc:
            raise _refused(exc) from None
        if options["json"]:
            self.stdout.write(json.dumps(result, ensure_ascii=False))
            return
        verdict = "符合 / eligible" if result["eligible"] else "不符合 / not eligible"
        self.stdout.write(f"{result['benefit']} @ {result['as_of']}: {verdict}")
        for clause in result["clauses"] + result.get("widening_clauses", []):
            mark = "✓" if clause["value"] is True else "✗" if clause["value"] is False else "·"
            self.stdout.write(
                f"  {mark} {clause['label']} / {clause['label_en']}  ({clause['text']})"
            )

    def _check(self, options: dict[str, Any]) -> None:
        from dpf.rules import RuleError, compile_rule

        text = options["rule"]
        path = Path(text)
        if len(text) < 4096 and "\n" not in text and path.is_file():
            text = path.read_text(encoding="utf-8")
        try:
            compile_rule(text, kind=options["kind"])
        except RuleError as exc:
            line, column = getattr(exc, "line", None), getattr(exc, "column", None)
            if options["json"]:
                self.stdout.write(
                    json.dumps(
                        {"valid": False, "line": line, "column": column, **exc.as_dict()},
                        ensure_ascii=False,
                    )
                )
            raise CommandError(
                f"line {line}, column {column}: {exc.bilingual}", returncode=EXIT_REFUSED
            ) from None
        if options["json"]:
            self.stdout.write(json.dumps({"valid": True}))
        else:
            self.stdout.write("规则有效 / the rule is valid")
