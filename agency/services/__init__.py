"""Writes of the agency app, one module per area; each function runs in one transaction."""

from agency.services.review import (
    BulkResult,
    decision_bulk,
    decision_record,
    introduction_create,
    review_assign,
    review_note_add,
)

__all__ = ["BulkResult", "decision_bulk", "decision_record", "introduction_create",
           "review_assign", "review_note_add"]
