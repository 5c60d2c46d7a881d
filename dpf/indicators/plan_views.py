"""Plan pages: the loaded plans, the template file, upload with a preview, confirmation.

An uploaded definition is checked as a whole and shown; only a definition without problems
is staged, in the user's session (never in a URL), and written when the admin confirms.
"""

from __future__ import annotations

import hashlib
import json
from typing import Any

from django.contrib import messages
from django.db.models import Count
from django.http import FileResponse, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from dpf.accounts.http import AuthedHttpRequest
from dpf.accounts.permissions import has_permission, permission_required
from dpf.core.errors import ValidationFailed
from dpf.indicators import services
from dpf.indicators.forms import PlanUploadForm
from dpf.indicators.models import Plan
from dpf.indicators.plandefs import (
    MAX_PLAN_FILE_BYTES,
    PlanCheck,
    Problem,
    check_plan,
    parse_plan_file,
)

STAGE_KEY = "indicators_plan_upload"


@permission_required("view", "indicators")
def plans(request: AuthedHttpRequest) -> HttpResponse:
    """The loaded plans; a POST publishes a draft (``services.plan_publish`` checks that the
    user may change plans)."""
    may_change = has_permission(request.user, "change", "indicators")
    if request.method == "POST":
        try:
            plan = services.plan_publish(actor=request.user, code=request.POST.get("plan", ""))
        except ValidationFailed as exc:
            messages.error(request, exc.message)
        else:
            messages.success(request, _("规划已发布：%(name)s") % {"name": plan.name})
        return redirect("indicators:plans")
    loaded = Plan.objects.annotate(indicator_count=Count("indicators")).order_by("-start")
    if not may_change:
        loaded = loaded.filter(published_at__isnull=False)
    return render(request, "indicators/plans.html", {"plans": loaded, "can_upload": may_change})


@permission_required("change", "indicators")
def plan_template(request: AuthedHttpRequest) -> FileResponse:
    return FileResponse(
        services.PLAN_14TH.open("rb"),
        as_attachment=True,
        filename="plan_template_P14.json",
        content_type="application/json; charset=utf-8",
    )


def _check_upload(form: PlanUploadForm) -> tuple[PlanCheck, bytes]:
    """Check the uploaded file; reads no more than one byte past the size limit."""
    content = form.cleaned_data["file"].read(MAX_PLAN_FILE_BYTES + 1)
    try:
        data = parse_plan_file(content)
    except ValidationFailed as exc:
        return PlanCheck(data={}, problems=[Problem(exc)]), content
    return check_plan(data), content


@permission_required("change", "indicators")
def plan_upload(request: AuthedHttpRequest) -> HttpResponse:
    form = PlanUploadForm(request.POST or None, request.FILES or None)
    check: PlanCheck | None = None
    token = ""
    if request.method == "POST" and form.is_valid():
        request.session.pop(STAGE_KEY, None)
        check, content = _check_upload(form)
        if check.ok:
            token = hashlib.sha256(content).hexdigest()
            request.session[STAGE_KEY] = {"token": token, "content": content.decode("utf-8-sig")}
    return render(
        request,
        "indicators/plan_upload.html",
        {"form": form, "check": check, "token": token, "rows": _rows(check)},
        status=400 if (check is not None and not check.ok) or form.errors else 200,
    )


def _rows(check: PlanCheck | None) -> list[dict[str, Any]]:
    """The indicators of a preview, with their specs as compact JSON text."""
    if check is None:
        return []
    return [
        {
            "item": item,
            "numerator": json.dumps(item.get("numerator"), ensure_ascii=False),
            "denominator": json.dumps(item.get("denominator") or None, ensure_ascii=False),
        }
        for item in check.indicators
    ]


@permission_required("change", "indicators")
@require_POST
def plan_upload_confirm(request: AuthedHttpRequest) -> HttpResponse:
    staged = request.session.get(STAGE_KEY)
    if request.POST.get("action") == "discard":
        request.session.pop(STAGE_KEY, None)
        messages.info(request, _("已放弃上传的规划，未写入任何数据。"))
        return redirect("indicators:plan_upload")
    if not staged or staged.get("token") != request.POST.get("token"):
        messages.error(request, _("预览已失效，请重新上传规划文件。"))
        return redirect("indicators:plan_upload")
    try:
        plan = services.plan_load(
            actor=request.user, data=json.loads(staged["content"]), draft=True
        )
    except ValidationFailed as exc:
        request.session.pop(STAGE_KEY, None)
        messages.error(request, f"{exc.message_zh} / {exc.message_en}")
        return redirect("indicators:plan_upload")
    request.session.pop(STAGE_KEY, None)
    loaded = _("规划已载入为草稿：%(name)s。发布之前，各页面默认仍显示已发布的规划。")
    messages.success(request, loaded % {"name": plan.name})
    return redirect("indicators:plans")
