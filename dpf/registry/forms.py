"""Forms of the registry's staff pages: parsing and presentation only.

Choices of regions come from the selectors (the user's scope); whether a record may be
written is the services' decision, and their refusals are attached to the fields here
(``attach_refusal``).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from dpf.core.certnumber import Category, Level
from dpf.core.errors import ValidationFailed
from dpf.core.idnumber import ADDRESS_CODE_UNKNOWN, InvalidIdNumber, parse_id_number
from dpf.registry.models import HouseholdStatusCode, Relation


class DateInput(forms.DateInput):
    input_type = "date"

    def __init__(self, attrs: dict[str, Any] | None = None) -> None:
        super().__init__(attrs=attrs, format="%Y-%m-%d")


def _no_autofill(**extra: str) -> dict[str, str]:
    return {"autocomplete": "off", "spellcheck": "false", **extra}


def attach_refusal(
    form: forms.Form, refusal: ValidationFailed, fields: Mapping[str, str] | None = None
) -> None:
    """Show a service's refusal next to the field it names (or above the form).

    ``fields`` maps a service's field name to the form's when they differ.
    """
    name = (fields or {}).get(refusal.field or "", refusal.field or "")
    form.add_error(name if name in form.fields else None, refusal.message)


def _optional_choice(choices: Any, label: Any) -> forms.TypedChoiceField:
    return forms.TypedChoiceField(
        label=label,
        choices=[("", _("（不填）")), *choices],
        coerce=int,
        empty_value=None,
        required=False,
    )


class SearchForm(forms.Form):
    q = forms.CharField(
        label=_("姓名、身份证号或拼音首字母"),
        required=False,
        max_length=50,
        help_text=_("例如：张海明、zhm，或完整的18位身份证号码、20位残疾人证号"),
        widget=forms.TextInput(attrs=_no_autofill(type="search")),
    )
    region = forms.ChoiceField(label=_("地区"), required=False)

    def __init__(self, *args: Any, region_choices: list[tuple[str, str]], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        region = self.fields["region"]
        assert isinstance(region, forms.ChoiceField)
        region.choices = [("", _("本辖区全部")), *region_choices]


class ConfirmCodeCheckbox(forms.CheckboxInput):
    """A box that, ticked, posts the code it confirms (not "on"), and is never pre-ticked:
    the worker ticks it again for each number they submit."""

    def __init__(self) -> None:
        super().__init__(check_test=lambda value: False)

    def value_from_datadict(self, data: Any, files: Any, name: str) -> Any:
        return data.get(name, "")

    def format_value(self, value: Any) -> str | None:
        return None  # the value shown is the code the form set, never the one posted


class PersonForm(forms.Form):
    """Register a person (and optionally their certificate) in one step.

    When the ID number typed has an unknown address code, the box ``confirm_address_code``
    appears under it, carrying that code: the service accepts the number only when the box
    posted back the same code.
    """

    name = forms.CharField(label=_("姓名"), max_length=50)
    id_number = forms.CharField(
        label=_("身份证号码"),
        max_length=18,
        help_text=_(
            "18位，最后一位可以是X；旧式15位号码会自动升级为18位。性别和出生日期由号码得出。"
        ),
        widget=forms.TextInput(attrs=_no_autofill()),
    )
    confirm_address_code = forms.CharField(
        label=_("我已核对：该身份证号码的地址码不是赤峰市或已知的区划代码，号码与本人证件一致"),
        required=False,
        max_length=6,
        widget=ConfirmCodeCheckbox(),
    )
    ethnicity = forms.CharField(label=_("民族"), max_length=20, initial="汉族")
    phone = forms.CharField(
        label=_("联系电话"),
        max_length=15,
        required=False,
        widget=forms.TextInput(attrs=_no_autofill(type="tel", inputmode="tel")),
    )
    village = forms.ChoiceField(label=_("居住地（嘎查村社区）"))
    household = forms.IntegerField(
        label=_("加入已有家庭（家庭编号）"),
        required=False,
        min_value=1,
        help_text=_("留空则为此人新建一个家庭，并登记为户主。"),
        widget=forms.NumberInput(attrs={"inputmode": "numeric"}),
    )
    relation_to_head = forms.ChoiceField(
        label=_("与户主关系"), choices=Relation.choices, initial=Relation.HEAD
    )
    certificate_number = forms.CharField(
        label=_("残疾人证号"),
        max_length=20,
        required=False,
        help_text=_("20位：身份证号码加类别、等级各一位。填写证号时，类别和等级可以不填。"),
        widget=forms.TextInput(attrs=_no_autofill()),
    )
    certificate_category = _optional_choice(Category.choices, _("残疾类别"))
    certificate_level = _optional_choice(Level.choices, _("残疾等级"))
    certificate_issue_date = forms.DateField(
        label=_("发证日期"), required=False, widget=DateInput()
    )

    CERTIFICATE_FIELDS = (
        "certificate_number",
        "certificate_category",
        "certificate_level",
        "certificate_issue_date",
    )
    # Service field names → this form's.
    REFUSAL_FIELDS = {
        "village_code": "village",
        "number": "certificate_number",
        "category": "certificate_category",
        "level": "certificate_level",
        "issue_date": "certificate_issue_date",
        "valid_from": "certificate_issue_date",
        "expires_on": "certificate_issue_date",
    }

    def __init__(
        self,
        *args: Any,
        village_choices: list[tuple[str, str]],
        with_certificate: bool,
        **kwargs: Any,
    ) -> None:
        super().__init__(*args, **kwargs)
        village = self.fields["village"]
        assert isinstance(village, forms.ChoiceField)
        village.choices = [("", _("请选择")), *village_choices]
        self.with_certificate = with_certificate
        if not with_certificate:
            for name in self.CERTIFICATE_FIELDS:
                del self.fields[name]
        pending = self._unknown_address_code()
        if pending:
            self.fields["confirm_address_code"].widget.attrs["value"] = pending
        else:
            del self.fields["confirm_address_code"]

    def _unknown_address_code(self) -> str:
        """The address code of the posted ID number when it is unknown, else ""."""
        if not self.is_bound:
            return ""
        try:
            parsed = parse_id_number(str(self.data.get("id_number", ""))[:18])
        except InvalidIdNumber:
            return ""
        return parsed.region_code if ADDRESS_CODE_UNKNOWN in parsed.warnings else ""

    @property
    def certificate_fields(self) -> list[forms.BoundField]:
        return [self[name] for name in self.CERTIFICATE_FIELDS if name in self.fields]

    @property
    def person_fields(self) -> list[forms.BoundField]:
        return [self[name] for name in self.fields if name not in self.CERTIFICATE_FIELDS]

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if self.with_certificate:
            _check_certificate_parts(
                self,
                number=data.get("certificate_number"),
                category=data.get("certificate_category"),
                level=data.get("certificate_level"),
                issue_date=data.get("certificate_issue_date"),
                names=("certificate_category", "certificate_level", "certificate_issue_date"),
                optional=True,
            )
        return data

    def service_arguments(self) -> dict[str, Any]:
        data = self.cleaned_data
        arguments: dict[str, Any] = {
            "name": data["name"],
            "id_number": data["id_number"],
            "village_code": data["village"],
            "ethnicity": data["ethnicity"],
            "phone": data["phone"],
            "household_id": data["household"],
            "relation_to_head": data["relation_to_head"],
            "confirmed_address_code": data.get("confirm_address_code") or "",
        }
        if self.with_certificate:
            arguments.update(
                certificate_number=data["certificate_number"],
                certificate_category=data["certificate_category"],
                certificate_level=data["certificate_level"],
                certificate_issue_date=data["certificate_issue_date"],
            )
        return arguments


def _check_certificate_parts(
    form: forms.Form,
    *,
    number: str | None,
    category: int | None,
    level: int | None,
    issue_date: dt.date | None,
    names: tuple[str, str, str],
    optional: bool,
) -> None:
    """A certificate needs an issue date and either its number or category and level."""
    if optional and not (number or category or level or issue_date):
        return
    required = _("填写残疾人证时此项必填")
    if issue_date is None and names[2] not in form.errors:
        form.add_error(names[2], required)
    if not number:
        if category is None and names[0] not in form.errors:
            form.add_error(names[0], required)
        if level is None and names[1] not in form.errors:
            form.add_error(names[1], required)


class CertificateForm(forms.Form):
    """Issue a certificate to a registered person."""

    number = forms.CharField(
        label=_("残疾人证号"),
        max_length=20,
        required=False,
        help_text=_("20位：身份证号码加类别、等级各一位。填写证号时，类别和等级可以不填。"),
        widget=forms.TextInput(attrs=_no_autofill()),
    )
    category = _optional_choice(Category.choices, _("残疾类别"))
    level = _optional_choice(Level.choices, _("残疾等级"))
    issue_date = forms.DateField(label=_("发证日期"), widget=DateInput())

    REFUSAL_FIELDS = {"valid_from": "issue_date", "expires_on": "issue_date"}

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        _check_certificate_parts(
            self,
            number=data.get("number"),
            category=data.get("category"),
            level=data.get("level"),
            issue_date=data.get("issue_date"),
            names=("category", "level", "issue_date"),
            optional=False,
        )
        return data


class HouseholdForm(forms.Form):
    village = forms.ChoiceField(label=_("嘎查村社区"))
    address = forms.CharField(
        label=_("住址"),
        max_length=200,
        required=False,
        help_text=_("门牌号等详细地址，加密保存，页面上只显示开头部分。"),
        widget=forms.TextInput(attrs={"autocomplete": "off"}),
    )
    status = forms.ChoiceField(
        label=_("家庭经济状况"),
        choices=[("", _("（不填）")), *HouseholdStatusCode.choices],
        required=False,
    )
    status_from = forms.DateField(label=_("经济状况起始日期"), required=False, widget=DateInput())

    REFUSAL_FIELDS = {"village_code": "village", "valid_from": "status_from"}

    def __init__(self, *args: Any, village_choices: list[tuple[str, str]], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        village = self.fields["village"]
        assert isinstance(village, forms.ChoiceField)
        village.choices = [("", _("请选择")), *village_choices]

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        missing_date = data.get("status") and data.get("status_from") is None
        if missing_date and "status_from" not in self.errors:
            self.add_error("status_from", _("选择经济状况时此项必填"))
        return data


class TransferDecisionForm(forms.Form):
    """Accept or decline one transfer request (迁移申请)."""

    transfer = forms.IntegerField(widget=forms.HiddenInput, min_value=1)
    decision = forms.ChoiceField(
        label=_("处理结果"), choices=[("accept", _("接收")), ("decline", _("拒绝"))]
    )
    on = forms.DateField(
        label=_("迁入日期"), required=False, widget=DateInput(), help_text=_("接收时必填")
    )
    note = forms.CharField(
        label=_("处理说明"),
        max_length=200,
        required=False,
        help_text=_("拒绝时必填，例如：经核实本人未迁出，疑似误登记或试探。"),
    )

    REFUSAL_FIELDS = {"on": "on", "note": "note", "decision": "decision"}

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if data.get("decision") == "accept" and data.get("on") is None and "on" not in self.errors:
            self.add_error("on", _("接收时请填写迁入日期"))
        return data
