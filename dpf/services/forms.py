"""Forms of the service pages: parsing only; the services decide."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from dpf.registry.forms import DateInput
from dpf.registry.models import DeviceKind, SchoolEnrolment
from dpf.services.models import (
    CareKind,
    InstitutionKind,
    NotEnrolledReason,
    ReferralKind,
    ReferralSource,
    RehabKind,
    RehabOutcome,
    RenovationItemKind,
)
from dpf.services.services import MAX_PHOTOS, PHOTO_MAX_BYTES, PHOTOS_MAX_TOTAL


class RehabPlanForm(forms.Form):
    institution = forms.TypedChoiceField(label=_("服务机构"), coerce=int, choices=())
    kind = forms.ChoiceField(label=_("服务类型"), choices=RehabKind.choices)
    start = forms.DateField(label=_("计划开始日期"), widget=forms.DateInput(attrs={"type": "date"}))
    end = forms.DateField(label=_("计划结束日期"), widget=forms.DateInput(attrs={"type": "date"}))
    planned_sessions = forms.IntegerField(label=_("计划服务次数"), min_value=1, max_value=366)
    cost = forms.DecimalField(
        label=_("计划费用（元）"),
        required=False,
        min_value=0,
        max_digits=10,
        decimal_places=2,
        help_text=_("未满8周岁儿童的计划必填：从开始年度的残疾儿童康复救助标准中支出"),
    )

    def __init__(self, *args: object, institutions: list[tuple[int, str]], **kwargs: object):
        super().__init__(*args, **kwargs)  # type: ignore[arg-type]
        self.fields["institution"].choices = institutions  # type: ignore[attr-defined]


class RehabSessionForm(forms.Form):
    date = forms.DateField(label=_("服务日期"), widget=forms.DateInput(attrs={"type": "date"}))
    content = forms.CharField(label=_("服务内容"), max_length=200)


class RehabCloseForm(forms.Form):
    outcome = forms.ChoiceField(label=_("康复效果评估"), choices=RehabOutcome.choices)
    closed_on = forms.DateField(label=_("结案日期"), widget=forms.DateInput(attrs={"type": "date"}))


class DeviceFittingForm(forms.Form):
    item_code = forms.ChoiceField(label=_("辅具（补贴目录）"), choices=())
    assessed_on = forms.DateField(
        label=_("评估日期"), widget=forms.DateInput(attrs={"type": "date"})
    )
    fitted_on = forms.DateField(label=_("适配日期"), widget=forms.DateInput(attrs={"type": "date"}))
    supplier = forms.CharField(label=_("供应商"), max_length=100)

    def __init__(self, *args: object, items: list[tuple[str, str]], **kwargs: object):
        super().__init__(*args, **kwargs)  # type: ignore[arg-type]
        self.fields["item_code"].choices = items  # type: ignore[attr-defined]


SATISFACTION_CHOICES = [
    ("5", _("非常满意")),
    ("4", _("满意")),
    ("3", _("一般")),
    ("2", _("不满意")),
    ("1", _("非常不满意")),
]


class DeviceFollowUpForm(forms.Form):
    fitting = forms.TypedChoiceField(label=_("适配记录"), coerce=int, choices=())
    date = forms.DateField(label=_("回访日期"), widget=forms.DateInput(attrs={"type": "date"}))
    satisfaction = forms.TypedChoiceField(
        label=_("满意度"), coerce=int, choices=SATISFACTION_CHOICES
    )
    in_use = forms.BooleanField(label=_("仍在使用"), required=False, initial=True)

    def __init__(self, *args: object, fittings: list[tuple[int, str]], **kwargs: object):
        super().__init__(*args, **kwargs)  # type: ignore[arg-type]
        self.fields["fitting"].choices = fittings  # type: ignore[attr-defined]


def _date_field(label: Any) -> forms.DateField:
    return forms.DateField(label=label, widget=forms.DateInput(attrs={"type": "date"}))


class RenovationAssessForm(forms.Form):
    assessed_on = _date_field(_("入户评估日期"))
    assessment = forms.CharField(
        label=_("评估意见"), max_length=300, widget=forms.Textarea(attrs={"rows": 3})
    )


class RenovationPlanForm(forms.Form):
    """One cost (and note) per kind of item: a kind with a cost is in the plan (no script
    needed to add rows)."""

    contractor = forms.CharField(label=_("施工单位"), max_length=100)
    approved_on = _date_field(_("改造方案批准日期"))

    def __init__(self, *args: object, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)  # type: ignore[arg-type]
        for kind, label in RenovationItemKind.choices:
            self.fields[f"cost_{kind}"] = forms.DecimalField(
                label=_("%(item)s 费用（元）") % {"item": label},
                required=False,
                min_value=0,
                max_digits=10,
                decimal_places=2,
            )
            self.fields[f"note_{kind}"] = forms.CharField(
                label=_("%(item)s 说明") % {"item": label}, required=False, max_length=200
            )

    def item_rows(self) -> list[tuple[forms.BoundField, forms.BoundField]]:
        return [(self[f"cost_{k}"], self[f"note_{k}"]) for k in RenovationItemKind.values]

    def items(self) -> list[tuple[str, str, object]]:
        data = self.cleaned_data
        return [
            (k, data.get(f"note_{k}") or "", data[f"cost_{k}"])
            for k in RenovationItemKind.values
            if data.get(f"cost_{k}") is not None
        ]


class MultiplePhotoInput(forms.FileInput):
    """A file input that takes several files at once (``multiple``): no script needed."""

    allow_multiple_selected = True


class PhotosField(forms.FileField):
    """The uploaded files as a list; what each must be is the service's to decide (its
    refusals name the file's problem in both languages)."""

    widget = MultiplePhotoInput

    def clean(self, data: Any, initial: Any = None) -> list[Any]:
        files = [f for f in (data if isinstance(data, (list, tuple)) else [data]) if f]
        if not files and self.required:
            raise forms.ValidationError(self.error_messages["required"], code="required")
        return files


class RenovationCompleteForm(forms.Form):
    completed_on = _date_field(_("完工日期"))
    photos = PhotosField(
        label=_("完工照片"),
        error_messages={"required": _("登记完工须上传至少一张完工照片（JPEG或PNG）")},
        widget=MultiplePhotoInput(attrs={"accept": "image/jpeg,image/png,.jpg,.jpeg,.png"}),
    )
    note = forms.CharField(label=_("完工说明"), max_length=300, required=False)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        mb = 1024 * 1024
        self.fields["photos"].help_text = _(
            "JPEG或PNG格式（按文件内容判断，不看文件名），1至%(count)s张，每张不超过"
            "%(each)sMB，合计不超过%(total)sMB；可一次选择多张。"
        ) % {"count": MAX_PHOTOS, "each": PHOTO_MAX_BYTES // mb, "total": PHOTOS_MAX_TOTAL // mb}


class RenovationAcceptForm(forms.Form):
    accepted_on = _date_field(_("验收日期"))
    note = forms.CharField(label=_("验收意见"), max_length=300, required=False)


class SchoolingEnrolForm(forms.Form):
    mode = forms.ChoiceField(label=_("就读方式"), choices=SchoolEnrolment.Mode.choices)
    school = forms.CharField(label=_("学校"), max_length=100)
    valid_from = _date_field(_("入学日期"))
    age_reason = forms.CharField(
        label=_("不在6至15周岁的原因"),
        max_length=200,
        required=False,
        help_text=_("儿童不在6至15周岁时必填"),
    )


class SchoolingLeaveForm(forms.Form):
    left_on = _date_field(_("离校日期"))
    reason = forms.ChoiceField(label=_("原因"), choices=NotEnrolledReason.choices)
    note = forms.CharField(label=_("情况说明"), max_length=300, required=False)


class NotEnrolledForm(forms.Form):
    since = _date_field(_("起始日期"))
    reason = forms.ChoiceField(label=_("原因"), choices=NotEnrolledReason.choices)
    note = forms.CharField(label=_("情况说明"), max_length=300, required=False)


class NotEnrolledVisitForm(forms.Form):
    date = _date_field(_("走访日期"))
    note = forms.CharField(label=_("走访情况"), max_length=300)


class NotEnrolledResolveForm(forms.Form):
    resolved_on = _date_field(_("解决日期"))
    resolution = forms.CharField(label=_("解决情况"), max_length=300)


class CarePlacementForm(forms.Form):
    institution = forms.TypedChoiceField(label=_("托养机构"), coerce=int, choices=())
    kind = forms.ChoiceField(label=_("托养方式"), choices=CareKind.choices)
    start = _date_field(_("托养开始日期"))
    months = forms.IntegerField(label=_("托养月数"), min_value=1, max_value=36)
    monthly_subsidy = forms.DecimalField(
        label=_("每月补贴（元）"), min_value=0, max_digits=8, decimal_places=2
    )

    def __init__(self, *args: object, institutions: list[tuple[int, str]], **kwargs: object):
        super().__init__(*args, **kwargs)  # type: ignore[arg-type]
        self.fields["institution"].choices = institutions  # type: ignore[attr-defined]


class CareEndForm(forms.Form):
    ended_on = _date_field(_("结束日期"))
    reason = forms.CharField(label=_("结束原因"), max_length=200)


# --- the city's lists: institutions and the device catalogue -------------------------------


class InstitutionForm(forms.Form):
    """An institution registered (with its code) or changed (the code stays)."""

    code = forms.CharField(
        label=_("机构代码"),
        max_length=40,
        help_text=_("字母、数字或连字符，登记后不能修改；机构工作人员账号以此归属本机构"),
    )
    name = forms.CharField(label=_("机构名称"), max_length=100)
    kind = forms.ChoiceField(
        label=_("机构类型"), choices=[("", _("请选择")), *InstitutionKind.choices]
    )
    township_code = forms.ChoiceField(label=_("所在苏木乡镇（街道）"), choices=())
    licence_number = forms.CharField(label=_("执业许可证号"), max_length=50, required=False)
    capacity = forms.IntegerField(label=_("服务能力（人）"), initial=0)
    services_offered = forms.CharField(label=_("服务项目"), max_length=200, required=False)
    designated_from = forms.DateField(
        label=_("定点起始日期"),
        required=False,
        widget=DateInput(),
        help_text=_("仅市级定点康复机构填写"),
    )
    designated_to = forms.DateField(
        label=_("定点终止日期"),
        required=False,
        widget=DateInput(),
        help_text=_("定点仍有效的不填"),
    )

    def __init__(
        self, *args: Any, townships: list[tuple[str, str]], creating: bool, **kwargs: Any
    ) -> None:
        super().__init__(*args, **kwargs)
        self.fields["township_code"].choices = [("", _("请选择")), *townships]  # type: ignore[attr-defined]
        if not creating:
            del self.fields["code"]


class DeviceItemForm(forms.Form):
    """A new dated version of a catalogue item (a new code, or a new standard of one)."""

    code = forms.CharField(
        label=_("目录编码"),
        max_length=30,
        help_text=_("调整现有辅具的标准时，填写其原编码，并先为现行版本填写失效日期"),
    )
    name = forms.CharField(label=_("辅具名称"), max_length=100)
    kind = forms.ChoiceField(
        label=_("辅具类别"),
        choices=[("", _("请选择")), *[(v, lb) for v, lb in DeviceKind.choices if v]],
    )
    standard_amount = forms.DecimalField(label=_("补贴标准（元）"), max_digits=10, decimal_places=2)
    replacement_years = forms.IntegerField(label=_("更换周期（年）"))
    valid_from = forms.DateField(label=_("生效日期"), widget=DateInput())
    valid_to = forms.DateField(
        label=_("失效日期"),
        required=False,
        widget=DateInput(),
        help_text=_("长期有效的不填"),
    )


class DeviceItemEndForm(forms.Form):
    valid_to = forms.DateField(
        label=_("失效日期"),
        widget=DateInput(),
        help_text=_("该版本执行的最后一天"),
    )


class CatalogueDateForm(forms.Form):
    on = forms.DateField(label=_("查看日期"), required=False, widget=DateInput())


class ChildReferralForm(forms.Form):
    kind = forms.ChoiceField(label=_("来源方式"), choices=ReferralKind.choices)
    date = _date_field(_("筛查（转介）日期"))
    source = forms.ChoiceField(
        label=_("筛查（转介）方"),
        choices=ReferralSource.choices,
        help_text=_("筛查只由医院或妇幼保健机构进行（0-6岁儿童残疾筛查）"),
    )
    source_name = forms.CharField(label=_("机构或人员名称"), max_length=100)
    finding = forms.CharField(
        label=_("筛查结果或转介原因"), max_length=300, widget=forms.Textarea(attrs={"rows": 3})
    )


class ChildReferralCloseForm(forms.Form):
    closed_on = _date_field(_("结束日期"))
    reason = forms.CharField(label=_("结束跟进原因"), max_length=300)


class ChildTransitionCloseForm(forms.Form):
    closed_on = _date_field(_("转衔日期"))
    note = forms.CharField(
        label=_("转衔情况"),
        max_length=300,
        help_text=_("未制定成人康复服务计划的原因，如无成人康复需求、家长拒绝、已迁出"),
    )
