"""Forms of the benefit pages: parsing and presentation only (rules live in services)."""

from __future__ import annotations

import hashlib
from typing import Any

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from dpf.benefits.models import BenefitItem, RuleMode, WorkItemKind, WorkItemStatus
from dpf.core.errors import ValidationFailed
from dpf.core.i18n import localised
from dpf.core.regions import counties
from dpf.registry.forms import DateInput


def attach_refusal(form: forms.Form, refusal: ValidationFailed) -> None:
    """Show a service's refusal next to the field it names (or above the form)."""
    name = refusal.field or ""
    form.add_error(name if name in form.fields else None, refusal.message)


def county_choices() -> list[tuple[str, str]]:
    return list(counties().values_list("code", "name"))


class RuleChangeForm(forms.Form):
    """A new rule text for a benefit: previewed by county, then published."""

    benefit = forms.ModelChoiceField(
        label=_("惠残事项"),
        queryset=BenefitItem.objects.filter(active=True),
        to_field_name="code",
    )
    mode = forms.ChoiceField(label=_("方式"), choices=RuleMode.choices, initial=RuleMode.BASE)
    region_code = forms.ChoiceField(
        label=_("旗县区（仅放宽规则）"),
        required=False,
        help_text=_("基本规则适用于全市，不选；放宽规则选择一个旗县区。"),
    )
    text = forms.CharField(
        label=_("规则"),
        widget=forms.Textarea(attrs={"rows": 5, "spellcheck": "false", "lang": "en"}),
        max_length=4000,
        help_text=_("规则语言（CEL 子集），例如 certificate.valid && certificate.level in [1, 2]"),
    )
    # ISO YYYY-MM-DD, the only value <input type=date> shows (the locale's 2026/12/04 is
    # shown as an empty field).
    valid_from = forms.DateField(label=_("生效日期"), widget=DateInput())
    as_of = forms.DateField(
        label=_("预览日期"),
        widget=DateInput(),
        help_text=_("按该日期的数据计算增减人数。"),
    )
    note = forms.CharField(label=_("说明"), required=False, max_length=300)
    confirm = forms.CharField(required=False, widget=forms.HiddenInput)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        region = self.fields["region_code"]
        assert isinstance(region, forms.ChoiceField)
        region.choices = [("", _("（全市）")), *county_choices()]
        today = timezone.localdate()
        self.fields["as_of"].initial = today
        self.fields["valid_from"].initial = today

    def fingerprint(self) -> str:
        """What the preview showed: publishing must match it (no unseen change)."""
        d = self.cleaned_data
        raw = "\x1f".join(
            [d["benefit"].code, d["mode"], d.get("region_code") or "", d["text"].strip()]
        )
        return hashlib.sha256(raw.encode("utf-8")).hexdigest()[:32]


class QueueFilterForm(forms.Form):
    kind = forms.ChoiceField(
        label=_("类型"), required=False, choices=[("", _("全部")), *WorkItemKind.choices]
    )
    benefit = forms.ChoiceField(label=_("惠残事项"), required=False)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        benefit = self.fields["benefit"]
        assert isinstance(benefit, forms.ChoiceField)
        benefit.choices = [
            ("", _("全部")),
            *(
                (code, localised(zh, en))
                for code, zh, en in BenefitItem.objects.filter(active=True).values_list(
                    "code", "name_zh", "name_en"
                )
            ),
        ]


class CloseItemForm(forms.Form):
    status = forms.ChoiceField(
        label=_("处理结果"),
        choices=[
            (WorkItemStatus.DONE, _("已处理（已帮办申请或已核实）")),
            (WorkItemStatus.DISMISSED, _("不予处理（须说明原因）")),
        ],
        widget=forms.RadioSelect,
    )
    note = forms.CharField(label=_("说明"), required=False, max_length=300)
