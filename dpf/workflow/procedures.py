"""Each benefit's steps and required documents, as data.

The shipped procedures and document lists are in ``data/procedures.json``; a data migration
(``workflow/migrations/0002``, with a frozen copy of the file) copied the steps into
``ProcedureStep`` (where a city admin may change them), and the
document lists are read from the file. ``procedures()`` reads every step in one query.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

from dpf.core.errors import ValidationFailed

DATA_PATH = Path(__file__).resolve().parent / "data" / "procedures.json"
ANY = "*"


@lru_cache(maxsize=1)
def shipped() -> dict[str, Any]:
    with DATA_PATH.open(encoding="utf-8") as fh:
        data: dict[str, Any] = json.load(fh)
    return data


@dataclass(frozen=True)
class Step:
    code: str
    kind: str
    order: int
    name_zh: str
    name_en: str
    role: str
    acting_for: str
    deadline_days: int | None

    def decided_by(self, user: Any) -> bool:
        """Is ``user`` the one who decides this step? Each step names its one role (the
        procedure's data), within the scope the permission table gives that role."""
        return bool(self.role) and getattr(user, "role", None) == self.role


@dataclass(frozen=True)
class Procedure:
    """The ordered steps of one benefit."""

    benefit_code: str
    steps: tuple[Step, ...]

    @property
    def normal(self) -> list[Step]:
        return [s for s in self.steps if s.kind == "normal"]

    def step(self, code: str) -> Step | None:
        return next((s for s in self.steps if s.code == code), None)

    def first(self) -> Step:
        normal = self.normal
        if not normal:
            raise ValidationFailed(
                "procedure_empty",
                f"事项 {self.benefit_code} 未配置办理环节",
                f"no steps are configured for {self.benefit_code}",
            )
        return normal[0]

    def after(self, code: str) -> Step | None:
        """The normal step after ``code`` (None: ``code`` is the last, the approval)."""
        normal = self.normal
        for i, s in enumerate(normal):
            if s.code == code:
                return normal[i + 1] if i + 1 < len(normal) else None
        return None

    def of_kind(self, kind: str) -> Step:
        found = next((s for s in self.steps if s.kind == kind), None)
        if found is None:
            raise ValidationFailed(
                f"procedure_no_{kind}",
                f"事项 {self.benefit_code} 未配置该环节",
                f"no {kind} step is configured for {self.benefit_code}",
            )
        return found


class Procedures:
    """Every configured procedure, read in one query; the default covers other benefits."""

    def __init__(self, rows: list[Any]) -> None:
        grouped: dict[str, list[Step]] = {}
        for r in rows:
            grouped.setdefault(r.benefit_code, []).append(
                Step(
                    code=r.code,
                    kind=r.kind,
                    order=r.order,
                    name_zh=r.name_zh,
                    name_en=r.name_en,
                    role=r.role,
                    acting_for=r.acting_for,
                    deadline_days=r.deadline_days,
                )
            )
        self._by_code = {
            code: Procedure(code, tuple(sorted(steps, key=lambda s: s.order)))
            for code, steps in grouped.items()
        }

    def for_benefit(self, benefit_code: str) -> Procedure:
        found = self._by_code.get(benefit_code) or self._by_code.get(ANY)
        if found is None:
            return Procedure(benefit_code, ())
        return found

    def step(self, benefit_code: str, step_code: str) -> Step | None:
        return self.for_benefit(benefit_code).step(step_code)


def procedures() -> Procedures:
    from dpf.workflow.models import ProcedureStep

    return Procedures(list(ProcedureStep.objects.all()))


# Documents -----------------------------------------------------------------------------


@dataclass(frozen=True)
class DocumentType:
    code: str
    name_zh: str
    name_en: str


def document_types() -> dict[str, DocumentType]:
    types = shipped()["documents"]["types"]
    return {
        code: DocumentType(code, str(t["name_zh"]), str(t["name_en"])) for code, t in types.items()
    }


def required_documents(benefit_codes: list[str], *, guardian: bool = False) -> list[DocumentType]:
    """The union of the documents the benefits need, in a stable order (one notice)."""
    docs = shipped()["documents"]
    required = docs["required"]
    codes: list[str] = []
    for benefit in benefit_codes:
        for code in required.get(benefit, required[ANY]):
            if code not in codes:
                codes.append(code)
    if guardian:
        codes += [c for c in docs["required_when_guardian"] if c not in codes]
    types = document_types()
    return [types[c] for c in codes]
