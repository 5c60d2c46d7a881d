"""Emergency priority lists (应急优先名单, plan 三(一)5): for a township or a village, the
certified disabled persons to reach first in a disaster or an epidemic, with why, where
they live and whom to call.

A person is on the list for any of: a severe disability (certificate level 1–2), living
alone (the only living member of the household), bedridden (recorded as such, or a
long-term care need in the latest needs survey), a device that needs power, a child (under
18) or an elderly person (60 and over). The more reasons, the higher on the list.

The page shows phone numbers and addresses masked; the export (xlsx, or a PDF in large
type to print) holds them in full, needs the export permission and a stated purpose, and
is written to the audit log before it is returned. A region outside the user's scope, or
one that is not a township or village, is "not found" (404), never a list.
"""

from __future__ import annotations

import datetime as dt
import io
from dataclasses import dataclass
from typing import Any

from django.db.models import Count, Exists, OuterRef, Q, Subquery
from django.template.loader import render_to_string
from django.utils import timezone

from dpf.accounts.models import User
from dpf.accounts.permissions import PermissionRefused, require_permission
from dpf.accounts.scoping import region_in_scope, scope_queryset
from dpf.core import audit
from dpf.core.certnumber import Category
from dpf.core.crypto import mask_phone, mask_text
from dpf.core.dates import age_on
from dpf.core.errors import ValidationFailed
from dpf.core.idnumber import parse_id_number
from dpf.core.logging import redact
from dpf.core.models import Region, RegionLevel
from dpf.core.spreadsheets import neutralise
from dpf.core.text import check_text_characters
from dpf.registry.models import (
    Certificate,
    CertificateStatus,
    GuardianLink,
    NeedsSurvey,
    Person,
    Relation,
)
from dpf.registry.services import id_lookup_hash
from dpf.social.models import EmergencyNeed, PoweredDevice

CHILD_UNDER = 18
ELDERLY_FROM = 60
PURPOSE_MIN = 4
PURPOSE_MAX = 300
FORMATS = ("xlsx", "pdf")

# Reason codes, in the order a responder reads them, with their labels in both languages.
REASONS: dict[str, tuple[str, str]] = {
    "severe": ("重度残疾（一、二级）", "severe disability (level 1–2)"),
    "alone": ("独居", "living alone"),
    "bedridden": ("卧床或需长期照护", "bedridden or in long-term care"),
    "power": ("依赖用电设备", "needs power for a device"),
    "child": ("未成年人", "child"),
    "elderly": ("老年人", "elderly"),
}


@dataclass(frozen=True)
class PriorityPerson:
    person_id: int
    name: str
    age: int
    village_code: str
    village: str
    category: str
    level: int
    reasons: tuple[str, ...]
    device: str
    address: str
    phone: str
    guardian: str
    guardian_relation: str
    guardian_phone: str

    @property
    def reason_labels(self) -> list[str]:
        from django.utils.translation import get_language

        english = (get_language() or "").startswith("en")
        return [REASONS[r][1 if english else 0] for r in self.reasons]


def _region(actor: User | None, region_code: str) -> Region:
    """The township or village asked for, when it is in ``actor``'s scope; else not found."""
    region = Region.objects.filter(code=region_code or "").first()
    if (
        region is None
        or region.level not in (RegionLevel.TOWNSHIP, RegionLevel.VILLAGE)
        or not region_in_scope(actor, region.code)
    ):
        raise PermissionRefused("view", "emergency_list", region_code)
    return region


def clean_purpose(raw: str) -> str:
    """The stated purpose of an export (导出用途): at least a few characters, kept redacted."""
    check_text_characters(
        raw or "", field="purpose", label_zh="导出用途", label_en="purpose", multiline=True
    )
    text = " ".join((raw or "").split())
    if len(text) < PURPOSE_MIN:
        raise ValidationFailed(
            "purpose_required",
            f"请说明导出用途（至少{PURPOSE_MIN}个字）",
            f"state the purpose of the export (at least {PURPOSE_MIN} characters)",
            field="purpose",
        )
    if len(text) > PURPOSE_MAX:
        raise ValidationFailed(
            "purpose_long",
            f"导出用途不能超过{PURPOSE_MAX}个字",
            f"the purpose is longer than {PURPOSE_MAX} characters",
            field="purpose",
        )
    return redact(text)


def _candidates(actor: User | None, region: Region, on: dt.date) -> list[Any]:
    """The living certified persons of ``region`` with the facts the reasons need, in one
    query (certificate, household size, survey, emergency record as annotations)."""
    certificate = Certificate.objects.filter(
        Certificate.as_of_q(on), person=OuterRef("pk"), status=CertificateStatus.VALID
    ).order_by("-valid_from", "-id")
    survey = NeedsSurvey.objects.filter(person=OuterRef("pk"), survey_date__lte=on).order_by(
        "-survey_date", "-id"
    )
    household_size = (
        Person.objects.filter(household=OuterRef("household"), death_date__isnull=True)
        .order_by()
        .values("household")
        .annotate(n=Count("id"))
        .values("n")
    )
    column = "township_code" if region.level == RegionLevel.TOWNSHIP else "village_code"
    persons = (
        scope_queryset(actor, Person.objects.all())
        .filter(Q(**{column: region.code}), death_date__isnull=True)
        .filter(Exists(certificate))
        .select_related("household")
        .annotate(
            cert_level=Subquery(certificate.values("level")[:1]),
            cert_category=Subquery(certificate.values("category")[:1]),
            care_need=Subquery(survey.values("long_term_care_need")[:1]),
            household_size=Subquery(household_size[:1]),
            bedridden=Subquery(
                EmergencyNeed.objects.filter(person=OuterRef("pk")).values("bedridden")[:1]
            ),
            powered_device=Subquery(
                EmergencyNeed.objects.filter(person=OuterRef("pk")).values("powered_device")[:1]
            ),
        )
    )
    return list(persons)


def _reasons(person: Any, on: dt.date) -> tuple[str, ...]:
    age = age_on(person.birth_date, on)
    found = {
        "severe": person.cert_level in (1, 2),
        "alone": (person.household_size or 1) <= 1,
        "bedridden": bool(person.bedridden) or bool(person.care_need),
        "power": bool(person.powered_device),
        "child": age < CHILD_UNDER,
        "elderly": age >= ELDERLY_FROM,
    }
    return tuple(code for code in REASONS if found[code])


def _priority_list(
    actor: User | None, region: Region, on: dt.date, *, full: bool
) -> list[PriorityPerson]:
    persons: list[tuple[Any, tuple[str, ...]]] = [
        (p, reasons) for p in _candidates(actor, region, on) if (reasons := _reasons(p, on))
    ]
    guardians: dict[int, GuardianLink] = {}
    for found in (
        GuardianLink.objects.filter(GuardianLink.as_of_q(on))
        .filter(dependant_id__in=[p.pk for p, _ in persons])
        .select_related("guardian")
        .order_by("dependant_id", "-valid_from", "-id")
    ):
        guardians.setdefault(found.dependant_id, found)
    villages = dict(
        Region.objects.filter(code__in={p.village_code for p, _ in persons}).values_list(
            "code", "name"
        )
    )
    rows = []
    for person, reasons in persons:
        link = guardians.get(person.pk)
        address = person.household.address if person.household else ""
        phone = person.phone or ""
        guardian_phone = link.guardian.phone if link else ""
        rows.append(
            PriorityPerson(
                person_id=person.pk,
                name=person.name,
                age=age_on(person.birth_date, on),
                village_code=person.village_code,
                village=villages.get(person.village_code, person.village_code),
                category=str(Category(person.cert_category).label),
                level=int(person.cert_level),
                reasons=reasons,
                device=str(PoweredDevice(person.powered_device).label)
                if person.powered_device
                else "",
                address=address if full else mask_text(address),
                phone=phone if full else mask_phone(phone),
                guardian=link.guardian.name if link else "",
                guardian_relation=str(Relation(link.relation).label) if link else "",
                guardian_phone=guardian_phone if full else mask_phone(guardian_phone),
            )
        )
    rows.sort(key=lambda r: (-len(r.reasons), r.village_code, r.name, r.person_id))
    return rows


def emergency_list(
    *, actor: User | None, region_code: str, on: dt.date
) -> tuple[Region, list[Any]]:
    """The priority list of a township or village, phone numbers and addresses masked."""
    require_permission(actor, "view", "emergency_list", region_code)
    region = _region(actor, region_code)
    return region, _priority_list(actor, region, on, full=False)


def _xlsx(region: Region, rows: list[PriorityPerson], *, on: dt.date, purpose: str) -> bytes:
    from openpyxl import Workbook
    from openpyxl.styles import Font

    book = Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.title = "应急优先名单"
    header = [
        "序号",
        "姓名",
        "年龄",
        "嘎查村社区",
        "住址",
        "联系电话",
        "残疾类别",
        "残疾等级",
        "优先原因",
        "用电设备",
        "监护人",
        "关系",
        "监护人电话",
    ]
    sheet.append(header)
    for cell in sheet[1]:
        cell.font = Font(bold=True)
    for n, row in enumerate(rows, start=1):
        sheet.append(
            [
                n,
                row.name,
                row.age,
                row.village,
                row.address,
                row.phone,
                row.category,
                f"{row.level}级",
                "、".join(REASONS[r][0] for r in row.reasons),
                row.device,
                row.guardian,
                row.guardian_relation,
                row.guardian_phone,
            ]
        )
    for letter, width in zip(
        "ABCDEFGHIJKLM", (6, 10, 6, 14, 30, 14, 8, 8, 30, 12, 10, 8, 14), strict=True
    ):
        sheet.column_dimensions[letter].width = width
    about = book.create_sheet("说明")
    for pair in (
        ("地区", region.name),
        ("日期", on.isoformat()),
        ("导出用途", purpose),
        ("人数", len(rows)),
        ("注意", "本名单含个人信息，仅用于所述用途，用后销毁"),
    ):
        about.append(list(pair))
    for sheet_ in book.worksheets:
        for line in sheet_.iter_rows():
            for cell in line:
                cell.value = neutralise(cell.value)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def _pdf(region: Region, rows: list[PriorityPerson], *, on: dt.date, purpose: str) -> bytes:
    from weasyprint import HTML  # heavy import: only when a PDF is asked for

    html = render_to_string(
        "social/emergency_pdf.html",
        {
            "region": region,
            "rows": rows,
            "on": on,
            "purpose": purpose,
            "printed_at": timezone.localtime(),
            "reasons": REASONS,
        },
    )
    return bytes(HTML(string=html).write_pdf() or b"")


def emergency_export(
    *, actor: User | None, region_code: str, on: dt.date, purpose: str, fmt: str
) -> tuple[str, bytes, int]:
    """The list in full (addresses and phone numbers) as xlsx or PDF; audited with its
    purpose. Returns (file name, content, number of persons)."""
    require_permission(actor, "export", "emergency_list", region_code)
    cleaned = clean_purpose(purpose)
    if fmt not in FORMATS:
        raise ValidationFailed("format", "请选择导出格式", "choose a file format", field="fmt")
    region = _region(actor, region_code)
    rows = _priority_list(actor, region, on, full=True)
    content = (_xlsx if fmt == "xlsx" else _pdf)(region, rows, on=on, purpose=cleaned)
    audit.record(
        actor=actor,
        action="export",
        object_type="emergency_list",
        object_id=region.code,
        changes={"on": on.isoformat(), "rows": len(rows), "format": fmt},
        reason=cleaned,
    )
    return f"emergency-{region.code}-{on.isoformat()}.{fmt}", content, len(rows)


def emergency_need_set(
    *,
    actor: User | None,
    person_id: int,
    bedridden: bool,
    powered_device: str,
    note: str = "",
    on: dt.date,
) -> EmergencyNeed:
    """Record whether a person of ``actor``'s region is bedridden or needs power for a
    device (what the survey does not ask); audited as ``change``."""
    require_permission(actor, "change", "emergency_list", person_id)
    person = scope_queryset(actor, Person.objects.all()).filter(pk=person_id).first()
    if person is None:
        raise PermissionRefused("change", "emergency_list", person_id)
    if powered_device not in PoweredDevice.values:
        raise ValidationFailed(
            "powered_device", "请选择设备", "choose the device", field="powered_device"
        )
    check_text_characters(note or "", field="note", label_zh="说明", label_en="note")
    if len(note or "") > 200:
        raise ValidationFailed(
            "note_long",
            "说明不能超过200个字",
            "the note is longer than 200 characters",
            field="note",
        )
    need, _created = EmergencyNeed.objects.update_or_create(
        person=person,
        defaults={
            "bedridden": bedridden,
            "powered_device": powered_device,
            "note": (note or "").strip(),
            "recorded_by": actor,
            "recorded_on": on,
        },
    )
    audit.record(
        actor=actor,
        action="change",
        object_type="emergency_need",
        object_id=person.pk,
        changes={"bedridden": bedridden, "powered_device": powered_device},
    )
    return need


def emergency_need_record(
    *,
    actor: User | None,
    id_number: str,
    bedridden: bool,
    powered_device: str,
    note: str = "",
    on: dt.date,
) -> EmergencyNeed:
    """``emergency_need_set`` for the person of ``actor``'s region with this ID number (a
    person elsewhere: the same refusal as an unknown number)."""
    require_permission(actor, "change", "emergency_list")
    number = parse_id_number(id_number or "", today=on)
    person = (
        scope_queryset(actor, Person.objects.all())
        .filter(id_number_hash=id_lookup_hash(number.normalized))
        .values_list("pk", flat=True)
        .first()
    )
    if person is None:
        raise ValidationFailed(
            "person_unknown",
            "本地区没有这个身份证号码的人员",
            "no person with this ID number in your region",
            field="id_number",
        )
    return emergency_need_set(
        actor=actor,
        person_id=person,
        bedridden=bedridden,
        powered_device=powered_device,
        note=note,
        on=on,
    )
