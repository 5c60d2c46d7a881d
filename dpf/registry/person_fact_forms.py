"""Forms of a person's facts decided by other departments (outside payments, 特困 status):
parsing and presentation only; the services decide."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from dpf.registry.forms import DateInput
from dpf.registry.models import OutsidePaymentKind, PersonStatusCode


class OutsidePaymentForm(forms.Form):
    kind = forms.ChoiceField(label=_("外部发放类型"), choices=OutsidePaymentKind.choices)
    valid_from = forms.DateField(label=_("发放起始日期"), widget=DateInput())
    valid_to = forms.DateField(
        label=_("发放终止日期"),
        required=False,
        widget=DateInput(),
        help_text=_("仍在发放的留空。"),
    )
    monthly_amount = forms.CharField(
        label=_("月发放金额（元）"),
        required=False,
        max_length=20,
        help_text=_("如 300 或 300.50；择高享受时与本补贴比较，不知道的留空。"),
        widget=forms.TextInput(attrs={"inputmode": "decimal", "autocomplete": "off"}),
    )


class PersonStatusForm(forms.Form):
    status = forms.ChoiceField(label=_("人员类别"), choices=PersonStatusCode.choices)
    valid_from = forms.DateField(label=_("起始日期"), widget=DateInput())
    valid_to = forms.DateField(
        label=_("终止日期"), required=False, widget=DateInput(), help_text=_("仍在供养的留空。")
    )
