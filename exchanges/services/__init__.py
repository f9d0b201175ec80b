"""Writes for exchanges (one module per concern); import from here."""

from exchanges.services.agreements import (
    agreement_activate,
    agreement_complete,
    agreement_costs_share,
    agreement_create,
    agreement_latest_version,
    agreement_propose,
    agreement_run_due,
    agreement_sign,
    agreement_terminate,
    agreement_update,
    agreement_withdraw,
)
from exchanges.services.contacts import (
    attachment_add,
    attachment_check,
    company_block,
    contact_accept,
    contact_block,
    contact_decline,
    contact_expire_due,
    contact_introduce,
    contact_request,
    contact_stop,
    feasibility_update,
    is_blocked,
    listing_disclosure_set,
    message_post,
)
from exchanges.services.deliveries import delivery_confirm, delivery_dispute, delivery_record
from exchanges.services.people import membership_signatories_set
from exchanges.services.searches import (
    saved_search_create,
    saved_search_delete,
    saved_search_digest,
)

__all__ = [
    "agreement_activate", "agreement_complete", "agreement_costs_share", "agreement_create",
    "agreement_latest_version",
    "agreement_propose", "agreement_run_due", "agreement_sign", "agreement_terminate",
    "agreement_update", "agreement_withdraw", "attachment_add", "attachment_check",
    "company_block", "contact_accept", "contact_block", "contact_decline",
    "contact_expire_due", "contact_introduce", "contact_request", "contact_stop",
    "delivery_confirm", "delivery_dispute", "delivery_record", "feasibility_update", "is_blocked",
    "listing_disclosure_set", "membership_signatories_set", "message_post",
    "saved_search_create", "saved_search_delete", "saved_search_digest",
]
