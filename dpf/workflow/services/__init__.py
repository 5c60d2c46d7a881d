"""Every write of the workflow app, one keyword-only function per use case.

``intake``: the bundle form and documents; ``payees``: the bank account paid to
(requested, verified by an officer, the person told by text message); ``applications``: step
decisions, bulk approval, withdrawal, appeal; ``steps``: the machinery they share;
``proposals``: proactive proposals (免申即享); ``entitlements``: suspension, resumption,
termination and the scan's review items, and entitlements decided outside an application
(a care placement's subsidy); ``payments``: monthly payment lists;
``bank``: the bank list and the PDF for signing; ``bank_results``: the bank's result file.
"""

from dpf.workflow.services.applications import (
    ADVANCE,
    BULK_LIMIT,
    OVERTURN,
    REJECT,
    UPHOLD,
    BulkOutcome,
    application_withdraw,
    bulk_advance,
    item_appeal,
    item_decide,
    withdrawal_refused,
)
from dpf.workflow.services.bank import (
    BANK_WORKBOOK,
    DOCUMENT_KINDS,
    SIGNING_PDF,
    bank_workbook,
    document_file,
    document_start,
    signing_document,
    signing_pdf,
)
from dpf.workflow.services.bank_results import ResultFileRefused, ResultSummary, import_results
from dpf.workflow.services.common import AlreadyHandled, NotYourStep
from dpf.workflow.services.entitlements import (
    entitlement_close,
    entitlement_grant,
    resume,
    review_resolve,
    suspend,
    terminate,
    terminate_many,
)
from dpf.workflow.services.intake import application_submit, document_upload
from dpf.workflow.services.payees import (
    BankDetails,
    payee_account_reject,
    payee_account_request,
    payee_account_verify,
)
from dpf.workflow.services.payments import (
    payment_list_approve,
    payment_list_discard,
    payment_list_find,
    payment_list_generate,
    payment_list_generate_start,
    payment_list_key,
    payment_lists_draft,
)
from dpf.workflow.services.proposals import proposal_confirm, proposal_decline, proposal_start

__all__ = [
    "ADVANCE",
    "BANK_WORKBOOK",
    "BULK_LIMIT",
    "DOCUMENT_KINDS",
    "OVERTURN",
    "REJECT",
    "SIGNING_PDF",
    "UPHOLD",
    "AlreadyHandled",
    "BankDetails",
    "BulkOutcome",
    "NotYourStep",
    "ResultFileRefused",
    "ResultSummary",
    "application_submit",
    "application_withdraw",
    "bank_workbook",
    "bulk_advance",
    "document_file",
    "document_start",
    "document_upload",
    "entitlement_close",
    "entitlement_grant",
    "import_results",
    "item_appeal",
    "item_decide",
    "payee_account_reject",
    "payee_account_request",
    "payee_account_verify",
    "payment_list_approve",
    "payment_list_discard",
    "payment_list_find",
    "payment_list_generate",
    "payment_list_generate_start",
    "payment_list_key",
    "payment_lists_draft",
    "proposal_confirm",
    "proposal_decline",
    "proposal_start",
    "resume",
    "review_resolve",
    "signing_document",
    "signing_pdf",
    "suspend",
    "terminate",
    "terminate_many",
    "withdrawal_refused",
]
