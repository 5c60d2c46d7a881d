"""Forms of the indicators pages."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from dpf.indicators.models import Indicator


class ManualValueForm(forms.Form):
    indicator = forms.ModelChoiceField(
        label=_("指标"), queryset=Indicator.objects.none(), empty_label=None
    )
    region_code = forms.ChoiceField(label=_("地区"))
    year = forms.IntegerField(label=_("年度"), min_value=2000, max_value=2100)
    value = forms.DecimalField(label=_("数值"), max_digits=14, decimal_places=2)
    reference = forms.DecimalField(
        label=_("参照值（如同期GDP增速）"), max_digits=14, decimal_places=2, required=False
    )
    source = forms.CharField(label=_("数据来源"), max_length=200)

    def __init__(
        self, *args: object, plan_id: int, regions: list[tuple[str, str]], **kwargs: object
    ) -> None:
        super().__init__(*args, **kwargs)  # type: ignore[arg-type]
        manual = [i.pk for i in Indicator.objects.filter(plan_id=plan_id) if i.is_manual]
        self.fields["indicator"].queryset = Indicator.objects.filter(pk__in=manual)  # type: ignore[attr-defined]
        self.fields["region_code"].choices = regions  # type: ignore[attr-defined]


class AnalysisForm(forms.Form):
    analysis = forms.CharField(
        label=_("评估分析"),
        widget=forms.Textarea(attrs={"rows": 12}),
        required=False,
        max_length=20000,
    )


class PlanUploadForm(forms.Form):
    """A plan definition file (JSON, the shape of the downloadable template)."""

    file = forms.FileField(
        label=_("规划定义文件（JSON）"),
        help_text=_("UTF-8 编码的 JSON 文件，格式同模板，不超过 256 KB。"),
    )
