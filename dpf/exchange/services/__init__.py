"""Every write of the exchange, one module per family of use cases."""

from dpf.exchange.services.exports import may_unmask, registry_extract, row_list
from dpf.exchange.services.imports import (
    RESCAN_JOB_KEY,
    batch_cancel,
    batch_commit,
    batch_commit_start,
    batch_receive_rows,
    batch_revalidate,
    batch_upload,
    batch_validate_now,
    batch_validate_start,
    commit_job_key,
    max_upload_bytes,
)
from dpf.exchange.services.suspects import duplicates_find, suspect_resolve
from dpf.exchange.services.tokens import token_authenticate, token_create, token_revoke

__all__ = [
    "RESCAN_JOB_KEY",
    "batch_cancel",
    "batch_commit",
    "batch_commit_start",
    "batch_receive_rows",
    "batch_revalidate",
    "batch_upload",
    "batch_validate_now",
    "batch_validate_start",
    "commit_job_key",
    "duplicates_find",
    "max_upload_bytes",
    "may_unmask",
    "registry_extract",
    "row_list",
    "suspect_resolve",
    "token_authenticate",
    "token_create",
    "token_revoke",
]
