"""Staff pages keeping a person's record current (issue 17 part 1): details, guardian,
move, household membership and status, the certificate's renewal, re-assessment and
cancellation. Thin: a scoped selector, a form, one service from ``registry.changes``;
refusals shown next to their field (400), nothing written. Recording a death is the
workflow's page (entitlements and applications follow).
"""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _

from dpf.accounts.http import AuthedHttpRequest
from dpf.accounts.permissions import permission_required
from dpf.core import audit
from dpf.core.errors import ValidationFailed
from dpf.registry import certificate_changes, changes, history, selectors
from dpf.registry.change_forms import (
    CancelForm,
    DetailsForm,
    GuardianForm,
    HouseholdMemberForm,
    HouseholdStatusForm,
    MoveForm,
    ReassessForm,
    RenewForm,
)
from dpf.registry.forms import attach_refusal
from dpf.registry.models import Person

TEMPLATE = "registry/change_form.html"


def _page(
    request: HttpRequest,
    form: forms.Form,
    *,
    person: Person | None,
    title: str,
    intro: str,
    action: str,
    back: str,
    back_label: str = "",
    extra: dict[str, Any] | None = None,
) -> HttpResponse:
    context = {
        "form": form,
        "p": person,
        "title": title,
        "intro": intro,
        "action_url": action,
        "back_url": back,
        "back_label": back_label or (person.name if person else ""),
        **(extra or {}),
    }
    status = 400 if form.is_bound and form.errors else 200
    return render(request, TEMPLATE, context, status=status)


def _posted(request: HttpRequest) -> Any:
    return request.POST if request.method == "POST" else None


def _person_url(person: Person) -> str:
    return reverse("registry:person", args=[person.pk])


@permission_required("change", "person")
def person_edit(request: AuthedHttpRequest, person_id: int) -> HttpResponse:
    """修改基本信息: name, phone, ethnic group, with the date and the reason."""
    person = selectors.person_for_change(request.user, person_id)
    form = DetailsForm(
        _posted(request), initial={"name": person.name, "ethnicity": person.ethnicity}
    )
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            changes.person_details_change(
                actor=request.user,
                person=person,
                on=data["on"],
                reason=data["reason"],
                name=data["name"],
                phone=data["phone"] or None,
                ethnicity=data["ethnicity"],
            )
        except ValidationFailed as refusal:
            attach_refusal(form, refusal)
        else:
            messages.success(request, _("基本信息已修改"))
            return redirect("registry:person", person_id=person.pk)
    return _page(
        request,
        form,
        person=person,
        title=_("修改基本信息"),
        intro=_("修改后的信息自生效日期起使用；原信息和修改原因保留在变化记录中。"),
        action=reverse("registry:person_edit", args=[person.pk]),
        back=_person_url(person),
    )


@permission_required("change", "person")
def person_guardian(request: AuthedHttpRequest, person_id: int) -> HttpResponse:
    """变更监护人."""
    person = selectors.person_for_change(request.user, person_id)
    form = GuardianForm(_posted(request))
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            changes.guardian_change(
                actor=request.user,
                person=person,
                on=data["on"],
                reason=data["reason"],
                guardian_id_number=data["guardian_id_number"],
                relation=data["relation"],
            )
        except ValidationFailed as refusal:
            attach_refusal(form, refusal)
        else:
            messages.success(request, _("监护人已变更"))
            return redirect("registry:person", person_id=person.pk)
    return _page(
        request,
        form,
        person=person,
        title=_("变更监护人"),
        intro=_("原监护关系在生效日期前一天结束。"),
        action=reverse("registry:person_guardian", args=[person.pk]),
        back=_person_url(person),
    )


@permission_required("change", "person")
def person_move(request: AuthedHttpRequest, person_id: int) -> HttpResponse:
    """登记迁移: the new village takes over from the date; the old residence stays in the
    history. A person moved out of the user's region is no longer theirs to open."""
    person = selectors.person_for_change(request.user, person_id)
    form = MoveForm(_posted(request), village_choices=selectors.village_choices(request.user))
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            outcome = changes.person_move_record(
                actor=request.user,
                person=person,
                village_code=form.target_code(),
                on=data["on"],
                reason=data["reason"],
            )
        except ValidationFailed as refusal:
            attach_refusal(form, refusal, {"village_code": "village_code"})
        else:
            if outcome.still_in_scope:
                messages.success(request, _("迁移已登记"))
                return redirect("registry:person", person_id=person.pk)
            messages.success(
                request,
                _("迁移已登记：%(name)s 已迁出本辖区，由迁入地负责管理。") % {"name": person.name},
            )
            return redirect("registry:person_history", person_id=person.pk)
    return _page(
        request,
        form,
        person=person,
        title=_("登记迁移"),
        intro=_(
            "迁入地自迁入日期起负责该人员；原居住地保留在变化记录中。"
            "本人单独立户的，家庭随之迁移；与他人同户的，请另行变更家庭成员。"
        ),
        action=reverse("registry:person_move", args=[person.pk]),
        back=_person_url(person),
    )


@permission_required("change", "person")
def person_household(request: AuthedHttpRequest, person_id: int) -> HttpResponse:
    """变更家庭成员: the person joins another household or forms their own."""
    person = selectors.person_for_change(request.user, person_id)
    form = HouseholdMemberForm(_posted(request), initial={"relation": person.relation_to_head})
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            changes.household_member_change(
                actor=request.user,
                person=person,
                household=data["household"],
                relation=data["relation"],
                on=data["on"],
                reason=data["reason"],
            )
        except ValidationFailed as refusal:
            attach_refusal(form, refusal)
        else:
            messages.success(request, _("家庭成员已变更"))
            return redirect("registry:person", person_id=person.pk)
    return _page(
        request,
        form,
        person=person,
        title=_("变更家庭成员"),
        intro=_("本人加入同一嘎查村社区的另一家庭，或单独立户。"),
        action=reverse("registry:person_household", args=[person.pk]),
        back=_person_url(person),
    )


@permission_required("change", "household")
def household_status(request: AuthedHttpRequest, household_id: int) -> HttpResponse:
    """变更家庭经济状况 from a date, with the reason."""
    household = selectors.household_for_change(request.user, household_id)
    form = HouseholdStatusForm(_posted(request))
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            changes.household_status_change(
                actor=request.user,
                household=household,
                status=data["status"],
                on=data["on"],
                reason=data["reason"],
            )
        except ValidationFailed as refusal:
            attach_refusal(form, refusal, {"valid_from": "on"})
        else:
            messages.success(request, _("家庭经济状况已变更"))
            return redirect("registry:household", household_id=household.pk)
    return _page(
        request,
        form,
        person=None,
        title=_("变更家庭经济状况"),
        intro=_("原经济状况在起始日期前一天结束。"),
        action=reverse("registry:household_status", args=[household.pk]),
        back=reverse("registry:household", args=[household.pk]),
        back_label=_("家庭 %(id)s") % {"id": household.pk},
    )


def _certificate_page(
    request: HttpRequest, certificate_id: int, form_class: type[forms.Form]
) -> tuple[Any, forms.Form]:
    certificate = selectors.certificate_for_change(request.user, certificate_id)
    return certificate, form_class(_posted(request))


@permission_required("change", "certificate")
def certificate_renew(request: AuthedHttpRequest, certificate_id: int) -> HttpResponse:
    """换证: a new certificate of the same category and level."""
    certificate, form = _certificate_page(request, certificate_id, RenewForm)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            certificate_changes.certificate_renew(
                actor=request.user,
                certificate=certificate,
                issue_date=data["issue_date"],
                reason=data["reason"],
            )
        except ValidationFailed as refusal:
            attach_refusal(form, refusal, {"valid_from": "issue_date"})
        else:
            messages.success(request, _("已换发残疾人证"))
            return redirect("registry:person", person_id=certificate.person_id)
    return _page(
        request,
        form,
        person=certificate.person,
        title=_("换证"),
        intro=_("换发同类别、同等级的新证；原证（%(what)s）自换证日期起作废。")
        % {"what": certificate},
        action=reverse("registry:certificate_renew", args=[certificate.pk]),
        back=_person_url(certificate.person),
    )


@permission_required("change", "certificate")
def certificate_reassess(request: AuthedHttpRequest, certificate_id: int) -> HttpResponse:
    """重新评定: a new category or level."""
    certificate, form = _certificate_page(request, certificate_id, ReassessForm)
    if request.method != "POST":
        form = ReassessForm(initial={"category": certificate.category, "level": certificate.level})
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            certificate_changes.certificate_reassess(
                actor=request.user,
                certificate=certificate,
                category=data["category"],
                level=data["level"],
                on=data["on"],
                reason=data["reason"],
            )
        except ValidationFailed as refusal:
            attach_refusal(form, refusal, {"valid_from": "on", "issue_date": "on"})
        else:
            messages.success(request, _("重新评定已登记，新证已发放"))
            return redirect("registry:person", person_id=certificate.person_id)
    return _page(
        request,
        form,
        person=certificate.person,
        title=_("重新评定"),
        intro=_("按新的评定结果发放新证；原证（%(what)s）自评定日期起作废。")
        % {"what": certificate},
        action=reverse("registry:certificate_reassess", args=[certificate.pk]),
        back=_person_url(certificate.person),
    )


@permission_required("change", "certificate")
def certificate_cancel(request: AuthedHttpRequest, certificate_id: int) -> HttpResponse:
    """注销 with the reason."""
    certificate, form = _certificate_page(request, certificate_id, CancelForm)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            certificate_changes.certificate_cancel(
                actor=request.user, certificate=certificate, on=data["on"], reason=data["reason"]
            )
        except ValidationFailed as refusal:
            attach_refusal(form, refusal)
        else:
            messages.success(request, _("残疾人证已注销"))
            return redirect("registry:person", person_id=certificate.person_id)
    return _page(
        request,
        form,
        person=certificate.person,
        title=_("注销残疾人证"),
        intro=_("注销后该证不能再换证或重新评定（%(what)s）。") % {"what": certificate},
        action=reverse("registry:certificate_cancel", args=[certificate.pk]),
        back=_person_url(certificate.person),
    )


@permission_required("view", "person")
def person_history(request: AuthedHttpRequest, person_id: int) -> HttpResponse:
    """迁出人员记录: what the region keeps of a person who moved out of it, read-only."""
    moved = history.moved_out_history(request.user, person_id)
    if moved is None:  # the person lives in the user's region: the full page
        return redirect("registry:person", person_id=person_id)
    audit.record_view(request, "person", person_id, changes={"history": "moved_out"})
    return render(request, "registry/person_history.html", {"h": moved, "p": moved.person})
