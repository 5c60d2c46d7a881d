"""Forms of the employment pages: parsing only; the services decide."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from dpf.employment.models import (
    CreditFlag,
    EducationLevel,
    EmployerKind,
    PlacementKind,
    SupportActionKind,
    TrainingBaseKind,
    TrainingKind,
)
from dpf.employment.services import EmployeeLine
from dpf.registry.forms import DateInput
from dpf.registry.models import EmploymentKind

MAX_ROWS = 50


class DeclarationForm(forms.Form):
    # Text, not number fields: the service refuses negative, absurd or malformed figures
    # with its own bilingual messages, the same as the command's.
    staff_count = forms.CharField(label=_("上年在职职工人数（年平均）"), max_length=20)
    wage_bill = forms.CharField(label=_("上年职工工资总额（元）"), max_length=24)


class EmployeeLineForm(forms.Form):
    certificate_number = forms.CharField(label=_("残疾人证号"), max_length=40, required=False)
    first_month = forms.IntegerField(label=_("起始月份"), min_value=1, max_value=12, required=False)
    last_month = forms.IntegerField(label=_("终止月份"), min_value=1, max_value=12, required=False)
    contract_months = forms.IntegerField(
        label=_("劳动合同期限（月）"), min_value=0, max_value=600, required=False
    )
    paid_at_least_min_wage = forms.BooleanField(label=_("工资不低于最低工资标准"), required=False)
    social_insurance = forms.BooleanField(label=_("足额缴纳社会保险"), required=False)
    military_level = forms.IntegerField(
        label=_("残疾军人等级（如有）"), min_value=1, max_value=10, required=False
    )

    def line(self) -> EmployeeLine | None:
        data: dict[str, Any] = self.cleaned_data
        if not (data.get("certificate_number") or "").strip():
            return None
        return EmployeeLine(
            certificate_number=data["certificate_number"],
            first_month=data.get("first_month") or 1,
            last_month=data.get("last_month") or 12,
            contract_months=data.get("contract_months") or 0,
            paid_at_least_min_wage=bool(data.get("paid_at_least_min_wage")),
            social_insurance=bool(data.get("social_insurance")),
            military_level=data.get("military_level"),
        )


EmployeeLineFormSet = forms.formset_factory(
    EmployeeLineForm, extra=0, max_num=MAX_ROWS, validate_max=True, absolute_max=MAX_ROWS
)


class ReviewForm(forms.Form):
    note = forms.CharField(
        label=_("审核意见（退回时必填）"), max_length=300, required=False, widget=forms.Textarea
    )


class EmployerForm(forms.Form):
    credit_code = forms.CharField(label=_("统一社会信用代码"), max_length=40)
    name = forms.CharField(label=_("单位名称"), max_length=100)
    kind = forms.ChoiceField(label=_("单位性质"), choices=EmployerKind.choices)
    county_code = forms.ChoiceField(label=_("所在旗县区"), choices=())
    staff_count = forms.IntegerField(label=_("在职职工人数"), min_value=0, max_value=1_000_000)
    contact_name = forms.CharField(label=_("联系人"), max_length=50, required=False)
    contact_phone = forms.CharField(label=_("联系电话"), max_length=20, required=False)

    def __init__(self, *args: Any, counties: list[tuple[str, str]], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["county_code"].choices = counties  # type: ignore[attr-defined]


class CreditFlagForm(forms.Form):
    reason = forms.ChoiceField(label=_("列入原因"), choices=CreditFlag.Reason.choices)
    detail = forms.CharField(label=_("说明"), max_length=300)
    flagged_on = forms.DateField(
        label=_("列入日期"), widget=forms.DateInput(attrs={"type": "date"})
    )


class CreditLiftForm(forms.Form):
    # The reason is not required here: the service refuses a missing one with its own
    # bilingual message, the same as for any other caller.
    lifted_on = forms.DateField(label=_("移出日期"), widget=DateInput())
    reason = forms.CharField(
        label=_("移出原因"),
        max_length=300,
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("例如：误列，或单位已补缴、已按规定申报"),
    )


class CourseForm(forms.Form):
    name = forms.CharField(label=_("培训名称"), max_length=100)
    kind = forms.ChoiceField(label=_("培训类型"), choices=TrainingKind.choices)
    provider = forms.CharField(label=_("培训机构"), max_length=100)
    county_code = forms.ChoiceField(label=_("所在旗县区"), choices=())
    base_id = forms.TypedChoiceField(
        label=_("培训基地"),
        coerce=int,
        required=False,
        empty_value=None,
        choices=(),
        help_text=_("培训所在旗县区认定的培训基地或技能大师工作室，须在培训开始之日处于认定期内"),
    )
    start = forms.DateField(label=_("开始日期"), widget=forms.DateInput(attrs={"type": "date"}))
    end = forms.DateField(label=_("结束日期"), widget=forms.DateInput(attrs={"type": "date"}))
    subsidy_per_person = forms.CharField(label=_("人均补贴（元）"), max_length=12, initial="0")

    def __init__(
        self,
        *args: Any,
        counties: list[tuple[str, str]],
        bases: list[tuple[str, list[tuple[int, str]]]],
        **kwargs: Any,
    ) -> None:
        super().__init__(*args, **kwargs)
        self.fields["county_code"].choices = counties  # type: ignore[attr-defined]
        # Grouped by county: the service refuses a base of another county than the course's.
        self.fields["base_id"].choices = [("", _("（不在基地举办）")), *bases]  # type: ignore[attr-defined]


class TrainingBaseForm(forms.Form):
    """A training base or skills-master studio; the capacity is checked by the service
    (1 to 10,000) with its message."""

    kind = forms.ChoiceField(label=_("类别"), choices=TrainingBaseKind.choices)
    name = forms.CharField(label=_("名称"), max_length=100)
    county_code = forms.ChoiceField(label=_("所在旗县区"), choices=())
    operator = forms.CharField(
        label=_("依托单位"), max_length=100, help_text=_("举办或依托的学校、企业或机构")
    )
    trades = forms.CharField(
        label=_("培训项目（工种）"), max_length=200, help_text=_("例如：盲人保健按摩、电子商务")
    )
    capacity = forms.IntegerField(label=_("培训能力（人）"), help_text=_("可同时培训的人数"))
    valid_from = forms.DateField(
        label=_("认定日期"), widget=forms.DateInput(attrs={"type": "date"})
    )
    valid_to = forms.DateField(
        label=_("撤销或到期日期"),
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}),
        help_text=_("认定被撤销或有效期届满的日期；仍在认定期内的不填"),
    )

    def __init__(self, *args: Any, counties: list[tuple[str, str]], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["county_code"].choices = counties  # type: ignore[attr-defined]


class TrainingBaseFilterForm(forms.Form):
    """The list's filters (``?county_code=&kind=&year=``); a malformed one is ignored."""

    county_code = forms.ChoiceField(label=_("旗县区"), required=False, choices=())
    kind = forms.ChoiceField(
        label=_("类别"), required=False, choices=[("", _("全部")), *TrainingBaseKind.choices]
    )
    year = forms.IntegerField(label=_("年度"), required=False, min_value=2000, max_value=2100)

    def __init__(self, *args: Any, counties: list[tuple[str, str]], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["county_code"].choices = [  # type: ignore[attr-defined]
            ("", _("全部")),
            *counties,
        ]


class EnrolForm(forms.Form):
    id_number = forms.CharField(label=_("学员身份证号码"), max_length=30)


class CompleteForm(forms.Form):
    attendance_id = forms.IntegerField(widget=forms.HiddenInput)
    completed_on = forms.DateField(
        label=_("结业日期"), widget=forms.DateInput(attrs={"type": "date"})
    )


def _date(label: Any, required: bool = True) -> forms.DateField:
    return forms.DateField(
        label=label, required=required, widget=forms.DateInput(attrs={"type": "date"})
    )


class AsOfForm(forms.Form):
    """The date a list is read as of (``?on=``); today when empty or malformed."""

    on = _date(_("截至日期"), required=False)


class EmploymentForm(forms.Form):
    id_number = forms.CharField(label=_("身份证号码"), max_length=30)
    kind = forms.ChoiceField(label=_("就业形式"), choices=EmploymentKind.choices)
    employer_name = forms.CharField(label=_("就业单位"), max_length=100, required=False)
    employer_credit_code = forms.CharField(
        label=_("统一社会信用代码"),
        max_length=30,
        required=False,
        help_text=_("在用人单位就业时填写，18位"),
    )
    valid_from = _date(_("就业起始日期"))
    valid_to = _date(_("就业终止日期"), required=False)


class EmploymentEndForm(forms.Form):
    employment_id = forms.IntegerField(widget=forms.HiddenInput)
    valid_to = _date(_("就业终止日期"))


class InstitutionForm(forms.Form):
    name = forms.CharField(label=_("机构名称"), max_length=100)
    operator = forms.CharField(label=_("举办单位"), max_length=100, required=False)
    county_code = forms.ChoiceField(label=_("所在旗县区"), choices=())
    capacity = forms.IntegerField(label=_("安置能力（人）"), min_value=0, max_value=10000)
    opened_on = _date(_("设立日期"))

    def __init__(self, *args: Any, counties: list[tuple[str, str]], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["county_code"].choices = counties  # type: ignore[attr-defined]


class PlacementForm(forms.Form):
    kind = forms.ChoiceField(label=_("安置类型"), choices=PlacementKind.choices)
    id_number = forms.CharField(label=_("身份证号码"), max_length=30)
    institution_id = forms.TypedChoiceField(
        label=_("辅助性就业机构"),
        coerce=int,
        required=False,
        empty_value=None,
        choices=(),
        help_text=_("辅助性就业时选择"),
    )
    post = forms.CharField(
        label=_("公益性岗位"), max_length=100, required=False, help_text=_("公益性岗位时填写")
    )
    employer_name = forms.CharField(
        label=_("岗位开发单位"), max_length=100, required=False, help_text=_("公益性岗位时填写")
    )
    valid_from = _date(_("安置起始日期"))
    valid_to = _date(_("安置终止日期"), required=False)

    def __init__(self, *args: Any, institutions: list[tuple[int, str]], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["institution_id"].choices = [  # type: ignore[attr-defined]
            ("", _("（不适用）")),
            *institutions,
        ]


class GraduateFileForm(forms.Form):
    """A graduate's file; the ID number only when it is opened. The year is an integer
    here and checked by the service (1990 to next year), with its message."""

    id_number = forms.CharField(label=_("身份证号码"), max_length=30)
    school = forms.CharField(label=_("毕业院校"), max_length=100)
    major = forms.CharField(label=_("所学专业"), max_length=100)
    education = forms.ChoiceField(label=_("学历层次"), choices=EducationLevel.choices)
    graduation_year = forms.IntegerField(label=_("毕业年份"), help_text=_("例如 2025"))
    wish = forms.CharField(
        label=_("就业意向"),
        max_length=200,
        required=False,
        help_text=_("希望从事的工作、地点等"),
    )

    def __init__(self, *args: Any, opening: bool = True, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if not opening:
            del self.fields["id_number"]


class SupportActionForm(forms.Form):
    taken_on = _date(_("帮扶日期"))
    kind = forms.ChoiceField(label=_("帮扶方式"), choices=SupportActionKind.choices)
    note = forms.CharField(label=_("帮扶内容"), max_length=300, widget=forms.Textarea)
    employer_id = forms.TypedChoiceField(
        label=_("推荐单位"),
        coerce=int,
        required=False,
        empty_value=None,
        choices=(),
        help_text=_("岗位推荐时选择本辖区的用人单位"),
    )

    def __init__(self, *args: Any, employers: list[tuple[int, str]], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["employer_id"].choices = [  # type: ignore[attr-defined]
            ("", _("（不适用）")),
            *employers,
        ]


class GraduateFilterForm(forms.Form):
    """The list's filters (``?graduation_year=&county_code=&state=&on=``); a malformed one
    is ignored."""

    graduation_year = forms.IntegerField(label=_("毕业年份"), required=False)
    county_code = forms.ChoiceField(label=_("旗县区"), required=False, choices=())
    state = forms.ChoiceField(
        label=_("就业状态"),
        required=False,
        choices=[("", _("全部")), ("employed", _("已就业")), ("seeking", _("求职中"))],
    )
    on = _date(_("截至日期"), required=False)

    def __init__(self, *args: Any, counties: list[tuple[str, str]], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["county_code"].choices = [  # type: ignore[attr-defined]
            ("", _("全部")),
            *counties,
        ]
