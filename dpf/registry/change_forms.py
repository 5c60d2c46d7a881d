"""Forms of the record changes (issue 17 part 1): parsing and presentation only; the
services in ``dpf.registry.changes`` decide. Each asks the effective date and the reason."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from dpf.core.certnumber import Category, Level
from dpf.registry.forms import DateInput
from dpf.registry.models import HouseholdStatusCode, Relation


def _on(label: Any = None) -> forms.DateField:
    return forms.DateField(
        label=label or _("生效日期"), widget=DateInput(), help_text=_("不能晚于今天。")
    )


def _reason() -> forms.CharField:
    return forms.CharField(
        label=_("变更原因"),
        max_length=300,
        help_text=_("如“户口本更正”“民政部门通知”，将显示在变化记录中。"),
        widget=forms.TextInput(attrs={"autocomplete": "off"}),
    )


class ChangeForm(forms.Form):
    """The effective date and the reason, asked by every change."""

    on = _on()
    reason = _reason()


class DetailsForm(forms.Form):
    name = forms.CharField(label=_("姓名"), max_length=50)
    phone = forms.CharField(
        label=_("联系电话"),
        max_length=20,
        required=False,
        help_text=_("留空表示不变（现号码不在此显示）。"),
        widget=forms.TextInput(attrs={"inputmode": "tel", "autocomplete": "off"}),
    )
    ethnicity = forms.CharField(label=_("民族"), max_length=20)
    on = _on()
    reason = _reason()


class GuardianForm(forms.Form):
    guardian_id_number = forms.CharField(
        label=_("监护人身份证号码"),
        max_length=18,
        required=False,
        help_text=_("须是本辖区已登记的人员；留空表示自生效日期起没有监护人。"),
        widget=forms.TextInput(attrs={"autocomplete": "off", "spellcheck": "false"}),
    )
    relation = forms.ChoiceField(
        label=_("监护人与本人关系"), choices=Relation.choices, initial=Relation.PARENT
    )
    on = _on()
    reason = _reason()


OTHER_REGION = "other"


class MoveForm(forms.Form):
    village = forms.ChoiceField(
        label=_("迁入嘎查村社区"),
        help_text=_("本辖区以外的，选“其他地区”并填写代码。"),
    )
    village_code = forms.CharField(
        label=_("其他地区的嘎查村社区代码"),
        max_length=12,
        required=False,
        help_text=_("12位统计用区划代码，如 150404002001。"),
        widget=forms.TextInput(attrs={"inputmode": "numeric", "autocomplete": "off"}),
    )
    on = _on(_("迁入日期"))
    reason = _reason()

    def __init__(self, *args: Any, village_choices: list[tuple[str, str]], **kw: Any) -> None:
        super().__init__(*args, **kw)
        village = self.fields["village"]
        assert isinstance(village, forms.ChoiceField)
        village.choices = [
            ("", _("（请选择）")),
            *village_choices,
            (OTHER_REGION, _("其他地区（填写代码）")),
        ]

    def target_code(self) -> str:
        data = self.cleaned_data
        if data["village"] == OTHER_REGION:
            return str(data["village_code"]).strip()
        return str(data["village"])


class DeathForm(forms.Form):
    on = _on(_("死亡日期"))
    reason = forms.CharField(
        label=_("依据"),
        max_length=300,
        help_text=_("如“村委会出具死亡证明”“公安户籍注销”。"),
        widget=forms.TextInput(attrs={"autocomplete": "off"}),
    )


class HouseholdMemberForm(forms.Form):
    household = forms.IntegerField(
        label=_("加入的家庭编号"),
        required=False,
        min_value=1,
        help_text=_("同一嘎查村社区的家庭；留空表示本人单独立户。"),
    )
    relation = forms.ChoiceField(label=_("与户主关系"), choices=Relation.choices)
    on = _on()
    reason = _reason()


class HouseholdStatusForm(forms.Form):
    status = forms.ChoiceField(label=_("家庭经济状况"), choices=HouseholdStatusCode.choices)
    on = _on(_("起始日期"))
    reason = _reason()


class RenewForm(forms.Form):
    issue_date = forms.DateField(
        label=_("换证日期"), widget=DateInput(), help_text=_("新证自此日起有效10年。")
    )
    reason = _reason()


class ReassessForm(forms.Form):
    category = forms.TypedChoiceField(label=_("残疾类别"), choices=Category.choices, coerce=int)
    level = forms.TypedChoiceField(label=_("残疾等级"), choices=Level.choices, coerce=int)
    on = _on(_("评定日期"))
    reason = _reason()


class CancelForm(forms.Form):
    on = _on(_("注销日期"))
    reason = forms.CharField(
        label=_("注销原因"),
        max_length=300,
        widget=forms.TextInput(attrs={"autocomplete": "off"}),
    )
