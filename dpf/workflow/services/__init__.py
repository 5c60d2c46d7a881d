"""Every write of the workflow app, one keyword-only function per use case.

``applications``: the bundle form, documents, step decisions, withdrawal, appeal;
``proposals``: proactive proposals (免申即享); ``entitlements``: suspension, resumption,
termination and the scan's review items; ``payments``: monthly payment lists;
``bank``: the bank list, the PDF for signing and the bank's result file.
"""

from dpf.workflow.services.applications import (
    ADVANCE,
    OVERTURN,
    REJECT,
    UPHOLD,
    BankDetails,
    BulkOutcome,
    application_submit,
    application_withdraw,
    bulk_advance,
    document_upload,
    item_appeal,
    item_decide,
    payee_account_set,
)
from dpf.workflow.services.bank import (
    ResultFileRefused,
    ResultSummary,
    bank_workbook,
    import_results,
    signing_pdf,
)
from dpf.workflow.services.common import AlreadyHandled, NotYourStep
from dpf.workflow.services.entitlements import resume, review_resolve, suspend, terminate
from dpf.workflow.services.payments import (
    payment_list_approve,
    payment_list_discard,
    payment_list_generate,
)
from dpf.workflow.services.proposals import proposal_confirm, proposal_decline, proposal_start

__all__ = [
    "ADVANCE",
    "OVERTURN",
    "REJECT",
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
    "document_upload",
    "import_results",
    "item_appeal",
    "item_decide",
    "payee_account_set",
    "payment_list_approve",
    "payment_list_discard",
    "payment_list_generate",
    "proposal_confirm",
    "proposal_decline",
    "proposal_start",
    "resume",
    "review_resolve",
    "signing_pdf",
    "suspend",
    "terminate",
]
