"""Forms of the needs survey pages: parsing and presentation only (plain selects and
inputs: a phone's keyboard and screen reader handle them without JavaScript).

Every answer may be left "not filled" (a draft); whether the survey is complete, possible
and the worker's to record is the services' decision (``dpf.registry.surveys``).
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from dpf.registry.forms import DateInput
from dpf.registry.models import (
    DeviceKind,
    EmploymentStatus,
    NoContactReason,
    SchoolStatus,
    SurveyMethod,
)
from dpf.registry.surveys import SurveyAnswers

NOT_FILLED = ("", _("（未填）"))
YES_NO = [NOT_FILLED, ("yes", _("有")), ("no", _("无"))]
WISH = [NOT_FILLED, ("yes", _("有")), ("no", _("无"))]
# "none" stands for DeviceKind.NONE ("") so that "not filled" can be the empty value
DEVICE = [NOT_FILLED, ("none", _("无")), *[(v, lbl) for v, lbl in DeviceKind.choices if v]]

BOOLEAN_FIELDS = (
    "rehab_need",
    "home_renovation_need",
    "care_need",
    "long_term_care_need",
    "employment_wish",
)


def _choice(label: Any, choices: Any, help_text: Any = "") -> forms.ChoiceField:
    return forms.ChoiceField(label=label, choices=choices, required=False, help_text=help_text)


def _bool(value: bool | None) -> str:
    return "" if value is None else ("yes" if value else "no")


class SurveyAnswersForm(forms.Form):
    """The survey's answers, the person's confirmation, and which button was pressed."""

    survey_date = forms.DateField(label=_("调查日期"), required=False, widget=DateInput())
    method = _choice(_("调查方式"), [NOT_FILLED, *SurveyMethod.choices])
    rehab_need = _choice(_("康复需求"), YES_NO)
    device_need = _choice(_("辅具需求"), DEVICE)
    home_renovation_need = _choice(_("无障碍改造需求"), YES_NO)
    care_need = _choice(_("托养需求"), YES_NO, _("日间照料、寄宿制托养等"))
    long_term_care_need = _choice(_("长期照护需求"), YES_NO, _("生活不能自理、需要他人长期照护"))
    employment_status = _choice(_("就业状况"), [NOT_FILLED, *EmploymentStatus.choices])
    employment_wish = _choice(_("就业意愿"), WISH)
    school_status = _choice(_("就学状况"), [NOT_FILLED, *SchoolStatus.choices])
    income_per_capita = forms.DecimalField(
        label=_("家庭人均年收入（元）"),
        required=False,
        help_text=_("上一年家庭总收入除以家庭人口数，如 6200 或 6200.50"),
        widget=forms.TextInput(attrs={"inputmode": "decimal", "autocomplete": "off"}),
    )
    person_confirmed = forms.BooleanField(
        label=_("被调查人（或监护人）已确认以上内容"),
        required=False,
        help_text=_("提交时必须勾选；保存草稿时可以不勾选"),
    )

    @classmethod
    def initial_from(cls, record: Any) -> dict[str, Any]:
        """The form's values from a draft or a submitted survey."""
        answers = SurveyAnswers.of(record)
        initial: dict[str, Any] = {
            "survey_date": answers.survey_date,
            "method": answers.method,
            "employment_status": answers.employment_status,
            "school_status": answers.school_status,
            "income_per_capita": answers.income_per_capita,
            "device_need": ("" if answers.device_need is None else (answers.device_need or "none")),
        }
        for name in BOOLEAN_FIELDS:
            initial[name] = _bool(getattr(answers, name))
        return initial

    def answers(self) -> SurveyAnswers:
        data = self.cleaned_data
        device = data.get("device_need") or ""
        values: dict[str, Any] = {
            "survey_date": data.get("survey_date"),
            "method": data.get("method") or "",
            "employment_status": data.get("employment_status") or "",
            "school_status": data.get("school_status") or "",
            "income_per_capita": data.get("income_per_capita"),
            "device_need": None if device == "" else ("" if device == "none" else device),
        }
        for name in BOOLEAN_FIELDS:
            raw = data.get(name) or ""
            values[name] = None if raw == "" else raw == "yes"
        income = values["income_per_capita"]
        if isinstance(income, Decimal) and not income.is_finite():
            values["income_per_capita"] = None
        return SurveyAnswers(**values)


class NoContactForm(forms.Form):
    reason = forms.ChoiceField(
        label=_("未调查原因"), choices=[NOT_FILLED, *NoContactReason.choices]
    )
    contact_date = forms.DateField(label=_("走访日期"), widget=DateInput())


class RoundForm(forms.Form):
    year = forms.IntegerField(label=_("年度"), min_value=2000, max_value=2100)
    reference_date = forms.DateField(
        label=_("名单基准日"),
        widget=DateInput(),
        help_text=_("这一天持有有效残疾人证的人员列入调查名单，如 1月1日"),
    )

    @classmethod
    def initial_for(cls, today: dt.date) -> dict[str, Any]:
        return {"year": today.year, "reference_date": dt.date(today.year, 1, 1)}
