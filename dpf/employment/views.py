"""Employment pages: the employer's declaration (with the calculation shown, no JavaScript
needed), the county office's review queue and review, levy due by county, employers and the
credit record with its export."""

from __future__ import annotations

import csv
from typing import Any

from django.contrib import messages
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from dpf.accounts.http import AuthedHttpRequest
from dpf.accounts.permissions import PermissionRefused, has_permission, permission_required
from dpf.core import audit
from dpf.core.crypto import mask_phone
from dpf.core.errors import ValidationFailed
from dpf.core.regions import display_names
from dpf.core.spreadsheets import neutralise
from dpf.employment import levy, selectors, services
from dpf.employment.forms import (
    CreditFlagForm,
    CreditLiftForm,
    DeclarationForm,
    EmployeeLineFormSet,
    EmployerForm,
    ReviewForm,
)
from dpf.employment.models import DeclarationStatus

PER_PAGE = 25
START_ROWS = 3


def _attach(form: Any, refusal: ValidationFailed) -> None:
    name = refusal.field or ""
    form.add_error(name if name in form.fields else None, refusal.message)


def _attach_declaration(form: DeclarationForm, formset: Any, refusal: ValidationFailed) -> None:
    """Place a refusal next to its field: an employee row's field or the form's."""
    name = refusal.field or ""
    if name.startswith("employees-"):
        _prefix, index, field = name.split("-", 2)
        row = formset.forms[int(index)] if int(index) < len(formset.forms) else None
        if row is not None:
            row.add_error(field if field in row.fields else None, refusal.message)
            form.add_error(None, refusal.message)
            return
    _attach(form, refusal)


@permission_required("create", "quota_declaration", scope="self")
@require_http_methods(["GET", "POST"])
def declaration(request: AuthedHttpRequest) -> HttpResponse:
    """The employer's declaration for this year's levy: "计算" shows the result, "提交"
    submits it; "增加一行" adds a row for another disabled employee."""
    try:
        employer = services.employer_of(request.user)
    except PermissionRefused:
        # An employer account not (yet) bound to a registered firm: nothing to show.
        return render(request, "employment/no_employer.html")
    today = timezone.localdate()
    levy_year = today.year
    action = request.POST.get("action", "") if request.method == "POST" else ""
    form = DeclarationForm(request.POST or None)
    if request.method == "POST":
        formset = EmployeeLineFormSet(request.POST, prefix="employees")
    else:
        formset = EmployeeLineFormSet(
            prefix="employees", initial=[{} for _row in range(START_ROWS)]
        )
    result = None
    status = 200
    if request.method == "POST":
        status = 400
        if action == "add_row" and formset.is_valid():
            rows = [f.cleaned_data for f in formset.forms] + [{}]
            formset = EmployeeLineFormSet(prefix="employees", initial=rows[: len(rows)])
            status = 200
        elif form.is_valid() and formset.is_valid():
            # Compact the rows so a refusal's row index is the row on the page.
            filled = [f for f in formset.forms if f.line() is not None]
            lines = [f.line() for f in filled]
            kwargs = {
                "actor": request.user,
                "levy_year": levy_year,
                "staff_count": form.cleaned_data["staff_count"],
                "wage_bill": form.cleaned_data["wage_bill"],
                "employees": lines,
                "today": today,
            }
            try:
                if action == "submit":
                    services.declaration_submit(**kwargs)
                    messages.success(request, _("申报已提交，等待就业服务机构审核。"))
                    return redirect("employment:declaration")
                result = services.declaration_prepare(**kwargs).result
                status = 200
            except ValidationFailed as refusal:
                if refusal.field and refusal.field.startswith("employees-"):
                    index = int(refusal.field.split("-")[1])
                    page_index = formset.forms.index(filled[index])
                    refusal.field = refusal.field.replace(
                        f"employees-{index}-", f"employees-{page_index}-", 1
                    )
                _attach_declaration(form, formset, refusal)
    deadline = levy.declaration_deadline(levy_year)
    context = {
        "employer": employer,
        "form": form,
        "formset": formset,
        "result": result,
        "levy_year": levy_year,
        "staff_year": levy_year - 1,
        "deadline": deadline,
        "local_wage": levy.local_avg_social_wage(levy_year),
        "past": selectors.declarations(request.user).order_by("-levy_year"),
    }
    return render(request, "employment/declaration.html", context, status=status)


@permission_required("approve", "quota_declaration")
def review_queue(request: AuthedHttpRequest) -> HttpResponse:
    page = Paginator(selectors.review_queue(request.user), PER_PAGE).get_page(
        request.GET.get("page")
    )
    return render(request, "employment/review_queue.html", {"page": page, "rows": list(page)})


@permission_required("view", "quota_declaration")
@require_http_methods(["GET", "POST"])
def review(request: AuthedHttpRequest, declaration_id: int) -> HttpResponse:
    declaration = selectors.declaration_for(request.user, declaration_id)
    form = ReviewForm(request.POST or None)
    status = 200
    if request.method == "POST":
        status = 400
        if form.is_valid():
            try:
                services.declaration_review(
                    actor=request.user,
                    declaration_id=declaration.pk,
                    approve=request.POST.get("action") == "approve",
                    note=form.cleaned_data["note"],
                    today=timezone.localdate(),
                )
            except ValidationFailed as refusal:
                _attach(form, refusal)
            else:
                messages.success(request, _("审核结果已保存。"))
                return redirect("employment:review_queue")
    else:
        audit.record_view(request, "quota_declaration", declaration.pk)
    context = {
        "declaration": declaration,
        "employees": selectors.employees_of(declaration),
        "form": form,
        "can_review": declaration.status == DeclarationStatus.SUBMITTED
        and has_permission(request.user, "approve", "quota_declaration"),
    }
    return render(request, "employment/review.html", context, status=status)


def _year(request: HttpRequest) -> int:
    text = request.GET.get("year", "")
    this_year = timezone.localdate().year
    if text.isascii() and text.isdigit() and 2000 <= int(text) <= this_year + 1:
        return int(text)
    return this_year


@permission_required("view", "quota_declaration")
def levy_report(request: AuthedHttpRequest) -> HttpResponse:
    """Levy due (approved declarations) by county for one levy year."""
    levy_year = _year(request)
    rows = selectors.levy_by_county(request.user, levy_year)
    names = display_names(r["county_code"] for r in rows)
    for row in rows:
        row["county_name"] = names.get(row["county_code"], row["county_code"])
    return render(request, "employment/levy_report.html", {"rows": rows, "levy_year": levy_year})


@permission_required("view", "employer")
@require_http_methods(["GET", "POST"])
def employers(request: AuthedHttpRequest) -> HttpResponse:
    form = EmployerForm(request.POST or None, counties=selectors.county_choices(request.user))
    status = 200
    if request.method == "POST":
        status = 400
        if form.is_valid():
            try:
                services.employer_register(actor=request.user, **form.cleaned_data)
            except ValidationFailed as refusal:
                _attach(form, refusal)
            else:
                messages.success(request, _("用人单位已登记。"))
                return redirect("employment:employers")
    page = Paginator(selectors.employers(request.user), PER_PAGE).get_page(request.GET.get("page"))
    rows = [(e, mask_phone(e.contact_phone) if e.contact_phone else "") for e in page]
    context = {
        "page": page,
        "rows": rows,
        "form": form,
        "can_register": has_permission(request.user, "create", "employer"),
        "flag_form": CreditFlagForm(),
    }
    return render(request, "employment/employers.html", context, status=status)


@permission_required("change", "employer")
@require_http_methods(["POST"])
def credit_flag(request: AuthedHttpRequest, employer_id: int) -> HttpResponse:
    selectors.employer_for(request.user, employer_id)  # 404 outside the region, first
    form = CreditFlagForm(request.POST)
    if form.is_valid():
        try:
            services.credit_flag_add(
                actor=request.user, employer_id=employer_id, **form.cleaned_data
            )
        except ValidationFailed as refusal:
            messages.error(request, refusal.message)
        else:
            messages.success(request, _("已列入信用记录。"))
    else:
        messages.error(request, _("列入信用记录的信息不完整。"))
    return redirect("employment:credit")


@permission_required("view", "employer")
def credit(request: AuthedHttpRequest) -> HttpResponse:
    page = Paginator(selectors.credit_flags(request.user), PER_PAGE).get_page(
        request.GET.get("page")
    )
    return render(
        request,
        "employment/credit.html",
        {
            "page": page,
            "rows": list(page),
            "can_export": has_permission(request.user, "export", "employer"),
            "can_lift": has_permission(request.user, "change", "employer"),
        },
    )


@permission_required("change", "employer")
@require_http_methods(["GET", "POST"])
def credit_lift(request: AuthedHttpRequest, flag_id: int) -> HttpResponse:
    """Lift a flag set by mistake or resolved: the date and the reason; the flag stays in
    the history."""
    flag = selectors.credit_flag_for(request.user, flag_id)  # 404 outside the region, first
    today = timezone.localdate()
    form = CreditLiftForm(request.POST or None, initial={"lifted_on": today})
    status = 200
    if request.method == "POST":
        status = 400
        if form.is_valid():
            try:
                services.credit_flag_lift(
                    actor=request.user,
                    flag_id=flag.pk,
                    lifted_on=form.cleaned_data["lifted_on"],
                    reason=form.cleaned_data["reason"],
                    today=today,
                )
            except ValidationFailed as refusal:
                _attach(form, refusal)
                flag = selectors.credit_flag_for(request.user, flag_id)  # as it is now
            else:
                messages.success(request, _("已移出信用记录，该记录保留在历史中。"))
                return redirect("employment:credit")
    context = {"flag": flag, "form": form}
    return render(request, "employment/credit_lift.html", context, status=status)


@permission_required("export", "employer")
def credit_export(request: AuthedHttpRequest) -> HttpResponse:
    """The credit record as CSV for the social credit system (firms only, no persons): every
    flag, with a column saying whether it is in force (有效) or lifted (已移出), and when and
    why it was lifted."""
    response = HttpResponse(content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = 'attachment; filename="employer-credit.csv"'
    response.write("\ufeff")
    writer = csv.writer(response)
    writer.writerow(
        ["统一社会信用代码", "单位名称", "原因", "说明", "列入日期", "状态", "移出日期", "移出原因"]
    )
    for flag in selectors.credit_flags(request.user).iterator(chunk_size=500):
        writer.writerow(
            [
                neutralise(flag.employer.credit_code),
                neutralise(flag.employer.name),
                flag.get_reason_display(),
                neutralise(flag.detail),
                flag.flagged_on.isoformat(),
                "有效" if flag.in_force else "已移出",
                flag.lifted_on.isoformat() if flag.lifted_on else "",
                neutralise(flag.lift_reason),
            ]
        )
    audit.record(
        actor=request.user, action="export", object_type="employer_credit", request=request
    )
    return response
