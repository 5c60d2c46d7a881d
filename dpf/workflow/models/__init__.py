"""Models of the workflow app: applications and steps, entitlement history, payments."""

from dpf.workflow.models.applications import (
    ANY_BENEFIT,
    ApplicantKind,
    Application,
    ApplicationItem,
    ApplicationStatus,
    Channel,
    Document,
    ItemStatus,
    PayeeAccount,
    ProcedureStep,
    Transition,
)
from dpf.workflow.models.payments import (
    EntitlementEvent,
    PaymentLine,
    PaymentList,
    PaymentMonth,
)

__all__ = [
    "ANY_BENEFIT",
    "ApplicantKind",
    "Application",
    "ApplicationItem",
    "ApplicationStatus",
    "Channel",
    "Document",
    "EntitlementEvent",
    "ItemStatus",
    "PayeeAccount",
    "PaymentLine",
    "PaymentList",
    "PaymentMonth",
    "ProcedureStep",
    "Transition",
]
