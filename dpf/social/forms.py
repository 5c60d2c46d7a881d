"""Forms of the social assistance pages."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from dpf.registry.forms import DateInput
from dpf.social.emergency import PURPOSE_MAX
from dpf.social.legal_aid import DESCRIPTION_MAX as LEGAL_DESCRIPTION_MAX
from dpf.social.legal_aid import OUTCOME_TEXT_MAX as LEGAL_OUTCOME_TEXT_MAX
from dpf.social.models import (
    ActivityKind,
    FacilityKind,
    FacilityState,
    LegalAidChannel,
    LegalAidStatus,
    LegalMatter,
    MeasureKind,
    OrganisationKind,
    PoweredDevice,
)


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


class EmergencyNeedForm(forms.Form):
    id_number = forms.CharField(label=_("身份证号码"), max_length=30)
    bedridden = forms.BooleanField(label=_("卧床"), required=False)
    powered_device = forms.ChoiceField(
        label=_("需用电的设备"), choices=PoweredDevice.choices, required=False
    )
    note = forms.CharField(label=_("说明"), max_length=200, required=False)


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


class RiskRuleForm(forms.Form):
    code = forms.SlugField(
        label=_("规则代码"),
        max_length=40,
        help_text=_("小写字母、数字和下划线；填现有规则的代码即发布该规则的新版本"),
    )
    name_zh = forms.CharField(label=_("名称"), max_length=100)
    name_en = forms.CharField(label=_("英文名称"), max_length=100, required=False)
    text = forms.CharField(
        label=_("规则"),
        max_length=10000,
        strip=False,
        help_text=_("规则语言书写；{monitoring_line} 这样的花括号名称取生效日在用的阈值"),
        widget=forms.Textarea(attrs={"rows": 5, "spellcheck": "false", "lang": "en"}),
    )
    valid_from = forms.DateField(
        label=_("生效日期"),
        widget=DateInput(),
        help_text=_("同一规则现行的版本在此日期前一日终止"),
    )


class ThresholdForm(forms.Form):
    name = forms.SlugField(
        label=_("阈值名称"),
        max_length=40,
        help_text=_("规则中写在花括号里，例如 monitoring_line 写作 {monitoring_line}"),
    )
    value = forms.CharField(label=_("数值"), max_length=20)
    valid_from = forms.DateField(
        label=_("生效日期"),
        widget=DateInput(),
        help_text=_("该阈值现行的数值在此日期前一日终止"),
    )
    label = forms.CharField(label=_("说明"), max_length=100, required=False)


# --- volunteers ---------------------------------------------------------------------------


class DateTimeInput(forms.DateTimeInput):
    input_type = "datetime-local"

    def __init__(self, attrs: dict[str, Any] | None = None) -> None:
        super().__init__(attrs=attrs, format="%Y-%m-%dT%H:%M")


def _choices(rows: list[tuple[Any, str]], empty: Any = None) -> list[tuple[Any, str]]:
    return ([("", empty)] if empty is not None else []) + rows


class VolunteerForm(forms.Form):
    name = forms.CharField(label=_("姓名"), max_length=50)
    id_number = forms.CharField(label=_("身份证号码"), max_length=30)
    phone = forms.CharField(label=_("联系电话"), max_length=20, required=False)
    village_code = forms.ChoiceField(label=_("居住的嘎查村社区"), choices=())
    team_id = forms.TypedChoiceField(
        label=_("志愿服务队"), choices=(), coerce=int, empty_value=None, required=False
    )
    consent = forms.BooleanField(
        label=_("本人已同意登记为助残志愿者，并同意平台保存其姓名、身份证号码和联系电话"),
        required=False,
    )

    def __init__(
        self,
        *args: Any,
        villages: list[tuple[str, str]],
        teams: list[tuple[int, str]],
        **kwargs: Any,
    ) -> None:
        super().__init__(*args, **kwargs)
        self.fields["village_code"].choices = villages  # type: ignore[attr-defined]
        self.fields["team_id"].choices = _choices(teams, _("（不加入队伍）"))  # type: ignore[attr-defined]


class DecisionForm(forms.Form):
    """The staff's decision on a citizen's own registration (one form per pending row)."""

    decision = forms.ChoiceField(
        label=_("审核结果"),
        choices=[("approve", _("通过")), ("refuse", _("不通过"))],
        widget=forms.RadioSelect,
    )
    reason = forms.CharField(
        label=_("不通过的原因"),
        max_length=200,
        required=False,
        help_text=_("不通过时必填，申请人可以看到"),
    )


class TeamForm(forms.Form):
    name = forms.CharField(label=_("队伍名称"), max_length=100)
    township_code = forms.ChoiceField(label=_("所在苏木乡镇"), choices=())
    leader_name = forms.CharField(label=_("负责人"), max_length=50, required=False)
    founded_on = forms.DateField(label=_("成立日期"), widget=DateInput())

    def __init__(self, *args: Any, townships: list[tuple[str, str]], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["township_code"].choices = townships  # type: ignore[attr-defined]


class AccountForm(forms.Form):
    volunteer_id = forms.IntegerField(widget=forms.HiddenInput)
    username = forms.CharField(label=_("用户名"), max_length=30)


class EventForm(forms.Form):
    title = forms.CharField(label=_("活动名称"), max_length=100)
    team_id = forms.TypedChoiceField(
        label=_("志愿服务队"), choices=(), coerce=int, empty_value=None, required=False
    )
    township_code = forms.ChoiceField(label=_("所在苏木乡镇"), choices=())
    meeting_place = forms.CharField(label=_("集合地点"), max_length=200)
    starts_at = forms.DateTimeField(label=_("开始时间"), widget=DateTimeInput())
    ends_at = forms.DateTimeField(label=_("结束时间"), widget=DateTimeInput())
    capacity = forms.IntegerField(label=_("招募人数"), min_value=1, max_value=1000)

    def __init__(
        self,
        *args: Any,
        townships: list[tuple[str, str]],
        teams: list[tuple[int, str]],
        **kwargs: Any,
    ) -> None:
        super().__init__(*args, **kwargs)
        self.fields["township_code"].choices = townships  # type: ignore[attr-defined]
        self.fields["team_id"].choices = _choices(teams, _("（所有志愿者可报名）"))  # type: ignore[attr-defined]


class AttendanceForm(forms.Form):
    signup_id = forms.IntegerField(widget=forms.HiddenInput)
    attended = forms.TypedChoiceField(
        label=_("是否参加"),
        choices=[("yes", _("参加")), ("no", _("未参加"))],
        coerce=lambda value: value == "yes",
    )
    hours = forms.CharField(label=_("服务时长（小时）"), max_length=5, initial="0")


class ServedForm(forms.Form):
    id_number = forms.CharField(label=_("服务对象身份证号码"), max_length=30)


# --- social organisations -----------------------------------------------------------------


class OrganisationForm(forms.Form):
    name = forms.CharField(label=_("名称"), max_length=100)
    credit_code = forms.CharField(label=_("统一社会信用代码"), max_length=30)
    kind = forms.ChoiceField(label=_("类型"), choices=OrganisationKind.choices)
    township_code = forms.ChoiceField(label=_("所在苏木乡镇"), choices=())
    registered_on = forms.DateField(label=_("登记日期"), widget=DateInput())
    incubation_from = forms.DateField(label=_("入驻孵化日期"), widget=DateInput(), required=False)

    def __init__(self, *args: Any, townships: list[tuple[str, str]], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["township_code"].choices = townships  # type: ignore[attr-defined]


class IncubatedForm(forms.Form):
    incubated_on = forms.DateField(label=_("孵化完成日期"), widget=DateInput())


class ProjectForm(forms.Form):
    title = forms.CharField(label=_("项目名称"), max_length=100)
    purchaser = forms.CharField(label=_("购买主体"), max_length=100)
    budget = forms.CharField(label=_("预算（元）"), max_length=15)
    start = forms.DateField(label=_("开始日期"), widget=DateInput())
    end = forms.DateField(label=_("结束日期"), widget=DateInput())


class DeliveryForm(forms.Form):
    delivered_on = forms.DateField(label=_("服务日期"), widget=DateInput())
    description = forms.CharField(label=_("服务内容"), max_length=300)
    persons_served = forms.IntegerField(label=_("服务人次"), min_value=0, max_value=100000)


class EvaluationForm(forms.Form):
    evaluated_on = forms.DateField(label=_("评估日期"), widget=DateInput())
    score = forms.IntegerField(label=_("评估得分"), min_value=0, max_value=100)
    evaluation = forms.CharField(
        label=_("评估意见"), max_length=1000, widget=forms.Textarea(attrs={"rows": 3})
    )


# --- facilities ---------------------------------------------------------------------------


class FacilityFilterForm(forms.Form):
    county = forms.ChoiceField(label=_("旗县区"), choices=(), required=False)
    kind = forms.ChoiceField(
        label=_("设施类型"), choices=[("", _("（全部）")), *FacilityKind.choices], required=False
    )

    def __init__(self, *args: Any, counties: list[tuple[str, str]], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["county"].choices = _choices(counties, _("（全部）"))  # type: ignore[attr-defined]


class FacilityForm(forms.Form):
    name = forms.CharField(label=_("设施名称"), max_length=100)
    kind = forms.ChoiceField(label=_("设施类型"), choices=FacilityKind.choices)
    township_code = forms.ChoiceField(label=_("所在苏木乡镇"), choices=())
    floor_area = forms.CharField(label=_("建筑面积（平方米）"), max_length=12)
    state = forms.ChoiceField(label=_("状态"), choices=FacilityState.choices)
    opening_year = forms.IntegerField(
        label=_("投入使用年份"),
        required=False,
        help_text=_("已投入使用或已停用的设施必填；填写投入使用日期时可不填"),
    )
    planned_on = forms.DateField(label=_("立项日期"), widget=DateInput(), required=False)
    building_from = forms.DateField(label=_("开工日期"), widget=DateInput(), required=False)
    opened_on = forms.DateField(label=_("投入使用日期"), widget=DateInput(), required=False)
    closed_on = forms.DateField(label=_("停用日期"), widget=DateInput(), required=False)

    def __init__(self, *args: Any, townships: list[tuple[str, str]], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["township_code"].choices = townships  # type: ignore[attr-defined]


# --- culture and sport --------------------------------------------------------------------


class ActivityForm(forms.Form):
    title = forms.CharField(label=_("活动名称"), max_length=100)
    kind = forms.ChoiceField(label=_("活动类型"), choices=ActivityKind.choices)
    held_on = forms.DateField(label=_("活动日期"), widget=DateInput())
    place = forms.CharField(label=_("活动地点"), max_length=200)
    county_code = forms.ChoiceField(label=_("主办旗县区"), choices=())

    def __init__(self, *args: Any, counties: list[tuple[str, str]], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["county_code"].choices = counties  # type: ignore[attr-defined]


class ParticipantForm(forms.Form):
    id_number = forms.CharField(label=_("参与人员身份证号码"), max_length=30)


# --- legal aid referrals ------------------------------------------------------------------


class LegalAidFilterForm(forms.Form):
    status = forms.ChoiceField(
        label=_("状态"),
        choices=[("", _("（全部）")), *LegalAidStatus.choices, ("overdue", _("超过30天未反馈"))],
        required=False,
    )
    county = forms.ChoiceField(label=_("旗县区"), choices=(), required=False)

    def __init__(self, *args: Any, counties: list[tuple[str, str]], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["county"].choices = _choices(counties, _("（全部）"))  # type: ignore[attr-defined]


class LegalAidForm(forms.Form):
    id_number = forms.CharField(
        label=_("身份证号码"),
        max_length=30,
        required=False,
        help_text=_("填写了诉求编号的可不填，即为该诉求的人员"),
    )
    matter = forms.ChoiceField(label=_("事项类别"), choices=LegalMatter.choices)
    description = forms.CharField(
        label=_("事项简述"),
        max_length=LEGAL_DESCRIPTION_MAX,
        widget=forms.Textarea(attrs={"rows": 2}),
    )
    channel = forms.ChoiceField(label=_("来源渠道"), choices=LegalAidChannel.choices)
    citizen_request_id = forms.IntegerField(
        label=_("诉求编号"),
        required=False,
        min_value=1,
        help_text=_("由居民诉求或12385热线登记转来的，填写该诉求的编号"),
    )
    referred_on = forms.DateField(label=_("转介日期"), widget=DateInput())
    referred_to = forms.CharField(
        label=_("转介至"),
        max_length=100,
        required=False,
        help_text=_("留空即为该人员所在旗县区的法律援助中心"),
    )


class LegalAidChangeForm(LegalAidForm):
    """Correcting a referral: the person and the request it came from stay."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        del self.fields["id_number"]
        del self.fields["citizen_request_id"]


class LegalAidOutcomeForm(forms.Form):
    outcome = forms.ChoiceField(
        label=_("法律援助中心的答复"),
        choices=[
            (LegalAidStatus.ACCEPTED, _("已受理")),
            (LegalAidStatus.DECLINED, _("不予受理")),
            (LegalAidStatus.CONCLUDED, _("已办结")),
        ],
        widget=forms.RadioSelect,
    )
    outcome_on = forms.DateField(label=_("受理、不予受理或办结日期"), widget=DateInput())
    note = forms.CharField(
        label=_("不予受理原因或办理结果"),
        max_length=LEGAL_OUTCOME_TEXT_MAX,
        required=False,
        help_text=_("不予受理须填写原因，办结须填写办理结果"),
        widget=forms.Textarea(attrs={"rows": 3}),
    )
