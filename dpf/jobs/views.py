"""Pages of the job system: a job's progress, the schedules (city admin)."""

from __future__ import annotations

from django.contrib import messages
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from dpf.accounts.http import AuthedHttpRequest
from dpf.accounts.permissions import permission_required
from dpf.core.errors import ValidationFailed
from dpf.jobs import selectors, services
from dpf.jobs.forms import ScheduleForm
from dpf.jobs.models import ACTIVE


@permission_required("view", "schedule")
def job(request: AuthedHttpRequest, job_id: int) -> HttpResponse:
    found = selectors.job_for(request.user, job_id)
    context = {
        "job": found,
        "kind": selectors.kind_label(found.kind),
        "active": found.status in ACTIVE,
    }
    return render(request, "jobs/job.html", context)


@permission_required("view", "schedule")
def schedules(request: AuthedHttpRequest) -> HttpResponse:
    context = {
        "rows": selectors.schedules(request.user),
        "jobs": selectors.recent_jobs(request.user),
    }
    return render(request, "jobs/schedules.html", context)


@permission_required("manage", "schedule")
def schedule_edit(request: AuthedHttpRequest, kind: str) -> HttpResponse:
    schedule = selectors.schedule_by_kind(request.user, kind)
    initial = {
        "time_of_day": schedule.time_of_day.strftime("%H:%M"),
        "day_of_month": schedule.day_of_month,
        "enabled": schedule.enabled,
    }
    form = ScheduleForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            services.schedule_update(
                actor=request.user,
                schedule=schedule,
                time_of_day=form.cleaned_data["time_of_day"],
                day_of_month=form.cleaned_data["day_of_month"],
                enabled=form.cleaned_data["enabled"],
            )
        except ValidationFailed as exc:
            form.add_error(exc.field if exc.field in form.fields else None, exc.message)
        else:
            messages.success(request, _("已保存"))
            return redirect("jobs:schedules")
    context = {"form": form, "schedule": schedule, "label": selectors.kind_label(kind)}
    status = 400 if request.method == "POST" else 200
    return render(request, "jobs/schedule_edit.html", context, status=status)


@permission_required("manage", "schedule")
@require_POST
def schedule_run(request: AuthedHttpRequest, kind: str) -> HttpResponse:
    schedule = selectors.schedule_by_kind(request.user, kind)
    job, started = services.schedule_run_now(actor=request.user, schedule=schedule)
    if started:
        messages.success(request, _("已开始运行"))
    else:
        messages.info(request, _("该任务正在运行，显示的是正在进行的那一次"))
    # Started from the page whose work it is (the proposals page's scan): back there, which
    # shows the job's progress; only a path of this site.
    back = request.POST.get("next", "")
    if back and url_has_allowed_host_and_scheme(back, allowed_hosts=None) and back.startswith("/"):
        return redirect(back)
    return redirect("jobs:job", job_id=job.pk)
