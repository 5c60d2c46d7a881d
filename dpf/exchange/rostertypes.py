"""Roster types: the spreadsheets partner departments send, as a registry in code.

Each type names its Chinese template headers, the header variants departments actually
use, how each cell is parsed, and which registry fact it changes. Header matching ignores
whitespace, full-width forms, ``*`` markers and bracketed hints such as ``(yyyy-mm-dd)``.
"""

from __future__ import annotations

import datetime as dt
import re
import unicodedata
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from dpf.core.idnumber import make_id_number
from dpf.registry.models import HouseholdStatusCode, InsuranceKind, OutsidePaymentKind


class ColumnKind(StrEnum):
    ID_NUMBER = "id_number"
    NAME = "name"
    DATE = "date"
    STATUS = "status"
    TEXT = "text"
    CHOICE = "choice"  # one of ``Column.words`` (written word -> stored code)
    NUMBER = "number"  # a decimal within ``Column.minimum``..``maximum``


@dataclass(frozen=True)
class Column:
    """One column of a roster: its key, template header, variants and parsing."""

    key: str
    header: str
    kind: ColumnKind
    variants: tuple[str, ...] = ()
    required: bool = True  # the column must be present in the file
    blank_ok: bool = False  # a cell may be empty (e.g. an open end date)
    max_length: int = 100
    example: str = ""
    help: str = ""
    words: tuple[tuple[str, str], ...] = ()  # CHOICE: accepted words and their codes
    minimum: str = ""  # NUMBER: bounds (decimal text) and decimal places allowed
    maximum: str = ""
    decimals: int = 0
    not_future: bool = False  # DATE: no later than the day the roster is validated
    only_with: str = ""  # a cell filled only when the column of this key is filled too

    def accepted_headers(self) -> tuple[str, ...]:
        return (self.header, *self.variants, self.key)


class Target(StrEnum):
    """What a roster changes in the registry."""

    HOUSEHOLD_STATUS = "household_status"
    INSURANCE = "insurance"
    SCHOOL = "school"
    FAMILY_DOCTOR = "family_doctor"
    DEATH = "death"
    OUTSIDE_PAYMENT = "outside_payment"
    NEEDS_SURVEY = "needs_survey"
    MEDICAL_SETTLEMENT = "medical_settlement"


@dataclass(frozen=True)
class RosterType:
    code: str
    name: Promise
    department: Promise
    target: Target
    changes: Promise  # what a committed row changes, in words
    columns: tuple[Column, ...]
    insurance_kind: str = ""
    payment_kind: str = ""  # OUTSIDE_PAYMENT: the OutsidePaymentKind it records
    example_values: dict[str, str] = field(default_factory=dict)

    def column(self, key: str) -> Column | None:
        return next((c for c in self.columns if c.key == key), None)

    @property
    def required_columns(self) -> tuple[Column, ...]:
        return tuple(c for c in self.columns if c.required)


# Header variants shared by several rosters.
ID_VARIANTS = (
    "身份证号",
    "身份证",
    "公民身份号码",
    "公民身份证号码",
    "身份证件号码",
    "证件号码",
    "证件号",
    "身份号码",
    "idnumber",
)
NAME_VARIANTS = ("名字", "人员姓名", "name")
END_VARIANTS = ("结束日期", "截止日期", "终止时间", "结束时间", "退出日期", "到期日期", "valid_to")

_EXAMPLE_ID = make_id_number("150402", dt.date(1980, 5, 17), 123)
_EXAMPLE_CHILD_ID = make_id_number("150402", dt.date(2015, 9, 1), 124)


def _id_column(header: str = "身份证号码", extra: tuple[str, ...] = ()) -> Column:
    variants = tuple(v for v in (*extra, "身份证号码", *ID_VARIANTS) if v != header)
    return Column(
        "id_number",
        header,
        ColumnKind.ID_NUMBER,
        variants,
        max_length=18,
        example=_EXAMPLE_ID,
        help="18位（旧15位自动升级），请设为文本格式",
    )


def _name_column(extra: tuple[str, ...] = ()) -> Column:
    return Column("name", "姓名", ColumnKind.NAME, (*extra, *NAME_VARIANTS), max_length=50)


def _date(key: str, header: str, variants: tuple[str, ...], *, blank_ok: bool = False) -> Column:
    return Column(
        key,
        header,
        ColumnKind.DATE,
        (*variants, key),
        required=True,
        blank_ok=blank_ok,
        help="如 2023-01-05、2023/1/5、20230105",
    )


def _end(
    header: str = "终止日期",
    extra: tuple[str, ...] = (),
    *,
    help: str = "仍在享受/参保的留空",
    not_future: bool = False,
) -> Column:
    variants = tuple(v for v in (*extra, "终止日期", *END_VARIANTS) if v != header)
    return Column(
        "valid_to",
        header,
        ColumnKind.DATE,
        variants,
        required=False,
        blank_ok=True,
        help=help,
        not_future=not_future,
    )


HOUSEHOLD = RosterType(
    code="dibao",
    name=_("低保、特困、低保边缘家庭名单"),
    department=_("民政"),
    target=Target.HOUSEHOLD_STATUS,
    changes=_("所在家庭的经济状况（低保、特困、低保边缘）"),
    columns=(
        _id_column(extra=("户主身份证号码", "户主身份证号")),
        _name_column(("户主姓名", "成员姓名")),
        Column(
            "status",
            "类别",
            ColumnKind.STATUS,
            ("状态", "救助类别", "保障类别", "人员类别", "类型", "保障类型", "status"),
            max_length=20,
            help="低保、特困或低保边缘",
        ),
        _date(
            "valid_from", "起始日期", ("开始日期", "起始时间", "批准日期", "纳入日期", "生效日期")
        ),
        _end(),
    ),
    example_values={"status": "低保", "valid_from": "2023-01-05", "valid_to": ""},
)

PENSION = RosterType(
    code="pension",
    name=_("基本养老保险参保名单"),
    department=_("人社"),
    target=Target.INSURANCE,
    changes=_("基本养老保险参保记录"),
    insurance_kind=InsuranceKind.PENSION,
    columns=(
        _id_column(),
        _name_column(),
        _date("valid_from", "参保日期", ("参保时间", "起始日期", "开始日期", "参保起始日期")),
        _end(extra=("停保日期",)),
    ),
    example_values={"valid_from": "2021-07-01", "valid_to": ""},
)

MEDICAL = RosterType(
    code="medical",
    name=_("基本医疗保险参保名单"),
    department=_("医保"),
    target=Target.INSURANCE,
    changes=_("基本医疗保险参保记录"),
    insurance_kind=InsuranceKind.MEDICAL,
    columns=PENSION.columns,
    example_values={"valid_from": "2024-01-01", "valid_to": "2024-12-31"},
)

SCHOOL = RosterType(
    code="school",
    name=_("学生在校名单"),
    department=_("教育"),
    target=Target.SCHOOL,
    changes=_("在校记录（学校、年级）"),
    columns=(
        Column(
            "id_number",
            "学生身份证号码",
            ColumnKind.ID_NUMBER,
            ("学生身份证号", "学籍身份证号码", "身份证号码", *ID_VARIANTS),
            max_length=18,
            example=_EXAMPLE_CHILD_ID,
        ),
        _name_column(("学生姓名",)),
        Column("school", "学校", ColumnKind.TEXT, ("学校名称", "就读学校", "school")),
        Column("grade", "年级", ColumnKind.TEXT, ("就读年级", "grade"), max_length=20),
        _date("valid_from", "入学日期", ("入学时间", "起始日期", "开始日期")),
        # Leaving school (离校) ends the enrolment on that day; a child of 6-15 who left
        # for another reason than finishing school and holds no other enrolment is put on
        # the county's not-enrolled follow-up list (dpf.services.school_roster).
        _end(
            "离校日期",
            ("离校时间", "退学日期", "转出日期", "毕业日期"),
            help="仍在读的留空；离校当天，不能晚于导入当天",
            not_future=True,
        ),
        Column(
            "leave_reason",
            "离校原因",
            ColumnKind.CHOICE,
            ("离校类型", "leave_reason"),
            required=False,
            blank_ok=True,
            words=(
                ("毕业", "graduated"),
                ("转学", "transferred"),
                ("转出", "transferred"),
                ("退学", "dropped_out"),
                ("辍学", "dropped_out"),
                ("其他", "other"),
            ),
            help="毕业、转学、退学或其他；只在填写离校日期时填写",
            only_with="valid_to",
        ),
    ),
    example_values={
        "school": "红山区第一小学",
        "grade": "五年级",
        "valid_from": "2021-09-01",
        "valid_to": "",
        "leave_reason": "",
    },
)

FAMILY_DOCTOR = RosterType(
    code="family_doctor",
    name=_("家庭医生签约名单"),
    department=_("卫健"),
    target=Target.FAMILY_DOCTOR,
    changes=_("家庭医生签约记录"),
    columns=(
        _id_column(),
        _name_column(),
        _date("valid_from", "签约日期", ("签约时间", "起始日期", "开始日期")),
        _end(extra=("解约日期",)),
        Column(
            "institution",
            "签约机构",
            ColumnKind.TEXT,
            ("签约医疗机构", "医疗机构", "机构名称", "签约单位", "institution"),
        ),
    ),
    example_values={
        "valid_from": "2025-03-01",
        "valid_to": "2026-02-28",
        "institution": "红山区桥北街道社区卫生服务中心",
    },
)

DEATH = RosterType(
    code="death",
    name=_("死亡人员名单"),
    department=_("公安、民政"),
    target=Target.DEATH,
    changes=_("死亡日期（证件和其他记录保留，由扫描生成复核任务）"),
    columns=(
        _id_column(),
        _name_column(),
        _date("death_date", "死亡日期", ("死亡时间", "注销日期", "死亡注销日期")),
    ),
    example_values={"death_date": "2026-03-15"},
)

_YES_NO = (("是", "yes"), ("有", "yes"), ("否", "no"), ("无", "no"), ("没有", "no"))


def _yes_no(key: str, header: str, variants: tuple[str, ...] = ()) -> Column:
    return Column(key, header, ColumnKind.CHOICE, (*variants, key), words=_YES_NO, help="是或否")


# The national survey system's export (全国残疾人基本服务状况和需求信息数据动态更新系统):
# one row a person and year, the answers of the worker's form. Committed rows become the
# person's survey of that year, in force from its date (``dpf.exchange.surveyroster``).
NEEDS_SURVEY = RosterType(
    code="needs_survey",
    name=_("残疾人基本服务状况和需求信息（动态更新）"),
    department=_("残联（全国动态更新系统导出）"),
    target=Target.NEEDS_SURVEY,
    changes=_("该年度的需求调查（自调查日期起生效）"),
    columns=(
        _id_column(),
        _name_column(),
        Column(
            "year",
            "调查年度",
            ColumnKind.NUMBER,
            ("年度", "更新年度", "year"),
            minimum="2000",
            maximum="2100",
            help="如 2025",
        ),
        _date("survey_date", "调查日期", ("更新日期", "走访日期", "入户日期")),
        Column(
            "method",
            "调查方式",
            ColumnKind.CHOICE,
            ("调查形式", "method"),
            words=(
                ("入户", "home_visit"),
                ("入户调查", "home_visit"),
                ("面对面", "face_to_face"),
                ("电话", "phone"),
                ("电话调查", "phone"),
            ),
            help="入户、面对面或电话",
        ),
        _yes_no("rehab_need", "康复需求", ("康复服务需求",)),
        Column(
            "device_need",
            "辅具需求",
            ColumnKind.CHOICE,
            ("辅助器具需求", "device_need"),
            words=(
                ("无", "none"),
                ("否", "none"),
                ("没有", "none"),
                ("轮椅", "wheelchair"),
                ("助听器", "hearing_aid"),
                ("假肢矫形器", "prosthesis"),
                ("假肢", "prosthesis"),
                ("矫形器", "prosthesis"),
                ("助视器", "visual_aid"),
                ("助行器", "walking_aid"),
                ("其他辅具", "other"),
                ("其他", "other"),
            ),
            help="无、轮椅、助听器、假肢矫形器、助视器、助行器或其他辅具",
        ),
        _yes_no("home_renovation_need", "无障碍改造需求", ("家庭无障碍改造需求",)),
        _yes_no("care_need", "托养需求", ("托养服务需求",)),
        _yes_no("long_term_care_need", "长期照护需求", ("长期照护服务需求", "护理需求")),
        Column(
            "employment_status",
            "就业状况",
            ColumnKind.CHOICE,
            ("employment_status",),
            words=(
                ("就业", "employed"),
                ("已就业", "employed"),
                ("未就业", "unemployed"),
                ("无劳动能力", "unable"),
                ("离退休", "retired"),
                ("在校学生", "student"),
                ("不适用", "na"),
            ),
            help="就业、未就业、无劳动能力、离退休、在校学生或不适用",
        ),
        _yes_no("employment_wish", "就业意愿", ("就业需求",)),
        Column(
            "school_status",
            "就学状况",
            ColumnKind.CHOICE,
            ("school_status",),
            words=(
                ("在校", "enrolled"),
                ("未入学", "not_enrolled"),
                ("送教上门", "home_teaching"),
                ("不适用", "na"),
            ),
            help="在校、未入学、送教上门或不适用",
        ),
        Column(
            "income_per_capita",
            "家庭人均年收入",
            ColumnKind.NUMBER,
            ("家庭人均年收入（元）", "人均年收入", "income_per_capita"),
            minimum="0",
            maximum="1000000",
            decimals=2,
            help="元，如 6200 或 6200.50",
        ),
    ),
    example_values={
        "year": "2025",
        "survey_date": "2025-05-10",
        "method": "入户",
        "rehab_need": "是",
        "device_need": "轮椅",
        "home_renovation_need": "否",
        "care_need": "否",
        "long_term_care_need": "是",
        "employment_status": "无劳动能力",
        "employment_wish": "否",
        "school_status": "不适用",
        "income_per_capita": "6200",
    },
)

ROSTER_TYPES: dict[str, RosterType] = {
    t.code: t for t in (HOUSEHOLD, PENSION, MEDICAL, SCHOOL, FAMILY_DOCTOR, DEATH)
}


def _outside_payment(
    kind: str, name: Any, department: Any, start: tuple[str, ...], example: str
) -> RosterType:
    """A roster of one kind of payment another department makes (issue 15 part 2): each
    row becomes the person's ``OutsidePayment`` of that kind over its dates; a period
    overlapping one already recorded differently is refused as a history conflict."""
    return RosterType(
        code=kind,
        name=name,
        department=department,
        target=Target.OUTSIDE_PAYMENT,
        changes=_("该人员的外部发放记录（影响生活补贴、护理补贴等的资格）"),
        payment_kind=kind,
        columns=(
            _id_column(),
            _name_column(("享受人姓名", "领取人姓名")),
            _date("valid_from", "发放起始日期", (*start, "起始日期", "开始日期", "发放日期")),
            _end("发放终止日期", ("停发日期", "终止发放日期")),
        ),
        example_values={"valid_from": example, "valid_to": ""},
    )


OUTSIDE_PAYMENT_ROSTERS = (
    _outside_payment(
        OutsidePaymentKind.WORK_INJURY_CARE,
        _("工伤保险生活护理费领取名单"),
        _("人社"),
        ("护理费起始日期", "核定日期"),
        "2022-04-01",
    ),
    _outside_payment(
        OutsidePaymentKind.ORPHAN_SUPPORT,
        _("孤儿基本生活保障名单"),
        _("民政"),
        ("保障起始日期", "纳入日期"),
        "2021-09-01",
    ),
    _outside_payment(
        OutsidePaymentKind.ELDERLY_CARE,
        _("老年人护理补贴、高龄津贴名单"),
        _("民政"),
        ("补贴起始日期", "享受起始日期"),
        "2023-01-01",
    ),
    _outside_payment(
        OutsidePaymentKind.VETERAN_CARE,
        _("优抚对象护理费名单"),
        _("退役军人事务"),
        ("护理费起始日期", "享受起始日期"),
        "2020-07-01",
    ),
)
ROSTER_TYPES.update({t.code: t for t in OUTSIDE_PAYMENT_ROSTERS})
ROSTER_TYPES[NEEDS_SURVEY.code] = NEEDS_SURVEY


def _amount(key: str, header: str, variants: tuple[str, ...], **extra: Any) -> Column:
    return Column(
        key,
        header,
        ColumnKind.NUMBER,
        (*variants, key),
        minimum="0",
        maximum="99999999.99",
        decimals=2,
        help="元，如 3650 或 3650.50",
        **extra,
    )


# Medical settlements (医疗费用结算) from the medical insurance bureau's one-stop settlement
# (一站式结算: basic insurance, serious-illness insurance and medical assistance settled at
# once) or from civil affairs' medical assistance: one row a settlement, several a person.
# A committed row becomes the person's ``MedicalSettlement`` (``dpf.exchange.medicalroster``);
# what was left to pay (个人自付) feeds ``household.medical_out_of_pocket_year``.
MEDICAL_SETTLEMENT = RosterType(
    code="medical_settlement",
    name=_("医疗费用结算名单（医保、医疗救助）"),
    department=_("医保、民政"),
    target=Target.MEDICAL_SETTLEMENT,
    changes=_("该人员的医疗费用结算记录（个人自付部分用于防止返贫监测）"),
    columns=(
        _id_column(extra=("患者身份证号码", "参保人身份证号码")),
        _name_column(("患者姓名", "参保人姓名")),
        Column(
            "settlement_no",
            "结算单号",
            ColumnKind.TEXT,
            ("结算编号", "结算流水号", "结算ID", "就诊流水号", "单据号"),
            max_length=40,
            help="医保或医疗救助的结算编号，同一结算重复报送时据此识别",
        ),
        Column(
            "settled_on",
            "结算日期",
            ColumnKind.DATE,
            ("结算时间", "费用结算日期", "出院结算日期", "settled_on"),
            help="如 2023-01-05、2023/1/5、20230105；不能晚于导入当天",
            not_future=True,
        ),
        _amount("total", "医疗总费用", ("总费用", "医疗费用总额", "费用总额", "医疗费总额")),
        _amount(
            "reimbursed",
            "医保报销金额",
            ("医保支付金额", "基金支付金额", "医保基金支付", "统筹支付金额", "报销金额"),
        ),
        _amount("assistance", "医疗救助金额", ("医疗救助支付金额", "救助金额", "医疗救助")),
        _amount(
            "out_of_pocket",
            "个人自付金额",
            ("个人负担金额", "个人自付", "自付金额", "个人支付金额"),
            required=False,
            blank_ok=True,
        ),
    ),
    example_values={
        "settlement_no": "JS2025061800123",
        "settled_on": "2025-06-18",
        "total": "48600",
        "reimbursed": "29160",
        "assistance": "4860",
        "out_of_pocket": "14580",
    },
)
ROSTER_TYPES[MEDICAL_SETTLEMENT.code] = MEDICAL_SETTLEMENT


def roster_type(code: str) -> RosterType | None:
    return ROSTER_TYPES.get(code)


# --- normalising headers and cells -----------------------------------------------------

_BRACKETED = re.compile(r"[(\[【〔（][^)\]】〕）]*[)\]】〕）]")
_SPACES = re.compile(r"\s+")


def normalize_header(text: Any) -> str:
    """``" 身份证号码（必填）* "`` → ``"身份证号码"``; full-width folded; case-insensitive."""
    if text is None:
        return ""
    value = unicodedata.normalize("NFKC", str(text))
    value = _BRACKETED.sub("", value)
    value = _SPACES.sub("", value).replace("*", "").replace("_", "").replace(":", "")
    return value.lower()


def normalize_text(value: Any) -> str:
    """Cell text: full-width folded, surrounding space removed, inner runs collapsed."""
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    text = unicodedata.normalize("NFKC", str(value)).strip()
    return _SPACES.sub(" ", text)


_NAME_DOTS = re.compile(r"[•・．.·‧∙]")


def normalize_name(value: Any) -> str:
    """Names compare without spaces and with one kind of middle dot (蒙古族 transliterations)."""
    text = normalize_text(value).replace(" ", "")
    return _NAME_DOTS.sub("·", text)


_STATUS_WORDS: dict[str, str] = {}
for _code, _words in {
    HouseholdStatusCode.DIBAO: (
        "低保",
        "低保户",
        "低保对象",
        "低保家庭",
        "城市低保",
        "农村低保",
        "城乡低保",
        "城镇低保",
        "最低生活保障",
        "dibao",
    ),
    HouseholdStatusCode.TEKUN: (
        "特困",
        "特困人员",
        "特困供养",
        "特困供养人员",
        "分散供养特困人员",
        "集中供养特困人员",
        "五保",
        "五保户",
        "tekun",
    ),
    HouseholdStatusCode.DIBAO_EDGE: (
        "低保边缘",
        "低保边缘户",
        "低保边缘家庭",
        "低保边缘对象",
        "边缘户",
        "dibaoedge",
        "dibao_edge",
    ),
}.items():
    for _word in _words:
        _STATUS_WORDS[_word] = str(_code)


def parse_status(value: Any) -> str | None:
    """The household status code for a 类别 cell, or None when it is not one of ours."""
    key = normalize_text(value).replace(" ", "").lower()
    return _STATUS_WORDS.get(key)
