"""Every write of the quota review: employers registered, declarations submitted and
reviewed, credit flags. One keyword-only function per use case, transactional and audited.

A declaration's disabled employees are checked against the registry: the certificate must
exist, be valid over every month declared, and the person must not be counted by another
employer for any of those months of the same year (persons locked in a fixed order so two
employers declaring one person at once give one declaration).
"""

from __future__ import annotations

import calendar
import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal

from django.db import transaction

from dpf.accounts.models import User
from dpf.accounts.permissions import PermissionRefused, require_permission
from dpf.accounts.scoping import employer_credit_code, region_in_scope, scope_employer_records
from dpf.core import audit
from dpf.core.certnumber import parse_certificate_number
from dpf.core.creditcode import normalise_credit_code
from dpf.core.crypto import mask_phone
from dpf.core.errors import ValidationFailed
from dpf.core.inputs import clean_text, not_after, refuse
from dpf.core.models import Region, RegionLevel
from dpf.core.text import check_text_characters, clean_person_name, fold_fullwidth_digits
from dpf.employment import levy
from dpf.employment.models import (
    CreditFlag,
    DeclarationStatus,
    DeclaredEmployee,
    Employer,
    EmployerKind,
    QuotaDeclaration,
)
from dpf.registry.models import Certificate, CertificateStatus, Person
from dpf.registry.services import certificate_lookup_hash

MAX_EMPLOYEES = 500
_LINE_LABELS = {
    "first_month": "起始月份",
    "last_month": "终止月份",
    "contract_months": "合同期限（月）",
}


# --- employers ----------------------------------------------------------------------------


def employer_register(
    *,
    actor: User | None,
    credit_code: str,
    name: str,
    kind: str,
    county_code: str,
    staff_count: int,
    contact_name: str = "",
    contact_phone: str = "",
) -> Employer:
    """Register an employer of the actor's region (county employment service office)."""
    require_permission(actor, "create", "employer")
    code = normalise_credit_code(credit_code)
    name = (name or "").strip()
    if not name or len(name) > 100:
        raise refuse(
            "employer_name", "单位名称应为1至100个字", "The name has 1 to 100 characters", "name"
        )
    check_text_characters(name, field="name", label_zh="单位名称", label_en="the name")
    if kind not in EmployerKind.values:
        raise refuse("employer_kind", "单位性质无效", "The kind of employer is not valid", "kind")
    county = Region.objects.filter(code=county_code, level=RegionLevel.COUNTY).first()
    if county is None or not region_in_scope(actor, county.code):
        raise refuse(
            "county_out_of_scope",
            "所选旗县区不存在或不在本人管辖范围内",
            "The county does not exist or is outside your region",
            "county_code",
        )
    if isinstance(staff_count, bool) or not 0 <= int(staff_count) <= int(levy.MAX_STAFF):
        raise refuse(
            "staff_count",
            f"在职职工人数应在0至{levy.MAX_STAFF}之间",
            f"The staff count must be between 0 and {levy.MAX_STAFF}",
            "staff_count",
        )
    contact = clean_person_name(contact_name, field="contact_name") if contact_name else ""
    phone = fold_fullwidth_digits((contact_phone or "").strip())
    if phone and (not phone.isascii() or not phone.isdigit() or not 7 <= len(phone) <= 12):
        raise refuse(
            "phone",
            "联系电话应为7至12位数字",
            "The phone number has 7 to 12 digits",
            "contact_phone",
        )
    with transaction.atomic():
        if Employer.objects.filter(credit_code=code).exists():
            raise refuse(
                "employer_exists",
                "该统一社会信用代码的单位已登记",
                "An employer with this credit code is already registered",
                "credit_code",
            )
        employer = Employer.objects.create(
            credit_code=code,
            name=name,
            kind=kind,
            county_code=county.code,
            staff_count=int(staff_count),
            contact_name=contact,
            contact_phone=phone,
        )
        audit.record(
            actor=actor,
            action="create",
            object_type="employer",
            object_id=employer.pk,
            changes={
                "credit_code": code,
                "kind": kind,
                "county_code": county.code,
                "contact_phone": mask_phone(phone) if phone else "",
            },
        )
    return employer


# --- declarations -------------------------------------------------------------------------


@dataclass(frozen=True)
class EmployeeLine:
    """One disabled employee as the employer declares them."""

    certificate_number: str
    first_month: int
    last_month: int
    contract_months: int
    paid_at_least_min_wage: bool
    social_insurance: bool
    military_level: int | None = None


@dataclass(frozen=True)
class Prepared:
    """A checked declaration: the figures, the employees resolved and the levy computed."""

    employer: Employer
    levy_year: int
    staff_count: Decimal
    wage_bill: Decimal
    avg_wage: Decimal
    local_avg_social_wage: Decimal
    rows: tuple[tuple[EmployeeLine, Certificate, int], ...]
    result: levy.LevyResult


def employer_of(actor: User | None) -> Employer:
    """The firm an employer account acts for (404 for anyone else)."""
    code = employer_credit_code(actor)
    employer = Employer.objects.filter(credit_code=code).first() if code else None
    if employer is None:
        raise PermissionRefused("view", "employer")
    return employer


def _month_span(year: int, first: int, last: int) -> tuple[dt.date, dt.date]:
    return dt.date(year, first, 1), dt.date(year, last, calendar.monthrange(year, last)[1])


def _check_period(levy_year: int, today: dt.date) -> None:
    deadline = levy.declaration_deadline(levy_year)
    if today.year != levy_year or deadline is None:
        raise refuse(
            "levy_year",
            f"只能申报本年度（{today.year}年）的保障金",
            f"Only the levy of this year ({today.year}) can be declared",
            "levy_year",
        )
    if today > deadline:
        raise refuse(
            "after_deadline",
            f"{levy_year}年度申报已于{deadline.isoformat()}截止",
            f"Declarations for {levy_year} closed on {deadline.isoformat()}",
            "levy_year",
        )


def _line_field(index: int, name: str) -> str:
    return f"employees-{index}-{name}"


def _check_line(index: int, line: EmployeeLine) -> None:
    where_zh, where_en = f"第{index + 1}名残疾人职工", f"Disabled employee {index + 1}"
    for name, value, low, high in (
        ("first_month", line.first_month, 1, 12),
        ("last_month", line.last_month, 1, 12),
        ("contract_months", line.contract_months, 0, levy.MAX_CONTRACT_MONTHS),
    ):
        if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
            raise refuse(
                "out_of_range",
                f"{where_zh}的{_LINE_LABELS[name]}应在{low}至{high}之间",
                f"{where_en}: {name} must be between {low} and {high}",
                _line_field(index, name),
            )
    if line.last_month < line.first_month:
        raise refuse(
            "months_order",
            f"{where_zh}的终止月份早于起始月份",
            f"{where_en}: the last month is before the first month",
            _line_field(index, "last_month"),
        )
    if line.military_level is not None and not 1 <= line.military_level <= 10:
        raise refuse(
            "out_of_range",
            f"{where_zh}的残疾军人等级应在1至10之间",
            f"{where_en}: the military disability level must be between 1 and 10",
            _line_field(index, "military_level"),
        )


def _resolve_certificate(
    index: int, line: EmployeeLine, staff_year: int
) -> tuple[Certificate, dt.date, dt.date]:
    where_zh, where_en = f"第{index + 1}名残疾人职工", f"Disabled employee {index + 1}"
    field = _line_field(index, "certificate_number")
    try:
        number = parse_certificate_number(line.certificate_number).normalized
    except ValidationFailed as exc:
        raise refuse(
            exc.code, f"{where_zh}：{exc.message_zh}", f"{where_en}: {exc.message_en}", field
        ) from None
    start, end = _month_span(staff_year, line.first_month, line.last_month)
    certificates = list(
        Certificate.objects.filter(number_hash=certificate_lookup_hash(number)).order_by(
            "-valid_from"
        )
    )
    if not certificates:
        raise refuse(
            "certificate_unknown",
            f"{where_zh}的残疾人证号在登记系统中不存在",
            f"{where_en}: the certificate number is not in the registry",
            field,
        )
    for certificate in certificates:
        if (
            certificate.status != CertificateStatus.CANCELLED
            and certificate.valid_from <= start
            and (certificate.valid_to is None or certificate.valid_to >= end)
            and certificate.expires_on >= end
        ):
            return certificate, start, end
    raise refuse(
        "certificate_not_valid",
        f"{where_zh}的残疾人证在申报的月份内无效（未发证、已过期或已注销）",
        f"{where_en}: the certificate was not valid in every month declared "
        "(not yet issued, expired or cancelled)",
        field,
    )


def declaration_prepare(
    *,
    actor: User | None,
    levy_year: int,
    staff_count: object,
    wage_bill: object,
    employees: Sequence[EmployeeLine],
    today: dt.date,
) -> Prepared:
    """Check a declaration and compute its levy without saving (the page's "计算")."""
    require_permission(actor, "create", "quota_declaration")
    employer = employer_of(actor)
    _check_period(levy_year, today)
    staff = levy.parse_decimal(staff_count, "staff_count", low=Decimal(0), high=levy.MAX_STAFF)
    bill = levy.parse_decimal(
        wage_bill, "wage_bill", low=Decimal(0), high=levy.MAX_STAFF * levy.MAX_YEARLY_WAGE
    )
    if staff == 0 and bill > 0:
        raise refuse(
            "wage_without_staff",
            "在职职工人数为0时工资总额应为0",
            "With no staff the wage bill must be 0",
            "staff_count",
        )
    avg = (bill / staff).quantize(levy.FEN, rounding=ROUND_HALF_UP) if staff else Decimal("0.00")
    if avg > levy.MAX_YEARLY_WAGE:
        raise refuse(
            "absurd",
            f"职工年平均工资（工资总额÷人数）超过{levy.MAX_YEARLY_WAGE}元",
            f"The average wage (wage bill / staff) exceeds {levy.MAX_YEARLY_WAGE} yuan",
            "wage_bill",
        )
    if len(employees) > staff or len(employees) > MAX_EMPLOYEES:
        raise refuse(
            "more_disabled_than_staff",
            "残疾人职工人数不能超过在职职工人数",
            "There cannot be more disabled employees than staff",
            "staff_count",
        )
    social = levy.local_avg_social_wage(levy_year)
    if social is None:
        raise refuse(
            "no_rule",
            f"{levy_year}年没有配置当地社会平均工资",
            f"No local average social wage is configured for {levy_year}",
            "levy_year",
        )
    staff_year = levy_year - 1
    rows: list[tuple[EmployeeLine, Certificate, int]] = []
    seen: set[int] = set()
    spans: list[tuple[int, dt.date, dt.date]] = []
    for index, line in enumerate(employees):
        _check_line(index, line)
        certificate, start, end = _resolve_certificate(index, line, staff_year)
        if certificate.person_id in seen:
            raise refuse(
                "duplicate_employee",
                f"第{index + 1}名残疾人职工重复申报",
                f"Disabled employee {index + 1} is declared twice",
                _line_field(index, "certificate_number"),
            )
        seen.add(certificate.person_id)
        spans.append((index, start, end))
        weight = levy.employee_weight(
            levy.DisabledEmployee(
                category=certificate.category,
                level=certificate.level,
                contract_months=line.contract_months,
                paid_at_least_min_wage=line.paid_at_least_min_wage,
                social_insurance=line.social_insurance,
                military_level=line.military_level,
            )
        )
        rows.append((line, certificate, weight))
    _refuse_counted_elsewhere(employer, staff_year, rows)
    result = levy.compute(
        levy.Declaration(
            levy_year=levy_year,
            enterprise=employer.is_enterprise,
            staff_count=staff,
            avg_wage=avg,
            local_avg_social_wage=social,
            disabled_employees=tuple(
                levy.DisabledEmployee(
                    category=c.category,
                    level=c.level,
                    contract_months=line.contract_months,
                    paid_at_least_min_wage=line.paid_at_least_min_wage,
                    social_insurance=line.social_insurance,
                    military_level=line.military_level,
                )
                for line, c, _weight in rows
            ),
            declared_on=today,
        )
    )
    return Prepared(employer, levy_year, staff, bill, avg, social, tuple(rows), result)


def _refuse_counted_elsewhere(
    employer: Employer, staff_year: int, rows: Sequence[tuple[EmployeeLine, Certificate, int]]
) -> None:
    """One query for every employee: is any counted by another employer in the same months?"""
    by_person = {c.person_id: (i, line) for i, (line, c, _w) in enumerate(rows)}
    if not by_person:
        return
    others = (
        DeclaredEmployee.objects.filter(person_id__in=by_person, staff_year=staff_year)
        .exclude(declaration__employer=employer)
        .exclude(declaration__status=DeclarationStatus.RETURNED)
        .values_list("person_id", "first_month", "last_month")
    )
    for person_id, first, last in others:
        index, line = by_person[person_id]
        if first <= line.last_month and line.first_month <= last:
            raise refuse(
                "counted_elsewhere",
                f"第{index + 1}名残疾人职工在申报的月份内已由其他用人单位申报",
                f"Disabled employee {index + 1} is already counted by another employer "
                "for some of the months declared",
                _line_field(index, "certificate_number"),
            )


def declaration_submit(
    *,
    actor: User | None,
    levy_year: int,
    staff_count: object,
    wage_bill: object,
    employees: Sequence[EmployeeLine],
    today: dt.date,
) -> QuotaDeclaration:
    """Submit (or resubmit after a return) the employer's declaration for ``levy_year``."""
    with transaction.atomic():
        employer = Employer.objects.select_for_update().get(pk=employer_of(actor).pk)
        # Lock the persons declared in a fixed order, then check: two employers declaring
        # one person at once cannot both pass the "counted elsewhere" check.
        hashes = []
        for line in employees:
            try:
                hashes.append(
                    certificate_lookup_hash(
                        parse_certificate_number(line.certificate_number).normalized
                    )
                )
            except ValidationFailed:
                continue
        person_ids = Certificate.objects.filter(number_hash__in=hashes).values("person_id")
        list(Person.objects.select_for_update().filter(pk__in=person_ids).order_by("pk"))
        prepared = declaration_prepare(
            actor=actor,
            levy_year=levy_year,
            staff_count=staff_count,
            wage_bill=wage_bill,
            employees=employees,
            today=today,
        )
        existing = QuotaDeclaration.objects.filter(employer=employer, levy_year=levy_year).first()
        if existing is not None and existing.status != DeclarationStatus.RETURNED:
            raise refuse(
                "already_declared",
                f"{levy_year}年度已申报，审核退回后才能修改",
                f"The declaration for {levy_year} is already submitted; it can be changed "
                "only after the office returns it",
                "levy_year",
            )
        result = prepared.result
        values = {
            "county_code": employer.county_code,
            "status": DeclarationStatus.SUBMITTED,
            "staff_count": prepared.staff_count,
            "wage_bill": prepared.wage_bill,
            "avg_wage": prepared.avg_wage,
            "local_avg_social_wage": prepared.local_avg_social_wage,
            "required": result.required,
            "counted": result.counted,
            "shortfall": result.shortfall,
            "wage_used": result.wage_used,
            "gross": result.gross,
            "relief": result.relief,
            "levy_due": result.levy_due,
            "reward": result.reward,
            "submitted_on": today,
            "submitted_by": actor,
            "reviewed_by": None,
            "reviewed_on": None,
        }
        if existing is None:
            declaration = QuotaDeclaration.objects.create(
                employer=employer, levy_year=levy_year, **values
            )
        else:
            declaration = existing
            for key, value in values.items():
                setattr(declaration, key, value)
            declaration.save()
            declaration.employees.all().delete()
        DeclaredEmployee.objects.bulk_create(
            DeclaredEmployee(
                declaration=declaration,
                person_id=certificate.person_id,
                certificate=certificate,
                staff_year=levy_year - 1,
                first_month=line.first_month,
                last_month=line.last_month,
                military_level=line.military_level,
                contract_months=line.contract_months,
                paid_at_least_min_wage=line.paid_at_least_min_wage,
                social_insurance=line.social_insurance,
                weight=weight,
            )
            for line, certificate, weight in prepared.rows
        )
        audit.record(
            actor=actor,
            action="submit",
            object_type="quota_declaration",
            object_id=declaration.pk,
            changes={
                "levy_year": levy_year,
                "employees": len(prepared.rows),
                "counted": result.counted,
                "levy_due": str(result.levy_due),
                "reward": str(result.reward),
            },
        )
    return declaration


def declaration_review(
    *, actor: User | None, declaration_id: int, approve: bool, note: str, today: dt.date
) -> QuotaDeclaration:
    """The county office approves a submitted declaration, or returns it with a reason."""
    require_permission(actor, "approve", "quota_declaration", declaration_id)
    note = (note or "").strip()
    if len(note) > 300:
        raise refuse(
            "note_length", "审核意见最多300字", "The note has at most 300 characters", "note"
        )
    check_text_characters(
        note, field="note", label_zh="审核意见", label_en="the note", multiline=True
    )
    if not approve and not note:
        raise refuse(
            "note_required",
            "退回时应写明原因",
            "A returned declaration needs a reason",
            "note",
        )
    with transaction.atomic():
        declaration = (
            scope_employer_records(
                actor, QuotaDeclaration.objects.select_for_update(), own="employer__"
            )
            .filter(pk=declaration_id)
            .first()
        )
        if declaration is None:
            raise PermissionRefused("approve", "quota_declaration", declaration_id)
        if declaration.status != DeclarationStatus.SUBMITTED:
            raise refuse(
                "not_submitted",
                "该申报不在待审核状态",
                "The declaration is not waiting for review",
                None,
            )
        declaration.status = DeclarationStatus.APPROVED if approve else DeclarationStatus.RETURNED
        declaration.reviewed_by = actor
        declaration.reviewed_on = today
        declaration.review_note = note
        declaration.save(update_fields=["status", "reviewed_by", "reviewed_on", "review_note"])
        audit.record(
            actor=actor,
            action="approve" if approve else "return",
            object_type="quota_declaration",
            object_id=declaration.pk,
            changes={"status": declaration.status, "levy_due": str(declaration.levy_due)},
            reason=note,
        )
    return declaration


# --- credit record ------------------------------------------------------------------------


def credit_flag_add(
    *, actor: User, employer_id: int, reason: str, detail: str, flagged_on: dt.date
) -> CreditFlag:
    """Put an employer of the actor's region on the credit record, with date and reason."""
    require_permission(actor, "change", "employer", employer_id)
    if reason not in CreditFlag.Reason.values:
        raise refuse("reason", "列入原因无效", "The reason is not valid", "reason")
    detail = (detail or "").strip()
    if not detail or len(detail) > 300:
        raise refuse("detail", "说明应为1至300个字", "The detail has 1 to 300 characters", "detail")
    check_text_characters(detail, field="detail", label_zh="说明", label_en="the detail")
    with transaction.atomic():
        employer = (
            scope_employer_records(actor, Employer.objects.all()).filter(pk=employer_id).first()
        )
        if employer is None:
            raise PermissionRefused("change", "employer", employer_id)
        flag = CreditFlag.objects.create(
            employer=employer,
            county_code=employer.county_code,
            reason=reason,
            detail=detail,
            flagged_on=flagged_on,
            flagged_by=actor,
        )
        audit.record(
            actor=actor,
            action="credit_flag",
            object_type="employer",
            object_id=employer.pk,
            changes={"reason": reason, "flagged_on": flagged_on.isoformat()},
            reason=detail,
        )
    return flag


def credit_flag_lift(
    *, actor: User | None, flag_id: int, lifted_on: dt.date, reason: str, today: dt.date
) -> CreditFlag:
    """Take an employer off the credit record from ``lifted_on`` (set by mistake, or
    resolved), with the reason. The flag stays in the history with its dates and reasons."""
    require_permission(actor, "change", "employer", flag_id)
    reason = clean_text(reason, field="reason", label=("移出原因", "reason for lifting"), limit=300)
    not_after(lifted_on, today, field="lifted_on", label=("移出日期", "date lifted"))
    with transaction.atomic():
        flag = (
            scope_employer_records(actor, CreditFlag.objects.select_for_update(), own="employer__")
            .filter(pk=flag_id)
            .first()
        )
        if flag is None:
            raise PermissionRefused("change", "employer", flag_id)
        if flag.lifted_on is not None:
            raise refuse(
                "already_lifted",
                f"该信用记录已于{flag.lifted_on.isoformat()}移出，无需再次移出",
                f"This flag was already lifted on {flag.lifted_on.isoformat()}",
                None,
            )
        if lifted_on < flag.flagged_on:
            raise refuse(
                "lift_date",
                f"移出日期不能早于列入日期（{flag.flagged_on.isoformat()}）",
                f"The date lifted cannot be before the date flagged "
                f"({flag.flagged_on.isoformat()})",
                "lifted_on",
            )
        flag.lifted_on = lifted_on
        flag.lift_reason = reason
        flag.lifted_by = actor
        flag.save(update_fields=["lifted_on", "lift_reason", "lifted_by"])
        audit.record(
            actor=actor,
            action="credit_lift",
            object_type="employer",
            object_id=flag.employer_id,
            changes={"flag": flag.pk, "lifted_on": lifted_on.isoformat()},
            reason=reason,
        )
    return flag
