"""The services of this app on a person's timeline (issue 18 part 11): rehabilitation plans
and sessions (a child's under 8 named child rehabilitation), device fittings and their
follow-ups, the home renovation's assessment, approval, completion and acceptance, care
placements, and the schooling follow-up (not in school, resolved). Registered with the
registry in ``ServicesConfig.ready``; seven queries per person whatever the history."""

from __future__ import annotations

from django.utils.translation import gettext as _

from dpf.core.dates import age_on
from dpf.registry.models import Person
from dpf.registry.timeline_sources import ServiceEvent, anchored, recorded_by
from dpf.services.models import (
    CarePlacement,
    DeviceFitting,
    DeviceFollowUp,
    HomeRenovation,
    NotEnrolled,
    RehabPlan,
    RehabSession,
)

CHILD_REHAB_BEFORE = 8  # a plan for a child under 8 is child rehabilitation assistance


def person_service_events(person: Person) -> list[ServiceEvent]:  # noqa: C901
    events: list[ServiceEvent] = []
    add = events.append
    plans = list(
        RehabPlan.objects.filter(person=person, **anchored(person))
        .select_related("institution")
        .only("pk", "kind", "start", "closed_on", "outcome", "institution__name", "created_by_id")
        .order_by("start", "pk")
    )
    for plan in plans:
        child = age_on(person.birth_date, plan.start) < CHILD_REHAB_BEFORE
        what = f"{plan.get_kind_display()} · {plan.institution.name}"
        start = _("儿童康复救助：制定服务计划") if child else _("康复服务：制定服务计划")
        add(ServiceEvent(plan.start, start, what, recorded_by(plan.created_by_id), plan.pk))
        if plan.closed_on:
            detail = _("%(what)s；效果评估：%(outcome)s") % {
                "what": what,
                "outcome": plan.get_outcome_display(),
            }
            end = _("儿童康复救助：结案") if child else _("康复服务：结案")
            add(ServiceEvent(plan.closed_on, end, detail, recorded_by(plan.created_by_id), plan.pk))
    sessions = (
        RehabSession.objects.filter(plan__person=person, **anchored(person, "plan__"))
        .select_related("plan__institution")
        .only("pk", "date", "content", "recorded_by_id", "plan__institution__name")
        .order_by("date", "pk")
    )
    for s in sessions:
        detail = f"{s.content} · {s.plan.institution.name}"
        add(ServiceEvent(s.date, _("康复服务记录"), detail, recorded_by(s.recorded_by_id), s.pk))
    fittings = (
        DeviceFitting.objects.filter(person=person, **anchored(person))
        .select_related("item")
        .order_by("fitted_on", "pk")
    )
    for f in fittings:
        detail = _("%(device)s，供应商：%(supplier)s") % {
            "device": f.item.name,
            "supplier": f.supplier,
        }
        add(ServiceEvent(f.fitted_on, _("辅具适配"), detail, recorded_by(f.recorded_by_id), f.pk))
    follow_ups = (
        DeviceFollowUp.objects.filter(fitting__person=person, **anchored(person, "fitting__"))
        .select_related("fitting__item")
        .order_by("date", "pk")
    )
    for u in follow_ups:
        detail = _("%(device)s；满意度 %(score)s/5；%(use)s") % {
            "device": u.fitting.item.name,
            "score": u.satisfaction,
            "use": _("仍在使用") if u.in_use else _("已不再使用"),
        }
        add(ServiceEvent(u.date, _("辅具适配回访"), detail, recorded_by(u.recorded_by_id), u.pk))
    for r in HomeRenovation.objects.filter(person=person, **anchored(person)).order_by(
        "assessed_on", "pk"
    ):
        by = recorded_by(r.created_by_id)
        add(ServiceEvent(r.assessed_on, _("无障碍改造：入户评估"), r.assessment, by, r.pk))
        if r.approved_on:
            detail = _("施工单位：%(contractor)s") % {"contractor": r.contractor or "—"}
            add(ServiceEvent(r.approved_on, _("无障碍改造：方案批准"), detail, by, r.pk))
        if r.completed_on:
            add(ServiceEvent(r.completed_on, _("无障碍改造：完工"), r.completion_note, by, r.pk))
        if r.accepted_on:
            add(ServiceEvent(r.accepted_on, _("无障碍改造：验收"), r.acceptance_note, by, r.pk))
    placements = (
        CarePlacement.objects.filter(person=person, **anchored(person))
        .select_related("institution")
        .order_by("start", "pk")
    )
    for c in placements:
        by = recorded_by(c.created_by_id)
        what = _("%(kind)s · %(institution)s，%(months)s个月") % {
            "kind": c.get_kind_display(),
            "institution": c.institution.name,
            "months": c.months,
        }
        add(ServiceEvent(c.start, _("托养服务：开始"), what, by, c.pk))
        if c.ended_on:
            detail = f"{c.get_kind_display()}；{c.end_reason}".rstrip("；")
            add(ServiceEvent(c.ended_on, _("托养服务：提前结束"), detail, by, c.pk))
    for n in NotEnrolled.objects.filter(person=person, **anchored(person)).order_by("since", "pk"):
        by = recorded_by(n.created_by_id)
        detail = f"{n.get_kind_display()}：{n.get_reason_display()}"
        add(ServiceEvent(n.since, _("列入未入学跟进"), detail, by, n.pk))
        if n.resolved_on:
            add(ServiceEvent(n.resolved_on, _("未入学跟进已解决"), n.resolution, by, n.pk))
    return events
