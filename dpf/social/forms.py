"""Forms of the social assistance pages."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from dpf.social.emergency import PURPOSE_MAX


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
