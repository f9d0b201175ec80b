"""Writes for contacts: request, accept, decline, stop, block, expire; the thread and the
feasibility checklist. Each runs in one transaction and logs its state change."""

from __future__ import annotations

import mimetypes
from datetime import timedelta
from decimal import Decimal, InvalidOperation
from typing import Any

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.uploadedfile import UploadedFile
from django.db import IntegrityError, transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.text import get_valid_filename
from django.utils.translation import gettext as _

from accounts.models import Agency, Company, User
from accounts.selectors import site_region_ids
from exchanges import events, permissions
from exchanges.models import (
    Agreement,
    Attachment,
    AuditEntry,
    Block,
    Contact,
    FeasibilityItem,
    ListingDisclosure,
    Message,
)
from exchanges.services.audit import audit_record
from exchanges.services.notifications import (
    Kind,
    listing_title_for,
    notify_company,
    notify_other,
)
from matching import selectors as matching_selectors
from matching.models import Listing, MatchLabel
from matching.services import label_record

MESSAGE_MAX = 5000


def _audit(contact: Contact, action: str, before: str, user: User | None,
           company: Company | None, note: str = "") -> None:
    audit_record(subject=AuditEntry.Subject.CONTACT, subject_id=contact.pk, contact=contact,
                 action=action, from_state=before, to_state=contact.state, user=user,
                 company=company, note=note)


def contact_set_stage(*, contact: Contact, stage: str, user: User | None,
                      company: Company | None, reason: str = "") -> None:
    """Move the contact along the pipeline (logged); saves the contact."""
    if contact.stage == stage and not reason:
        return
    before = contact.stage
    contact.stage = stage
    if reason:
        contact.stop_reason = reason
    contact.save(update_fields=["stage", "stop_reason", "updated_at"])
    audit_record(subject=AuditEntry.Subject.CONTACT, subject_id=contact.pk, contact=contact,
                 action="stage", from_state=before, to_state=stage, user=user,
                 company=company)


def is_blocked(a: Company, b: Company) -> bool:
    """Either firm blocked the other."""
    return Block.objects.filter(
        Q(blocker=a, blocked=b) | Q(blocker=b, blocked=a)
    ).exists()


def _clean_message(message: str) -> str:
    text = (message or "").strip()
    if not text:
        raise ValidationError({"message": _("Write a short message to go with the request.")})
    if len(text) > MESSAGE_MAX:
        raise ValidationError(
            {"message": _("Keep the message under %(n)d characters.") % {"n": MESSAGE_MAX}}
        )
    return text


def _pair_for(company: Company, *, match_id: int | None, listing: Listing | None,
              own_listing: Listing | None) -> tuple[Listing, Listing, Listing]:
    """(offer, want, other firm's listing) from a current match id or two listings."""
    if match_id is not None:
        match = matching_selectors.match_get_for_company(company=company, pk=match_id)
        if match is None:
            raise ValidationError({"match": _("No such match among your matches.")})
        other = match.want if match.offer.company_id == company.id else match.offer
        return match.offer, match.want, other
    if listing is None or own_listing is None:
        raise ValidationError(
            _("Give a match, or another firm's listing and one of your own listings.")
        )
    if own_listing.company_id != company.id:
        raise ValidationError({"own_listing": _("Choose one of your own listings.")})
    if listing.company_id == company.id:
        raise ValidationError({"listing": _("Choose another firm's listing.")})
    if listing.kind == own_listing.kind:
        raise ValidationError(
            {"own_listing": _("Pair an offer with a want: choose a listing of the other kind.")}
        )
    if listing.status != Listing.Status.ACTIVE:
        raise ValidationError({"listing": _("This listing is not active.")})
    offer, want = (listing, own_listing) if listing.is_offer else (own_listing, listing)
    return offer, want, listing


@transaction.atomic
def contact_request(
    *, user: User, company: Company, message: str, match_id: int | None = None,
    listing: Listing | None = None, own_listing: Listing | None = None,
    introduced_by: Agency | None = None,
) -> Contact:
    """Ask the other firm of a pair to get in touch; it sees the request anonymously."""
    if not user.email_verified:
        raise ValidationError(_(
            "Verify your e-mail address before contacting other firms: follow the link we "
            "sent to %(email)s, or ask for it again on your company page.")
            % {"email": user.email})
    text = _clean_message(message)
    offer, want, other = _pair_for(company, match_id=match_id, listing=listing,
                                   own_listing=own_listing)
    if is_blocked(company, other.company):
        raise ValidationError(_("You cannot contact this firm."))
    if Contact.objects.filter(offer=offer, want=want, state__in=Contact.OPEN_STATES).exists():
        raise ValidationError(_("There is already an open contact about this pair."))
    try:
        with transaction.atomic():
            contact = Contact.objects.create(
                offer=offer, want=want, requester=company, recipient=other.company,
                requested_by=user, introduced_by=introduced_by,
                expires_at=timezone.now() + timedelta(days=settings.CONTACT_EXPIRY_DAYS),
            )
    except IntegrityError as exc:
        # The partial unique index, when two requests for one pair race.
        raise ValidationError(_("There is already an open contact about this pair.")) from exc
    Message.objects.create(contact=contact, company=company, author=user, body=text)
    _audit(contact, "request", "", user, company)
    notify_other(contact=contact, actor_company_id=company.id, kind=Kind.CONTACT_REQUESTED,
                 template=_("A firm asks to get in touch about your listing “%(title)s”."))
    events.contact_announce(event=events.CONTACT_REQUESTED, contact=contact)
    return contact


@transaction.atomic
def contact_introduce(*, agency: Agency, user: User, offer: Listing, want: Listing,
                      message: str = "") -> Contact:
    """An agency puts the two firms of an (offer, want) pair in touch: a contact request
    to both, naming the agency. Both firms must accept it; until both have, neither
    learns the other's name (the offer's firm is the requester, the want's the
    recipient). The caller (the agency app) checks that ``user`` works for ``agency``."""
    if not offer.is_offer or want.is_offer:
        raise ValidationError(_("Introduce an offer to a want."))
    if offer.company_id == want.company_id:
        raise ValidationError(_("Both listings belong to the same firm."))
    held = {region.pk for region in agency.regions.all()}
    if not held & (site_region_ids(site=offer.site)
                   | site_region_ids(site=want.site)):
        raise PermissionDenied(_("Neither firm of this pair is in the agency's regions."))
    if is_blocked(offer.company, want.company):
        raise ValidationError(_("One of the firms has blocked the other."))
    if Contact.objects.filter(offer=offer, want=want, state__in=Contact.OPEN_STATES).exists():
        raise ValidationError(_("There is already an open contact about this pair."))
    note = (message or "").strip()
    if len(note) > 2000:
        raise ValidationError({"message": _("Keep the introduction under 2000 characters.")})
    try:
        with transaction.atomic():
            contact = Contact.objects.create(
                offer=offer, want=want, requester=offer.company, recipient=want.company,
                requested_by=None, introduced_by=agency, introduction_note=note,
                expires_at=timezone.now() + timedelta(days=settings.CONTACT_EXPIRY_DAYS),
            )
    except IntegrityError as exc:
        raise ValidationError(_("There is already an open contact about this pair.")) from exc
    _audit(contact, "introduce", "", user, None, note=agency.name)
    template = _("%(agency)s introduces you to a firm about your listing “%%(title)s”: "
                 "accept to get in touch.") % {"agency": agency.name}
    notify_other(contact=contact, actor_company_id=None, kind=Kind.CONTACT_REQUESTED,
                 template=template)
    events.contact_announce(event=events.INTRODUCTION_CREATED, contact=contact)
    return contact


def _locked(contact: Contact) -> Contact:
    return Contact.objects.select_for_update().get(pk=contact.pk)


def _refresh(target: Contact, source: Contact) -> Contact:
    target.__dict__.update({k: v for k, v in source.__dict__.items() if not k.startswith("_")})
    return target


@transaction.atomic
def contact_accept(*, contact: Contact, user: User) -> Contact:
    """The recipient agrees to talk: names, sites and contact persons are revealed."""
    company = permissions.require_party(user, contact)
    locked = _locked(contact)
    if not locked.is_introduction and company.id != locked.recipient_id:
        raise PermissionDenied(_("Only the firm that received the request can accept it."))
    if locked.state != Contact.State.REQUESTED:
        raise ValidationError(_("This request is %(state)s and cannot be accepted.")
                              % {"state": locked.get_state_display().lower()})
    if locked.expires_at <= timezone.now():
        raise ValidationError(_("This request has expired."))
    if locked.is_introduction and not _introduction_consent(locked, company, user):
        return _refresh(contact, locked)
    locked.state = Contact.State.ACCEPTED
    locked.accepted_at = timezone.now()
    if locked.accepted_by_id is None:
        locked.accepted_by = user
    locked.save(update_fields=["state", "accepted_at", "accepted_by", "updated_at"])
    FeasibilityItem.objects.bulk_create(
        [FeasibilityItem(contact=locked, key=key) for key in FeasibilityItem.Key.values]
    )
    _audit(locked, "accept", Contact.State.REQUESTED, user, company)
    # Both firms want to talk about the pair: a positive label for the learned ranker.
    label_record(offer_id=locked.offer_id, want_id=locked.want_id,
                 source=MatchLabel.Source.CONTACT_ACCEPTED, company=company, user=user)
    if locked.is_introduction:
        notify_other(contact=locked, actor_company_id=None, kind=Kind.CONTACT_ANSWERED,
                     template=_("Both firms accepted the introduction about “%(title)s”: "
                                "you can now see each other and talk."))
    else:
        notify_other(contact=locked, actor_company_id=company.id, kind=Kind.CONTACT_ANSWERED,
                     template=_("Your request about “%(title)s” was accepted."))
    events.contact_announce(event=events.CONTACT_ACCEPTED, contact=locked)
    return _refresh(contact, locked)


def _introduction_consent(contact: Contact, company: Company, user: User) -> bool:
    """Record one firm's consent to an introduction; True once both firms have given it.

    The firm's accepting user becomes its named contact person (``requested_by`` on the
    requester's side, ``accepted_by`` on the recipient's)."""
    now = timezone.now()
    if company.id == contact.requester_id:
        if contact.requester_accepted_at is None:
            contact.requester_accepted_at, contact.requested_by = now, user
    elif contact.recipient_accepted_at is None:
        contact.recipient_accepted_at, contact.accepted_by = now, user
    contact.save(update_fields=["requester_accepted_at", "recipient_accepted_at",
                                "requested_by", "accepted_by", "updated_at"])
    if contact.requester_accepted_at and contact.recipient_accepted_at:
        return True
    _audit(contact, "consent", Contact.State.REQUESTED, user, company)
    notify_other(contact=contact, actor_company_id=company.id, kind=Kind.CONTACT_ANSWERED,
                 template=_("The other firm accepted the introduction about “%(title)s”; "
                            "accept it too and you will see each other's names."))
    return False


def _close(contact: Contact, *, state: str, action: str, user: User | None,
           company: Company | None, reason: str, note: str = "") -> Contact:
    before = contact.state
    contact.state = state
    contact.stage = Contact.Stage.STOPPED
    contact.stop_reason = reason
    contact.stop_note = note[:500]
    contact.closed_at = timezone.now()
    contact.save(update_fields=["state", "stage", "stop_reason", "stop_note", "closed_at",
                                "updated_at"])
    # Drafts and proposals die with the contact; signed agreements are refused earlier.
    for agreement in Agreement.objects.select_for_update().filter(
        contact=contact, state__in=Agreement.EDITABLE_STATES
    ):
        old = agreement.state
        agreement.state = Agreement.State.WITHDRAWN
        agreement.end_reason = _("The contact was closed.")
        agreement.closed_at = timezone.now()
        agreement.save(update_fields=["state", "end_reason", "closed_at", "updated_at"])
        audit_record(subject=AuditEntry.Subject.AGREEMENT, subject_id=agreement.pk,
                     contact=contact, action="withdraw", from_state=old,
                     to_state=agreement.state, user=user, company=company)
    _audit(contact, action, before, user, company, note)
    return contact


@transaction.atomic
def contact_decline(*, contact: Contact, user: User, note: str = "") -> Contact:
    """The recipient says no (optionally why); the requester never learns who declined."""
    company = permissions.require_party(user, contact)
    locked = _locked(contact)
    if not locked.is_introduction and company.id != locked.recipient_id:
        raise PermissionDenied(_("Only the firm that received the request can decline it."))
    if locked.state != Contact.State.REQUESTED:
        raise ValidationError(_("Only an open request can be declined."))
    _close(locked, state=Contact.State.DECLINED, action="decline", user=user,
           company=company, reason=Contact.StopReason.DECLINED, note=note)
    template = (_("The introduction about “%(title)s” was declined.")
                if locked.is_introduction else _("Your request about “%(title)s” was declined."))
    notify_other(contact=locked, actor_company_id=company.id, kind=Kind.CONTACT_ANSWERED,
                 template=template)
    return _refresh(contact, locked)


@transaction.atomic
def contact_stop(*, contact: Contact, user: User, reason: str, note: str = "") -> Contact:
    """Either firm ends an open contact, with a reason from the list."""
    company = permissions.require_party(user, contact)
    if reason not in Contact.StopReason.values:
        raise ValidationError({"reason": _("Choose a reason from the list.")})
    locked = _locked(contact)
    if locked.state not in Contact.OPEN_STATES:
        raise ValidationError(_("This contact is already closed."))
    if Agreement.objects.filter(
        contact=locked, state__in=[Agreement.State.SIGNED, Agreement.State.ACTIVE]
    ).exists():
        raise ValidationError(_("Terminate the signed agreement first."))
    _close(locked, state=Contact.State.STOPPED, action="stop", user=user, company=company,
           reason=reason, note=note)
    return _refresh(contact, locked)


@transaction.atomic
def company_block(*, blocker: Company, blocked: Company, user: User | None) -> Block:
    """No further requests between the two firms, either way (idempotent)."""
    if blocker.id == blocked.id:
        raise ValidationError(_("A firm cannot block itself."))
    block, created = Block.objects.get_or_create(
        blocker=blocker, blocked=blocked, defaults={"created_by": user}
    )
    if created:
        audit_record(subject=AuditEntry.Subject.BLOCK, subject_id=block.pk, contact=None,
                     action="block", to_state="blocked", user=user, company=blocker)
    return block


@transaction.atomic
def contact_block(*, contact: Contact, user: User) -> Contact:
    """Block the other firm of this contact; a pending request between them is closed."""
    company = permissions.require_party(user, contact)
    other = contact.recipient if company.id == contact.requester_id else contact.requester
    company_block(blocker=company, blocked=other, user=user)
    locked = _locked(contact)
    if locked.state == Contact.State.REQUESTED:
        state = (Contact.State.DECLINED if company.id == locked.recipient_id
                 else Contact.State.STOPPED)
        _close(locked, state=state, action="block", user=user, company=company,
               reason=Contact.StopReason.OTHER, note="")
    return _refresh(contact, locked)


def _notify_expired(contact: Contact) -> None:
    """Both sides hear of it, each told of its own listing only (the request is anonymous)."""
    for company_id, template in (
        (contact.requester_id, _('Your contact request about "%(title)s" expired unanswered.')),
        (contact.recipient_id, _('A contact request about "%(title)s" expired unanswered.')),
    ):
        notify_company(contact=contact, company_id=company_id, kind=Kind.CONTACT_ANSWERED,
                       text=template % {"title": listing_title_for(contact, company_id)})


def contact_expire_due(*, now=None) -> int:
    """Expire requests past their date; safe to run twice or in parallel (a periodic task)."""
    now = now or timezone.now()
    expired = 0
    due = Contact.objects.filter(state=Contact.State.REQUESTED, expires_at__lte=now)
    for pk in due.values_list("pk", flat=True):
        with transaction.atomic():
            contact = (
                Contact.objects.select_for_update(skip_locked=True)
                .filter(pk=pk, state=Contact.State.REQUESTED, expires_at__lte=now).first()
            )
            if contact is None:
                continue
            _close(contact, state=Contact.State.EXPIRED, action="expire", user=None,
                   company=None, reason=Contact.StopReason.EXPIRED)
            _notify_expired(contact)
            expired += 1
    return expired


def _require_conversation(user: User, contact: Contact) -> Company:
    company = permissions.require_party(user, contact)
    if contact.state != Contact.State.ACCEPTED:
        raise ValidationError(_("Messages and files can be exchanged once the request is "
                                "accepted."))
    return company


@transaction.atomic
def message_post(*, contact: Contact, user: User, body: str) -> Message:
    """Add a message to the thread of an accepted contact."""
    company = _require_conversation(user, contact)
    text = (body or "").strip()
    if not text:
        raise ValidationError({"body": _("The message is empty.")})
    if len(text) > MESSAGE_MAX:
        raise ValidationError(
            {"body": _("Keep the message under %(n)d characters.") % {"n": MESSAGE_MAX}}
        )
    message = Message.objects.create(contact=contact, company=company, author=user, body=text)
    Contact.objects.filter(pk=contact.pk).update(updated_at=timezone.now())
    notify_other(contact=contact, actor_company_id=company.id, kind=Kind.MESSAGE,
                 template=_("New message about “%(title)s”."))
    return message


def attachment_check(*, name: str, size: int) -> str:
    """The content type a file is stored as, from its name; ValidationError when the size
    or type is not allowed (settings ATTACHMENT_MAX_BYTES, ATTACHMENT_TYPES)."""
    if size > settings.ATTACHMENT_MAX_BYTES:
        raise ValidationError({"file": _("Files can be at most %(mb).1f MB.")
                               % {"mb": settings.ATTACHMENT_MAX_BYTES / 1024 / 1024}})
    if size == 0:
        raise ValidationError({"file": _("The file is empty.")})
    # The type follows the name, not what the browser claims: the name is what the
    # download will be opened by.
    content_type = mimetypes.guess_type(name)[0] or ""
    if content_type not in settings.ATTACHMENT_TYPES:
        raise ValidationError({"file": _("Files of this type cannot be attached; use PDF, "
                                         "images, text, CSV or Office documents.")})
    return content_type


@transaction.atomic
def attachment_add(*, contact: Contact, user: User, file: UploadedFile,
                   kind: str = Attachment.Kind.OTHER) -> Attachment:
    """Store a file in the thread through Django's storage, under a random name."""
    company = _require_conversation(user, contact)
    if kind not in Attachment.Kind.values:
        raise ValidationError({"kind": _("Choose what kind of document this is.")})
    name = get_valid_filename(file.name or "attachment")[:200] or "attachment"
    content_type = attachment_check(name=name, size=file.size)
    attachment = Attachment(contact=contact, company=company, uploaded_by=user, kind=kind,
                            original_name=name, content_type=content_type, size=file.size)
    attachment.file.save(name, file, save=False)
    try:
        attachment.save()
    except Exception:
        attachment.file.delete(save=False)
        raise
    notify_other(contact=contact, actor_company_id=company.id, kind=Kind.MESSAGE,
                 template=_("New file in the conversation about “%(title)s”."))
    return attachment


def _decimal(value: Any, field: str) -> Decimal | None:
    if value in (None, ""):
        return None
    try:
        return Decimal(str(value))
    except (InvalidOperation, ValueError) as exc:
        raise ValidationError({field: _("Enter a number.")}) from exc


FEASIBILITY_FIELDS = ("done", "legal_status", "permit_reference", "transport_document_reference",
                      "cost_estimate", "currency", "decision", "note")


@transaction.atomic
def feasibility_update(*, contact: Contact, user: User, key: str,
                       data: dict[str, Any]) -> FeasibilityItem:
    """Update one checklist line; the contact enters the feasibility stage."""
    company = _require_conversation(user, contact)
    item = FeasibilityItem.objects.select_for_update().filter(contact=contact, key=key).first()
    if item is None:
        raise ValidationError({"key": _("Unknown checklist item.")})
    unknown = set(data) - set(FEASIBILITY_FIELDS)
    if unknown:
        raise ValidationError({name: _("Not a checklist field.") for name in sorted(unknown)})
    for name, value in data.items():
        if name == "cost_estimate":
            value = _decimal(value, name)
        elif name == "done":
            value = bool(value)
        else:
            value = str(value or "").strip()
        setattr(item, name, value)
    if item.legal_status and item.legal_status not in FeasibilityItem.LegalStatus.values:
        raise ValidationError({"legal_status": _("Choose a legal status from the list.")})
    if item.decision and item.decision not in FeasibilityItem.Decision.values:
        raise ValidationError({"decision": _("Choose go or no go.")})
    if item.key == FeasibilityItem.Key.LEGAL_STATUS and item.legal_status == "waste" and (
        item.done and not (item.permit_reference and item.transport_document_reference)
    ):
        raise ValidationError(_("Material that remains waste needs the receiver's permit "
                                "reference and the transport document reference."))
    if item.cost_estimate is not None and not item.currency:
        raise ValidationError({"currency": _("Give the currency of the estimate.")})
    item.updated_by = user
    item.full_clean(exclude=["contact", "updated_by"])
    item.save()
    if contact.stage == Contact.Stage.CONTACTED:
        contact_set_stage(contact=contact, stage=Contact.Stage.FEASIBILITY, user=user,
                          company=company)
    return item


@transaction.atomic
def listing_disclosure_set(*, listing: Listing, company: Company, visibility: str,
                           quantity_shown: str) -> ListingDisclosure:
    """The owner chooses how much others see of a listing before a contact is accepted."""
    if listing.company_id != company.id:
        raise PermissionDenied(_("Only the listing's firm can change what others see."))
    if visibility not in ListingDisclosure.Visibility.values:
        raise ValidationError({"visibility": _("Choose anonymous or public.")})
    if quantity_shown not in ListingDisclosure.QuantityShown.values:
        raise ValidationError({"quantity_shown": _("Choose exact or a range.")})
    disclosure, _created = ListingDisclosure.objects.update_or_create(
        listing=listing, defaults={"visibility": visibility, "quantity_shown": quantity_shown})
    return disclosure
