"""The kinds of job the platform runs: each names its handler by dotted path, so this app
imports no domain app (the handlers live beside the work they do).

A handler is ``handler(*, params, progress, actor, today) -> str | Output``: it may be run
again on the same params after a crash and gives the same result; it returns a short summary
(counts, never personal data), or an ``Output`` (the summary and a file: a bank workbook, a
signing PDF, a report), and raises a ``DomainError`` to refuse. The runner stores an output
file encrypted (``dpf.jobs.outputs``); the page of the work it belongs to offers it to the
user who started the job.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Protocol

from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _


@dataclass(frozen=True)
class Output:
    """What a document job made: its summary and one file."""

    summary: str
    filename: str
    content_type: str
    data: bytes


class Handler(Protocol):
    def __call__(
        self,
        *,
        params: dict[str, Any],
        progress: Callable[[str], None],
        actor: Any,
        today: dt.date,
    ) -> str | Output: ...


@dataclass(frozen=True)
class Kind:
    code: str
    handler: str  # dotted path of a Handler
    label: str | Promise


KINDS: dict[str, Kind] = {
    k.code: k
    for k in (
        Kind("exchange.validate", "dpf.exchange.jobs.validate_job", _("校验部门交换名册")),
        Kind("benefits.scan", "dpf.benefits.jobs.scan_job", _("主动发现扫描")),
        Kind("indicators.snapshot", "dpf.indicators.jobs.snapshot_job", _("月度指标快照")),
        Kind("indicators.refresh", "dpf.indicators.jobs.refresh_job", _("指标快照增量更新")),
        Kind("indicators.report", "dpf.indicators.jobs.report_job", _("生成评估报告文件")),
        Kind("core.audit_checkpoint", "dpf.core.jobs.audit_checkpoint_job", _("审计日志校验点")),
        Kind("exchange.commit", "dpf.exchange.jobs.commit_job", _("导入部门交换名册")),
        Kind("workflow.payment_list", "dpf.workflow.jobs.payment_list_job", _("生成发放名册")),
        Kind(
            "workflow.payment_lists_draft",
            "dpf.workflow.jobs.payment_lists_draft_job",
            _("按月起草各旗县区发放名册"),
        ),
        Kind(
            "portal.casework_escalation",
            "dpf.portal.jobs.casework_escalation_job",
            _("逾期诉求升级提醒"),
        ),
        Kind("core.backup", "dpf.core.jobs.backup_job", _("每晚数据库备份")),
        Kind("core.audit_retention", "dpf.core.jobs.audit_retention_job", _("审计日志保留期清理")),
        Kind("demo.generate", "dpf.demo.jobs.demo_generate_job", _("生成演示数据")),
        Kind(
            "workflow.bank_workbook", "dpf.workflow.jobs.bank_workbook_job", _("导出银行代发文件")
        ),
        Kind("workflow.signing_pdf", "dpf.workflow.jobs.signing_pdf_job", _("生成签字用PDF")),
        Kind("jobs.output_retention", "dpf.jobs.outputs.retention_job", _("清理过期的作业文件")),
        Kind("social.risk_scan", "dpf.social.jobs.risk_scan_job", _("防返贫风险扫描")),
        Kind(
            "services.child_rehab_transition",
            "dpf.services.jobs.child_rehab_transition_job",
            _("残疾儿童康复救助年满8周岁转衔"),
        ),
        Kind(
            "portal.rate_event_retention",
            "dpf.portal.jobs.rate_event_retention_job",
            _("清理过期的频率限制记录"),
        ),
    )
}
