"""Forms of the service pages: parsing only; the services decide."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from dpf.services.models import RehabKind, RehabOutcome


class RehabPlanForm(forms.Form):
    institution = forms.TypedChoiceField(label=_("服务机构"), coerce=int, choices=())
    kind = forms.ChoiceField(label=_("服务类型"), choices=RehabKind.choices)
    start = forms.DateField(label=_("计划开始日期"), widget=forms.DateInput(attrs={"type": "date"}))
    end = forms.DateField(label=_("计划结束日期"), widget=forms.DateInput(attrs={"type": "date"}))
    planned_sessions = forms.IntegerField(label=_("计划服务次数"), min_value=1, max_value=366)

    def __init__(self, *args: object, institutions: list[tuple[int, str]], **kwargs: object):
        super().__init__(*args, **kwargs)  # type: ignore[arg-type]
        self.fields["institution"].choices = institutions  # type: ignore[attr-defined]


class RehabSessionForm(forms.Form):
    date = forms.DateField(label=_("服务日期"), widget=forms.DateInput(attrs={"type": "date"}))
    content = forms.CharField(label=_("服务内容"), max_length=200)


class RehabCloseForm(forms.Form):
    outcome = forms.ChoiceField(label=_("康复效果评估"), choices=RehabOutcome.choices)
    closed_on = forms.DateField(label=_("结案日期"), widget=forms.DateInput(attrs={"type": "date"}))
