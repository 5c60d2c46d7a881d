"""The certificate's lifecycle from the staff pages (issue 17 part 1): renewal (换证),
re-assessment with a new category or level (重新评定) and cancellation with a reason
(注销). Keyword-only, audited, on the person's timeline (``RecordChange``); a cancelled or
replaced certificate is refused with nothing written."""

from __future__ import annotations

import datetime as dt

from django.db import transaction

from dpf.accounts.models import User
from dpf.accounts.permissions import require_permission
from dpf.core.errors import NotFound
from dpf.core.inputs import refuse
from dpf.registry.change_models import ChangeKind
from dpf.registry.changes import _effective, _living, _person, _record, clean_reason
from dpf.registry.models import Certificate, CertificateStatus
from dpf.registry.services import certificate_end, certificate_issue


def _certificate(actor: User | None, certificate: Certificate | int) -> Certificate:
    pk = certificate if isinstance(certificate, int) else certificate.pk
    if actor is not None:
        require_permission(actor, "change", "certificate", pk)
    cert = Certificate.objects.select_related("person").filter(pk=pk).first()
    if cert is None:
        raise NotFound("certificate")
    _person(actor, cert.person_id)  # scope and lock
    cert = Certificate.objects.select_for_update().select_related("person").get(pk=pk)
    _living(cert.person)
    if cert.status == CertificateStatus.CANCELLED:
        raise refuse(
            "certificate_cancelled",
            "该残疾人证已注销，不能换证或重新评定；如需办证请重新申请评定",
            "this certificate was cancelled: it cannot be renewed or re-assessed; "
            "apply for a new assessment instead",
            "certificate",
        )
    if cert.status == CertificateStatus.REPLACED:
        raise refuse(
            "certificate_replaced",
            "该残疾人证已换发，请在新证上办理",
            "this certificate has been replaced: act on the new one",
            "certificate",
        )
    return cert


def _label(cert: Certificate) -> str:
    return f"{cert.get_category_display()} {cert.get_level_display()}"


@transaction.atomic
def certificate_renew(
    *,
    actor: User | None,
    certificate: Certificate | int,
    issue_date: dt.date,
    reason: str,
    today: dt.date | None = None,
) -> Certificate:
    """Renewal (换证), usually at expiry: a new certificate of the same category and level
    from ``issue_date``; the old one is marked replaced (valid to the day before, or to
    its expiry when that came first). A cancelled certificate is not renewed."""
    reason = clean_reason(reason)
    issue_date = _effective(issue_date, today, "issue_date")
    old = _certificate(actor, certificate)
    if issue_date <= old.valid_from:
        raise refuse(
            "date_range",
            "换证日期须晚于原证的起始日期",
            "the renewal must follow the start of the old certificate",
            "issue_date",
        )
    certificate_end(
        actor=actor,
        certificate=old,
        on=issue_date,
        status=CertificateStatus.REPLACED,
        reason=f"换证：{reason}",
    )
    new = certificate_issue(
        actor=actor,
        person=old.person,
        category=old.category,
        level=old.level,
        issue_date=issue_date,
        issuing_county=old.person.county_code,
        today=today,
    )
    new.replaces = old
    new.save(update_fields=["replaces"])
    _record(
        actor=actor,
        person=old.person,
        kind=ChangeKind.RENEWAL,
        on=issue_date,
        reason=reason,
        summary=f"{_label(new)}，{new.expires_on:%Y-%m-%d}",
    )
    return new


@transaction.atomic
def certificate_reassess(
    *,
    actor: User | None,
    certificate: Certificate | int,
    category: int,
    level: int,
    on: dt.date,
    reason: str,
    today: dt.date | None = None,
) -> Certificate:
    """Re-assessment (重新评定) with a new category or level from ``on``: the old
    certificate is replaced, a new one issued for the result. The same category and level
    is a renewal, not a re-assessment."""
    reason = clean_reason(reason)
    on = _effective(on, today)
    old = _certificate(actor, certificate)
    try:
        category, level = int(category), int(level)
    except (TypeError, ValueError):
        raise refuse(
            "category", "残疾类别应为1至7", "the category must be 1 to 7", "category"
        ) from None
    if (category, level) == (old.category, old.level):
        raise refuse(
            "same_assessment",
            "评定结果与原证相同，请使用换证",
            "the result is the same as the old certificate: renew it instead",
            "level",
        )
    if on <= old.valid_from:
        raise refuse(
            "date_range",
            "评定日期须晚于原证的起始日期",
            "the re-assessment must follow the start of the old certificate",
            "on",
        )
    before = _label(old)
    certificate_end(
        actor=actor,
        certificate=old,
        on=on,
        status=CertificateStatus.REPLACED,
        reason=f"重新评定：{reason}",
    )
    new = certificate_issue(
        actor=actor,
        person=old.person,
        category=category,
        level=level,
        issue_date=on,
        issuing_county=old.person.county_code,
        today=today,
    )
    new.replaces = old
    new.save(update_fields=["replaces"])
    _record(
        actor=actor,
        person=old.person,
        kind=ChangeKind.REASSESSMENT,
        on=on,
        reason=reason,
        summary=f"{before} → {_label(new)}",
    )
    return new


@transaction.atomic
def certificate_cancel(
    *,
    actor: User | None,
    certificate: Certificate | int,
    on: dt.date,
    reason: str,
    today: dt.date | None = None,
) -> Certificate:
    """Cancellation (注销) from ``on``, with the reason: valid to the day before."""
    reason = clean_reason(reason)
    on = _effective(on, today)
    cert = _certificate(actor, certificate)
    if on <= cert.valid_from:
        raise refuse(
            "date_range",
            "注销日期须晚于残疾人证的起始日期",
            "the cancellation must follow the start of the certificate",
            "on",
        )
    ended = certificate_end(
        actor=actor, certificate=cert, on=on, status=CertificateStatus.CANCELLED, reason=reason
    )
    _record(
        actor=actor,
        person=cert.person,
        kind=ChangeKind.CANCELLATION,
        on=on,
        reason=reason,
        summary=_label(cert),
    )
    return ended
