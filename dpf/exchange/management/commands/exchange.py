"""``dpf exchange``: roster imports and department tokens on the command line.

dpf exchange import TYPE FILE --user USERNAME [--commit]   stage, validate (progress), commit
dpf exchange validate BATCH_ID                             validate (again); what the upload
                                                           page starts in the background
dpf exchange commit BATCH_ID [--user USERNAME]
dpf exchange token create --department 民政 --user USERNAME prints the token once
dpf exchange token revoke --prefix PREFIX
dpf exchange duplicates                                    list duplicate suspects
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError, CommandParser

from dpf.core.errors import DomainError
from dpf.exchange import jobs, services
from dpf.exchange.models import BatchStatus, Channel, ExchangeToken, ImportBatch, Outcome
from dpf.exchange.rostertypes import ROSTER_TYPES

ROWS_SHOWN = 20


class Command(BaseCommand):
    help = "部门数据交换 / Roster exchange with partner departments"

    def add_arguments(self, parser: CommandParser) -> None:
        sub = parser.add_subparsers(dest="action", required=True)
        imp = sub.add_parser("import", help="stage and validate a roster file")
        imp.add_argument("roster_type", choices=sorted(ROSTER_TYPES))
        imp.add_argument("file")
        imp.add_argument("--user", required=True, help="the importing staff account")
        imp.add_argument("--commit", action="store_true", help="commit after validation")
        val = sub.add_parser("validate", help="validate a staged batch")
        val.add_argument("batch_id", type=int)
        com = sub.add_parser("commit", help="commit a validated batch")
        com.add_argument("batch_id", type=int)
        com.add_argument("--user", help="committing account (default: the uploader)")
        com.add_argument(
            "--no-rescan",
            action="store_true",
            help="leave the changed people queued for the next benefits scan",
        )
        tok = sub.add_parser("token", help="department API tokens")
        tok_sub = tok.add_subparsers(dest="token_action", required=True)
        create = tok_sub.add_parser("create", help="issue a token (printed once)")
        create.add_argument("--department", required=True)
        create.add_argument("--user", required=True, help="a department_exchange account")
        revoke = tok_sub.add_parser("revoke", help="revoke a token by its prefix")
        revoke.add_argument("--prefix", required=True)
        sub.add_parser("duplicates", help="list persons sharing name, birth date and village")

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            getattr(self, "_" + options["action"])(options)
        except DomainError as exc:
            raise CommandError(f"{exc.code}: {exc.bilingual}") from None

    def _user(self, username: str) -> Any:
        user = get_user_model().objects.filter(username=username).first()
        if user is None:
            raise CommandError(f"no such user / 用户不存在: {username}")
        return user

    def _progress(self, batch: ImportBatch) -> None:
        sys.stderr.write(f"\r校验 / validating: {batch.progress:3d}%  {batch.rows_read} rows")
        sys.stderr.flush()

    def _report(self, batch: ImportBatch) -> None:
        sys.stderr.write("\n")
        self.stdout.write(f"batch {batch.pk}: {batch.status}")
        for error in batch.errors:
            self.stdout.write(f"  {error.get('message')} / {error.get('message_en')}")
        for outcome, n in batch.counts.items():
            self.stdout.write(f"  {outcome}: {n}")
        # The refused rows say why, as the preview page does (the first ones; one query).
        invalid = batch.rows.filter(outcome=Outcome.INVALID).order_by("row_number")
        for row in invalid.values("row_number", "errors")[:ROWS_SHOWN]:
            for error in row["errors"]:
                self.stdout.write(
                    f"  第{row['row_number']}行 / row {row['row_number']} "
                    f"{error.get('column', '')}: {error.get('message')} / {error.get('message_en')}"
                )
        more = batch.counts.get(Outcome.INVALID, 0) - ROWS_SHOWN
        if more > 0:
            self.stdout.write(
                f"  另有{more}行有误，见批次页面 / {more} more invalid rows: see the batch page"
            )

    def _refuse_if_nothing_importable(self, batch: ImportBatch) -> None:
        counts = batch.counts
        if batch.status == BatchStatus.FAILED or (
            counts.get("total") and counts.get(Outcome.INVALID) == counts.get("total")
        ):
            raise CommandError(
                "名单没有可导入的行 / the roster has no row that can be imported", returncode=1
            )

    def _import(self, options: dict[str, Any]) -> None:
        user = self._user(options["user"])
        path = Path(options["file"])
        if not path.is_file():
            raise CommandError(f"no such file / 文件不存在: {path}")
        with path.open("rb") as stream:
            batch = services.batch_upload(
                actor=user,
                roster_type=options["roster_type"],
                file_name=path.name,
                stream=stream,
                channel=Channel.COMMAND,
            )
        batch = services.batch_validate_now(batch, on_progress=self._progress)
        self._report(batch)
        self._refuse_if_nothing_importable(batch)
        if options["commit"] and batch.status == "previewed":
            batch = services.batch_commit(actor=user, batch=batch)
            self.stdout.write(f"committed / 已导入: {batch.counts.get('facts_changed', 0)} facts")

    def _batch(self, batch_id: int) -> ImportBatch:
        batch = ImportBatch.objects.select_related("uploaded_by").filter(pk=batch_id).first()
        if batch is None:
            raise CommandError(f"no such batch / 批次不存在: {batch_id}")
        return batch

    def _validate(self, options: dict[str, Any]) -> None:
        batch = jobs.run_validation(self._batch(options["batch_id"]).pk)
        self._report(batch)

    def _commit(self, options: dict[str, Any]) -> None:
        batch = self._batch(options["batch_id"])
        user = self._user(options["user"]) if options.get("user") else batch.uploaded_by
        batch = services.batch_commit(actor=user, batch=batch, rescan=not options.get("no_rescan"))
        self.stdout.write(f"batch {batch.pk}: {batch.status}")

    def _token(self, options: dict[str, Any]) -> None:
        if options["token_action"] == "create":  # noqa: S105
            token, raw = services.token_create(
                actor=None, department=options["department"], user=self._user(options["user"])
            )
            self.stdout.write(raw)
            sys.stderr.write(
                f"token {token.token_prefix}… for {token.department} / {token.user.username}: "
                "shown once, store it now / 仅显示一次，请立即保存\n"
            )
            return
        tokens = list(ExchangeToken.objects.filter(token_prefix=options["prefix"], active=True))
        if len(tokens) != 1:
            raise CommandError("no single active token with this prefix / 前缀不唯一或不存在")
        services.token_revoke(actor=None, token=tokens[0])
        self.stdout.write(f"revoked {tokens[0].token_prefix}")

    def _duplicates(self, options: dict[str, Any]) -> None:
        self.stdout.write(f"new suspects / 新增疑似重复: {services.duplicates_find()}")
