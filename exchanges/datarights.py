"""Exchanges' part of a firm's export and erasure (see ``symbiosis.datarights``)."""

from __future__ import annotations

from typing import Any

from django.db.models import Q
from django.utils import timezone

from accounts.models import Company
from exchanges.models import (
    Agreement,
    AgreementVersion,
    Attachment,
    AuditEntry,
    Block,
    Contact,
    Delivery,
    EmailOptOut,
    FeasibilityItem,
    ListingDisclosure,
    Message,
    Notification,
    SavedSearch,
    Signature,
)
from exchanges.services.audit import audit_record
from symbiosis.datarights import rows


def export_company(*, company: Company) -> dict[str, Any]:
    """Contacts the firm is party to, with their conversation, agreements and audit trail."""
    contacts = Contact.objects.filter(Q(requester=company) | Q(recipient=company))
    agreements = Agreement.objects.filter(contact__in=contacts)
    members = Q(user__memberships__company=company)
    return {
        "contacts": rows(contacts.order_by("pk")),
        "messages": rows(Message.objects.filter(contact__in=contacts).order_by("pk")),
        # What the files are; the files themselves are on the contact's page.
        "attachments": rows(Attachment.objects.filter(contact__in=contacts).order_by("pk")),
        "feasibility": rows(FeasibilityItem.objects.filter(contact__in=contacts).order_by("pk")),
        "agreements": rows(agreements.order_by("pk")),
        "agreement_versions": rows(
            AgreementVersion.objects.filter(agreement__in=agreements).order_by("pk")),
        "signatures": rows(Signature.objects.filter(version__agreement__in=agreements)
                           .order_by("pk")),
        "deliveries": rows(Delivery.objects.filter(agreement__in=agreements).order_by("pk")),
        "audit": rows(AuditEntry.objects.filter(contact__in=contacts).order_by("pk")),
        "blocks": rows(Block.objects.filter(blocker=company).order_by("pk")),
        "listing_disclosures": rows(
            ListingDisclosure.objects.filter(listing__company=company).order_by("pk")),
        "saved_searches": rows(SavedSearch.objects.filter(company=company).order_by("pk")),
        "notifications": rows(Notification.objects.filter(members).distinct().order_by("pk")),
    }


def erase_company(*, company: Company, pseudonym: str) -> dict[str, int]:
    """Unanswered requests stop and unsigned drafts are withdrawn, each with an audit entry;
    accepted contacts, signed agreements, deliveries and messages stay for the other party.
    The firm's searches, notices and mail preferences go."""
    now = timezone.now()
    stopped = 0
    open_requests = Contact.objects.filter(Q(requester=company) | Q(recipient=company),
                                           state=Contact.State.REQUESTED)
    for contact in open_requests.select_for_update():
        audit_record(subject="contact", subject_id=contact.pk, contact=contact,
                     action="stop", from_state=contact.state, to_state=Contact.State.STOPPED,
                     company=company, note="account deleted")
        contact.state, contact.stage, contact.closed_at = (
            Contact.State.STOPPED, Contact.Stage.STOPPED, now)
        contact.save(update_fields=["state", "stage", "closed_at"])
        stopped += 1
    withdrawn = 0
    drafts = Agreement.objects.filter(
        Q(contact__requester=company) | Q(contact__recipient=company),
        state__in=Agreement.EDITABLE_STATES)
    for agreement in drafts.select_for_update():
        audit_record(subject="agreement", subject_id=agreement.pk, contact=agreement.contact,
                     action="withdraw", from_state=agreement.state,
                     to_state=Agreement.State.WITHDRAWN, company=company,
                     note="account deleted")
        agreement.state, agreement.closed_at = Agreement.State.WITHDRAWN, now
        agreement.save(update_fields=["state", "closed_at"])
        withdrawn += 1
    members = Q(user__memberships__company=company)
    return {
        "requests_stopped": stopped,
        "drafts_withdrawn": withdrawn,
        "saved_searches_deleted": SavedSearch.objects.filter(company=company).delete()[0],
        "notifications_deleted": Notification.objects.filter(
            pk__in=Notification.objects.filter(members).values("pk")).delete()[0],
        "email_opt_outs_deleted": EmailOptOut.objects.filter(
            pk__in=EmailOptOut.objects.filter(members).values("pk")).delete()[0],
    }
