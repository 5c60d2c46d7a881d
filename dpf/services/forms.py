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


class DeviceFittingForm(forms.Form):
    item_code = forms.ChoiceField(label=_("辅具（补贴目录）"), choices=())
    assessed_on = forms.DateField(
        label=_("评估日期"), widget=forms.DateInput(attrs={"type": "date"})
    )
    fitted_on = forms.DateField(label=_("适配日期"), widget=forms.DateInput(attrs={"type": "date"}))
    supplier = forms.CharField(label=_("供应商"), max_length=100)

    def __init__(self, *args: object, items: list[tuple[str, str]], **kwargs: object):
        super().__init__(*args, **kwargs)  # type: ignore[arg-type]
        self.fields["item_code"].choices = items  # type: ignore[attr-defined]


SATISFACTION_CHOICES = [
    ("5", _("非常满意")),
    ("4", _("满意")),
    ("3", _("一般")),
    ("2", _("不满意")),
    ("1", _("非常不满意")),
]


class DeviceFollowUpForm(forms.Form):
    fitting = forms.TypedChoiceField(label=_("适配记录"), coerce=int, choices=())
    date = forms.DateField(label=_("回访日期"), widget=forms.DateInput(attrs={"type": "date"}))
    satisfaction = forms.TypedChoiceField(
        label=_("满意度"), coerce=int, choices=SATISFACTION_CHOICES
    )
    in_use = forms.BooleanField(label=_("仍在使用"), required=False, initial=True)

    def __init__(self, *args: object, fittings: list[tuple[int, str]], **kwargs: object):
        super().__init__(*args, **kwargs)  # type: ignore[arg-type]
        self.fields["fitting"].choices = fittings  # type: ignore[attr-defined]
