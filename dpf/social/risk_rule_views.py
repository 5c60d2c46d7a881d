"""The risk rules and thresholds page of return-to-poverty monitoring (风险规则与监测线):
the rules in force with their text and source, every version and every dated threshold;
the city admin publishes a new rule version or a threshold from a date. A rule that does
not compile is refused with the rule engine's message and its place; nothing is written."""

from __future__ import annotations

from django import forms
from django.contrib import messages
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import get_language
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from dpf.accounts.http import AuthedHttpRequest
from dpf.accounts.permissions import has_permission, permission_required
from dpf.core.dates import local_today
from dpf.core.errors import ValidationFailed
from dpf.registry.forms import attach_refusal
from dpf.rules.catalogue import rule_names
from dpf.rules.errors import RuleError
from dpf.social import monitoring
from dpf.social.forms import RiskRuleForm, ThresholdForm


def _refused(form: forms.Form, refusal: ValidationFailed) -> None:
    if isinstance(refusal, RuleError):
        # The rule engine's place and problem ("第2行第5列：…"), next to the text.
        english = (get_language() or "").startswith("en")
        form.add_error("text", refusal.located_en if english else refusal.located_zh)
    else:
        attach_refusal(form, refusal)


@permission_required("view", "risk_rule")
@require_http_methods(["GET", "POST"])
def risk_rules(request: AuthedHttpRequest) -> HttpResponse:
    today = local_today()
    action = request.POST.get("action") if request.method == "POST" else None
    initial = {"valid_from": today}
    rule = RiskRuleForm(request.POST if action == "rule" else None, prefix="r", initial=initial)
    threshold = ThresholdForm(
        request.POST if action == "threshold" else None, prefix="t", initial=initial
    )
    form = {"rule": rule, "threshold": threshold}.get(action or "")
    status = 200
    if request.method == "POST":
        status = 400
        if form is not None and form.is_valid():
            try:
                if action == "rule":
                    monitoring.rule_save(actor=request.user, **rule.cleaned_data)
                    messages.success(request, _("风险规则的新版本已发布。"))
                else:
                    monitoring.threshold_set(actor=request.user, **threshold.cleaned_data)
                    messages.success(request, _("阈值已设定。"))
            except ValidationFailed as refusal:
                _refused(form, refusal)
            else:
                return redirect("social:risk_rules")
    context = {
        "today": today,
        "in_force": monitoring.rules_in_force(today),
        "versions": list(monitoring.rule_versions(request.user)),
        "thresholds": list(monitoring.threshold_versions(request.user)),
        "rule": rule,
        "threshold": threshold,
        "form": form,
        "can_change": has_permission(request.user, "change", "risk_rule"),
        "rule_names": rule_names(),
    }
    return render(request, "social/risk_rules.html", context, status=status)
