"""The citizen's pages: home, my certificate, my entitlements, applying online, my
applications, complaints and requests. Each page shows the person being acted for (oneself
or a dependant); any id outside the citizen's own persons answers 404."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from functools import wraps
from typing import Any
from urllib.parse import urlencode

import segno
from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from dpf.accounts.http import AuthedHttpRequest
from dpf.accounts.permissions import permission_required
from dpf.benefits.models import BenefitItem
from dpf.core import audit
from dpf.core.errors import ValidationFailed
from dpf.core.regions import display_names
from dpf.portal import ecert, selectors
from dpf.portal.casework import request_submit
from dpf.portal.forms import ApplyForm, PhoneUploadForm, ReasonForm, RequestForm
from dpf.portal.models import CitizenAccount, RequestCategory
from dpf.registry.models import CertificateStatus, Person
from dpf.workflow import documents as document_files
from dpf.workflow import services as workflow
from dpf.workflow.forms import attach_refusal
from dpf.workflow.models import ApplicantKind, Channel
from dpf.workflow.services.common import WITHDRAW_MINUTES

ACTING_SESSION_KEY = "portal_acting_for"


@dataclass(frozen=True)
class Acting:
    account: CitizenAccount
    person: Person
    choices: list[selectors.ActingChoice]

    @property
    def for_self(self) -> bool:
        return self.person.pk == self.account.person_id

    @property
    def relation(self) -> str:
        return next((c.relation for c in self.choices if c.person_id == self.person.pk), "")


def _acting(request: HttpRequest) -> Acting | None:
    account = selectors.account_of(request.user)
    if account is None:
        return None
    choices = selectors.acting_choices(request.user, account)
    wanted = request.session.get(ACTING_SESSION_KEY)
    person = account.person
    if wanted and wanted != account.person_id and any(c.person_id == wanted for c in choices):
        person = selectors.person_for(request.user, int(wanted))
    return Acting(account=account, person=person, choices=choices)


View = Callable[..., HttpResponse]


def citizen_page(action: str, object_type: str) -> Callable[[View], View]:
    """A portal page for citizens (the "self" scope); the view receives the ``Acting``.

    A citizen user not (yet) linked to a person sees a page saying so.
    """

    def decorate(view: View) -> View:
        @wraps(view)
        def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
            acting = _acting(request)
            if acting is None:
                return render(request, "portal/no_account.html")
            return view(request, acting, *args, **kwargs)

        declared: View = permission_required(action, object_type, scope="self")(wrapper)
        return declared

    return decorate


def _render(
    request: HttpRequest, template: str, acting: Acting, context: dict[str, Any], status: int = 200
) -> HttpResponse:
    context = {"acting": acting, **context}
    return render(request, template, context, status=status)


# Acting for ------------------------------------------------------------------------------


@citizen_page("view", "person")
@require_POST
def acting_for(request: AuthedHttpRequest, acting: Acting) -> HttpResponse:
    raw = request.POST.get("person", "")
    wanted = int(raw) if raw.isdigit() else 0
    if not any(c.person_id == wanted for c in acting.choices):
        return redirect("portal:home")
    request.session[ACTING_SESSION_KEY] = wanted
    target = request.POST.get("next", "")
    if not url_has_allowed_host_and_scheme(target, allowed_hosts={request.get_host()}):
        target = reverse("portal:home")
    return redirect(target)


# Home, certificate, entitlements --------------------------------------------------------


@citizen_page("view", "person")
def home(request: AuthedHttpRequest, acting: Acting) -> HttpResponse:
    person = acting.person
    certificate = selectors.certificate_of(person)
    entitlements = [e for e in selectors.entitlements_of(person) if e.valid_to is None]
    context = {
        "certificate": certificate,
        "entitlements": entitlements,
        "other_help": selectors.other_help(person),
        "applications": selectors.applications_of(person)[:3],
        "requests": selectors.requests_of(person)[:3],
    }
    return _render(request, "portal/home.html", acting, context)


def qr_svg(payload: str) -> str:
    """The QR code as inline SVG markup (segno; no image file, no script)."""
    qr = segno.make(payload, error="m", micro=False)
    svg: str = qr.svg_inline(scale=4, border=4, dark="#000", light="#fff", omitsize=True)
    return svg


@citizen_page("view", "certificate")
def certificate(request: AuthedHttpRequest, acting: Acting) -> HttpResponse:
    cert = selectors.certificate_of(acting.person)
    payload = svg = verify_url = ""
    today = timezone.localdate()
    usable = (
        cert is not None
        and cert.status == CertificateStatus.VALID
        and cert.valid_from <= today
        and (cert.valid_to is None or cert.valid_to >= today)
    )
    if cert is not None and usable:
        payload = ecert.sign(cert)
        verify_url = reverse("portal:verify") + "?" + urlencode({"p": payload})
        # The QR holds the public verify page's full address with the signed payload, so a
        # phone camera opens the verification; ecert.parse still reads the payload out of it
        # for offline checks (dpf certificate verify URL).
        svg = qr_svg(request.build_absolute_uri(verify_url))
        audit.record_view(request, "certificate", cert.pk)
    county = display_names({cert.issuing_county}) if cert else {}
    context = {
        "certificate": cert,
        "usable": usable,
        "payload": payload,
        "qr_svg": svg,
        "verify_url": verify_url,
        "issuing_county_name": county.get(cert.issuing_county, "") if cert else "",
    }
    return _render(request, "portal/certificate.html", acting, context)


@citizen_page("view", "entitlement")
def entitlements(request: AuthedHttpRequest, acting: Acting) -> HttpResponse:
    person = acting.person
    context = {
        "entitlements": selectors.entitlements_of(person),
        "lines": selectors.payment_lines_of(person),
        "other_help": selectors.other_help(person),
    }
    return _render(request, "portal/entitlements.html", acting, context)


# Applying online ---------------------------------------------------------------------------


def _apply_choices(person: Person) -> list[tuple[str, str]]:
    busy = selectors.applying_codes(person)
    return [
        (code, name)
        for code, name in BenefitItem.objects.filter(active=True)
        .order_by("order", "code")
        .values_list("code", "name_zh")
        if code not in busy
    ]


@citizen_page("create", "application")
def apply(request: AuthedHttpRequest, acting: Acting) -> HttpResponse:
    person = acting.person
    choices = _apply_choices(person)
    initial = {"benefits": [b for b in request.GET.getlist("benefit") if b]}
    form = ApplyForm(request.POST or None, choices=choices, initial=initial)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        bank = None
        if data["account_number"]:
            bank = workflow.BankDetails(
                bank_name=data["bank_name"],
                account_holder=data["account_holder"],
                account_number=data["account_number"],
            )
        guardian = not acting.for_self
        try:
            application = workflow.application_submit(
                actor=request.user,
                person=person,
                benefit_codes=list(data["benefits"]),
                applicant_kind=ApplicantKind.GUARDIAN if guardian else ApplicantKind.SELF,
                channel=Channel.ONLINE,
                applicant_name=acting.account.person.name if guardian else "",
                applicant_relation=acting.relation if guardian else "",
                bank=bank,
                note=data["note"],
            )
        except ValidationFailed as refusal:
            attach_refusal(form, refusal)
        else:
            messages.success(request, _("申请已提交。请在下面上传需要的材料。"))
            if bank is not None:
                messages.info(
                    request,
                    _("收款账户要经工作人员核实后才用于发放，核实前仍发放到原账户。"),
                )
            return redirect("portal:application", application_id=application.pk)
    status = 400 if request.method == "POST" else 200
    return _render(request, "portal/apply.html", acting, {"form": form}, status=status)


@citizen_page("view", "application")
def applications(request: AuthedHttpRequest, acting: Acting) -> HttpResponse:
    rows = selectors.applications_of(acting.person)
    return _render(request, "portal/applications.html", acting, {"applications": rows})


def _withdrawable(request: AuthedHttpRequest, application: Any) -> bool:
    refusal = workflow.withdrawal_refused(
        application, actor=request.user, now=timezone.now(), items=application.items.all()
    )
    return refusal is None


def _application_page(
    request: AuthedHttpRequest,
    acting: Acting,
    application_id: int,
    *,
    upload: PhoneUploadForm | None = None,
    appeal: tuple[int, ReasonForm] | None = None,
    status: int = 200,
) -> HttpResponse:
    application = selectors.application_for(request.user, application_id)
    view = selectors.application_view(application)
    context = {
        "v": view,
        "upload": upload or PhoneUploadForm(),
        "appeal_item": appeal[0] if appeal else None,
        "appeal_form": appeal[1] if appeal else ReasonForm(),
        "can_withdraw": _withdrawable(request, application),
        "withdraw_minutes": WITHDRAW_MINUTES,
        "documents": list(application.documents.all()),
    }
    # The page shows the application's own person, who may differ from the chosen one.
    shown = Acting(acting.account, application.person, acting.choices)
    audit.record_view(request, "application", application.pk)
    return _render(request, "portal/application.html", shown, context, status=status)


@citizen_page("view", "application")
def application(request: AuthedHttpRequest, acting: Acting, application_id: int) -> HttpResponse:
    return _application_page(request, acting, application_id)


@citizen_page("create", "application")
@require_POST
def upload(request: AuthedHttpRequest, acting: Acting, application_id: int) -> HttpResponse:
    found = selectors.application_for(request.user, application_id)
    form = PhoneUploadForm(request.POST, request.FILES)
    if form.is_valid():
        uploaded = form.cleaned_data["file"]
        data = uploaded.read(document_files.MAX_BYTES + 1)
        try:
            workflow.document_upload(
                actor=request.user,
                application_id=found.pk,
                doc_type=form.cleaned_data["doc_type"],
                name=uploaded.name or "",
                data=data,
            )
        except ValidationFailed as refusal:
            attach_refusal(form, refusal)
        else:
            messages.success(request, _("材料已上传。"))
            return redirect("portal:application", application_id=found.pk)
    return _application_page(request, acting, found.pk, upload=form, status=400)


@citizen_page("create", "application")
@require_POST
def withdraw(request: AuthedHttpRequest, acting: Acting, application_id: int) -> HttpResponse:
    found = selectors.application_for(request.user, application_id)
    try:
        workflow.application_withdraw(actor=request.user, application_id=found.pk)
    except ValidationFailed as refusal:
        messages.error(request, refusal.message)
    else:
        messages.success(request, _("申请已撤回。"))
    return redirect("portal:application", application_id=found.pk)


@citizen_page("create", "application")
@require_POST
def appeal(
    request: AuthedHttpRequest, acting: Acting, application_id: int, item_id: int
) -> HttpResponse:
    found = selectors.application_for(request.user, application_id)
    if not any(i.pk == item_id for i in found.items.all()):
        raise Http404
    form = ReasonForm(request.POST)
    if form.is_valid():
        try:
            workflow.item_appeal(
                actor=request.user, item_id=item_id, reason=form.cleaned_data["reason"]
            )
        except ValidationFailed as refusal:
            attach_refusal(form, refusal)
        else:
            messages.success(request, _("申诉已提交，将重新审核。"))
            return redirect("portal:application", application_id=found.pk)
    return _application_page(request, acting, found.pk, appeal=(item_id, form), status=400)


# Complaints and requests ----------------------------------------------------------------


@citizen_page("create", "citizen_request")
def requests(request: AuthedHttpRequest, acting: Acting) -> HttpResponse:
    form = RequestForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            created = request_submit(
                actor=request.user,
                person_id=acting.person.pk,
                kind=form.cleaned_data["kind"],
                category=form.cleaned_data["category"] or RequestCategory.OTHER,
                text=form.cleaned_data["text"],
                contact_preference=form.cleaned_data["contact_preference"],
            )
        except ValidationFailed as refusal:
            attach_refusal(form, refusal)
        else:
            messages.success(request, _("已提交，工作人员会尽快处理。"))
            return redirect("portal:request", request_id=created.pk)
    context = {"form": form, "rows": selectors.requests_of(acting.person)}
    status = 400 if request.method == "POST" else 200
    return _render(request, "portal/requests.html", acting, context, status=status)


@citizen_page("view", "citizen_request")
def request_detail(request: AuthedHttpRequest, acting: Acting, request_id: int) -> HttpResponse:
    found = selectors.request_for(request.user, request_id)
    shown = Acting(acting.account, found.person, acting.choices)
    context = {"r": found, "events": selectors.request_events(found)}
    return _render(request, "portal/request.html", shown, context)
