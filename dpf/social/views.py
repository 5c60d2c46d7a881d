"""Social assistance pages: the emergency priority list of a township or village (masked on
screen, exported in full with a stated purpose)."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_http_methods

from dpf.accounts.permissions import has_permission, permission_required
from dpf.core.dates import local_today
from dpf.core.errors import ValidationFailed
from dpf.registry.forms import attach_refusal
from dpf.social import emergency, selectors
from dpf.social.forms import EmergencyExportForm

CONTENT_TYPES = {
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "pdf": "application/pdf",
}


@permission_required("view", "emergency_list")
@require_http_methods(["GET", "POST"])
def emergency_list(request: HttpRequest) -> HttpResponse:
    today = local_today()
    region_code = request.POST.get("region") or request.GET.get("region") or ""
    region_code = region_code or selectors.default_emergency_region(request.user)
    form = EmergencyExportForm(request.POST or None)
    status = 200
    if request.method == "POST":
        status = 400
        if form.is_valid():
            try:
                name, content, _count = emergency.emergency_export(
                    actor=request.user,
                    region_code=region_code,
                    on=today,
                    purpose=form.cleaned_data["purpose"],
                    fmt=form.cleaned_data["fmt"],
                )
            except ValidationFailed as refusal:
                attach_refusal(form, refusal)
            else:
                kind = CONTENT_TYPES[form.cleaned_data["fmt"]]
                response = HttpResponse(content, content_type=kind)
                response["Content-Disposition"] = f'attachment; filename="{name}"'
                response["Cache-Control"] = "no-store"
                return response
    region, rows = None, list[emergency.PriorityPerson]()
    if region_code:
        region, rows = emergency.emergency_list(
            actor=request.user, region_code=region_code, on=today
        )
    context = {
        "region": region,
        "rows": rows,
        "form": form,
        "today": today,
        "choices": selectors.emergency_regions(request.user, region),
        "can_export": has_permission(request.user, "export", "emergency_list"),
        "reasons": emergency.REASONS,
    }
    return render(request, "social/emergency.html", context, status=status)
