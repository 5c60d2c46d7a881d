"""Forms of the exchange pages: upload a roster, export a registry extract."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from dpf.exchange.rostertypes import ROSTER_TYPES


class UploadForm(forms.Form):
    roster_type = forms.ChoiceField(label=_("名单类型"))
    file = forms.FileField(
        label=_("名单文件（.xlsx 或 CSV）"),
        help_text=_("CSV 可以是 UTF-8 或 GB18030/GBK 编码；第一行（或前几行之一）为表头。"),
        widget=forms.ClearableFileInput(attrs={"accept": ".xlsx,.csv,.txt"}),
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field = self.fields["roster_type"]
        assert isinstance(field, forms.ChoiceField)
        field.choices = [(code, t.name) for code, t in ROSTER_TYPES.items()]


class ExportForm(forms.Form):
    region = forms.ChoiceField(label=_("地区"))
    as_of = forms.DateField(
        label=_("统计日期"),
        widget=forms.DateInput(attrs={"type": "date"}),
        help_text=_("导出该日期有效的残疾人证和家庭经济状况。"),
    )
    purpose = forms.CharField(
        label=_("导出用途"),
        max_length=300,
        help_text=_("必填，记入审计日志，如“2026年护理补贴年审核对”。"),
        widget=forms.Textarea(attrs={"rows": 2}),
    )
    unmask = forms.BooleanField(
        label=_("导出完整身份证号码和姓名（需授权，记入审计日志）"), required=False
    )

    def __init__(
        self, *args: Any, regions: list[tuple[str, str]], may_unmask: bool, **kwargs: Any
    ) -> None:
        kwargs.setdefault("initial", {"as_of": timezone.localdate()})
        super().__init__(*args, **kwargs)
        field = self.fields["region"]
        assert isinstance(field, forms.ChoiceField)
        field.choices = regions
        if not may_unmask:
            del self.fields["unmask"]
