"""The audit trail: one row per state change, written by the services that make it."""

from __future__ import annotations

from accounts.models import Company, User
from exchanges.models import AuditEntry, Contact


def audit_record(
    *, subject: str, subject_id: int, contact: Contact | None, action: str,
    from_state: str = "", to_state: str = "", user: User | None = None,
    company: Company | None = None, note: str = "",
) -> AuditEntry:
    """Log who changed what from which state to which (called inside the change's
    transaction, so a rolled-back change leaves no entry)."""
    return AuditEntry.objects.create(
        subject=subject, subject_id=subject_id, contact=contact, action=action,
        from_state=from_state, to_state=to_state,
        user=user if user is not None and user.is_authenticated else None,
        company=company, note=note[:500],
    )
