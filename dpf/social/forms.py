"""Forms of the social assistance pages."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from dpf.registry.forms import DateInput
from dpf.social.emergency import PURPOSE_MAX
from dpf.social.models import MeasureKind


class EmergencyExportForm(forms.Form):
    purpose = forms.CharField(
        label=_("导出用途"),
        max_length=PURPOSE_MAX,
        help_text=_("例如：防汛转移演练，交乡镇应急办"),
        widget=forms.Textarea(attrs={"rows": 2}),
    )
    fmt = forms.ChoiceField(
        label=_("格式"),
        choices=[("pdf", _("PDF（大字打印）")), ("xlsx", _("Excel 表格"))],
        widget=forms.RadioSelect,
        initial="pdf",
    )


# --- return-to-poverty monitoring ---------------------------------------------------------


class VisitForm(forms.Form):
    visited_on = forms.DateField(label=_("走访日期"), widget=DateInput())
    confirmed = forms.TypedChoiceField(
        label=_("核实结果"),
        choices=[("yes", _("风险属实，纳入监测")), ("no", _("风险不属实，销号"))],
        coerce=lambda value: value == "yes",
        widget=forms.RadioSelect,
    )
    note = forms.CharField(
        label=_("走访情况"), max_length=1000, widget=forms.Textarea(attrs={"rows": 3})
    )


class MeasureForm(forms.Form):
    kind = forms.ChoiceField(label=_("措施"), choices=MeasureKind.choices)
    taken_on = forms.DateField(label=_("日期"), widget=DateInput())
    application_id = forms.IntegerField(
        label=_("申请编号"),
        required=False,
        min_value=1,
        help_text=_("申请惠残待遇时填写：先在“受理申请”中为本户成员提交申请"),
    )
    note = forms.CharField(label=_("说明"), max_length=300, required=False)


class CloseForm(forms.Form):
    closed_on = forms.DateField(label=_("销号日期"), widget=DateInput())
    note = forms.CharField(
        label=_("销号说明"), max_length=1000, widget=forms.Textarea(attrs={"rows": 3})
    )
