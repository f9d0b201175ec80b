"""Writes for agreements: drafts and versions, proposal, signatures, the lifecycle.

Every change locks the agreement row first (``SELECT … FOR UPDATE``), so an edit and a
signature, or two signatures, are applied one after the other: a signature holds only on
the version that is current when it is written, and the second of two signatures on the
same version sees the first.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.models import Company, User
from exchanges import events, permissions
from exchanges.models import Agreement, AgreementVersion, AuditEntry, Contact, Signature
from exchanges.services.audit import audit_record
from exchanges.services.contacts import contact_set_stage
from exchanges.services.notifications import Kind, notify_other
from matching.engine.quantity import canonical_amount
from matching.models import MatchLabel
from matching.services import label_record


def _audit(agreement: Agreement, action: str, before: str, user: User | None,
           company: Company | None, note: str = "") -> None:
    audit_record(subject=AuditEntry.Subject.AGREEMENT, subject_id=agreement.pk,
                 contact=agreement.contact, action=action, from_state=before,
                 to_state=agreement.state, user=user, company=company, note=note)


def _agreement_url(agreement: Agreement) -> str:
    return reverse("exchanges:agreement_detail", args=[agreement.pk])


def agreement_latest_version(agreement: Agreement) -> AgreementVersion | None:
    return agreement.versions.order_by("-number").first()


def _clean_terms(terms: dict[str, Any]) -> AgreementVersion:
    """An unsaved version holding ``terms``, validated by the model's fields and rules."""
    unknown = set(terms) - set(AgreementVersion.TERMS)
    if unknown:
        raise ValidationError({name: _("Not an agreement term.") for name in sorted(unknown)})
    version = AgreementVersion(**terms)
    version.full_clean(exclude=["agreement", "number", "created_by"], validate_unique=False,
                       validate_constraints=False)
    if version.quantity <= 0:
        raise ValidationError({"quantity": _("The quantity must be more than zero.")})
    if version.end_date and version.end_date < version.start_date:
        raise ValidationError({"end_date": _("The end date must not be before the start.")})
    try:
        canonical_amount(quantity=float(version.quantity), unit=version.unit,
                         frequency=version.frequency)
    except ValueError as exc:
        raise ValidationError({"unit": str(exc)}) from exc
    if len(version.currency) != 3 or not version.currency.isalpha():
        raise ValidationError({"currency": _("Use a three-letter currency code such as EUR.")})
    version.currency = version.currency.upper()
    return version


def _locked(agreement: Agreement) -> Agreement:
    locked = Agreement.objects.select_for_update().get(pk=agreement.pk)
    agreement.__dict__.update({k: v for k, v in locked.__dict__.items() if not k.startswith("_")})
    return agreement


def _party(user: User, agreement: Agreement) -> Company:
    return permissions.require_party(user, agreement.contact)


@transaction.atomic
def agreement_create(*, contact: Contact, user: User, terms: dict[str, Any]) -> Agreement:
    """Draft an agreement on an accepted contact; its terms become version 1."""
    company = permissions.require_party(user, contact)
    if contact.state != Contact.State.ACCEPTED:
        raise ValidationError(_("Agreements are drafted once the contact is accepted."))
    version = _clean_terms(terms)
    try:
        with transaction.atomic():
            agreement = Agreement.objects.create(contact=contact, drafted_by=company,
                                                 created_by=user)
    except IntegrityError as exc:
        raise ValidationError(_("This contact already has an open agreement.")) from exc
    version.agreement = agreement
    version.number = 1
    version.created_by = user
    version.save()
    _audit(agreement, "create", "", user, company)
    if contact.stage in (Contact.Stage.CONTACTED, Contact.Stage.FEASIBILITY):
        contact_set_stage(contact=contact, stage=Contact.Stage.AGREEMENT, user=user,
                          company=company)
    return agreement


@transaction.atomic
def agreement_update(*, agreement: Agreement, user: User, terms: dict[str, Any]
                     ) -> tuple[Agreement, AgreementVersion | None]:
    """Apply changed terms: a new version when anything differs, none otherwise.

    Signatures belong to a version, so a new version starts unsigned: any change clears
    them (and an early-activation confirmation)."""
    company = _party(user, agreement)
    _locked(agreement)
    if agreement.state not in Agreement.EDITABLE_STATES:
        raise ValidationError(_("A %(state)s agreement can no longer be edited.")
                              % {"state": agreement.get_state_display().lower()})
    latest = agreement_latest_version(agreement)
    merged = {**latest.terms(), **terms}
    candidate = _clean_terms(merged)
    if candidate.terms() == _clean_terms(latest.terms()).terms():
        return agreement, None
    candidate.agreement = agreement
    candidate.number = latest.number + 1
    candidate.created_by = user
    candidate.save()
    changed = [name for name in AgreementVersion.TERMS
               if getattr(candidate, name) != getattr(latest, name)]
    agreement.activation_confirmed_by = None
    agreement.save(update_fields=["activation_confirmed_by", "updated_at"])
    _audit(agreement, "edit", agreement.state, user, company,
           note=_("version %(n)d: %(fields)s") % {"n": candidate.number,
                                                   "fields": ", ".join(changed)})
    return agreement, candidate


@transaction.atomic
def agreement_propose(*, agreement: Agreement, user: User) -> Agreement:
    """The drafter puts the draft to the other firm."""
    company = _party(user, agreement)
    _locked(agreement)
    if company.id != agreement.drafted_by_id:
        raise PermissionDenied(_("Only the firm that drafted the agreement can propose it."))
    if agreement.state != Agreement.State.DRAFT:
        raise ValidationError(_("Only a draft can be proposed."))
    agreement.state = Agreement.State.PROPOSED
    agreement.proposed_at = timezone.now()
    agreement.save(update_fields=["state", "proposed_at", "updated_at"])
    _audit(agreement, "propose", Agreement.State.DRAFT, user, company)
    notify_other(contact=agreement.contact, actor_company_id=company.id, kind=Kind.AGREEMENT,
                 template=_("An agreement about “%(title)s” was proposed to your firm."),
                 url=_agreement_url(agreement))
    latest = agreement_latest_version(agreement)
    events.agreement_announce(event=events.AGREEMENT_PROPOSED, agreement=agreement,
                              version=latest.number if latest else None,
                              actor_company_id=company.id)
    return agreement


@transaction.atomic
def agreement_sign(*, agreement: Agreement, user: User, version: int) -> Signature:
    """Sign version number ``version`` for the user's firm; both firms on the same version
    make the agreement signed. Only the current version can be signed."""
    company = _party(user, agreement)
    permissions.require_signatory(user, company)
    _locked(agreement)
    if agreement.state != Agreement.State.PROPOSED:
        raise ValidationError(_("Only a proposed agreement can be signed."))
    latest = agreement_latest_version(agreement)
    if latest is None or latest.number != version:
        raise ValidationError({"version": _(
            "Version %(v)s is not the current version (%(current)s): read the changes and "
            "sign the current one.") % {"v": version, "current": latest.number if latest else "-"}})
    if latest.signatures.filter(company=company).exists():
        raise ValidationError(_("Your firm has already signed this version."))
    signature = Signature.objects.create(version=latest, company=company, user=user)
    parties = {agreement.contact.requester_id, agreement.contact.recipient_id}
    signed = set(latest.signatures.values_list("company_id", flat=True))
    before = agreement.state
    if parties <= signed:
        agreement.state = Agreement.State.SIGNED
        agreement.signed_at = timezone.now()
        agreement.save(update_fields=["state", "signed_at", "updated_at"])
        # Both firms signed terms for the pair: the strongest positive label there is.
        contact = agreement.contact
        label_record(offer_id=contact.offer_id, want_id=contact.want_id,
                     source=MatchLabel.Source.AGREEMENT_SIGNED, company=company, user=user)
    _audit(agreement, "sign", before, user, company, note=_("version %(n)d") % {"n": version})
    notify_other(contact=agreement.contact, actor_company_id=company.id, kind=Kind.AGREEMENT,
                 template=(_("The agreement about “%(title)s” is signed by both firms.")
                           if agreement.state == Agreement.State.SIGNED else
                           _("The other firm signed the agreement about “%(title)s”.")),
                 url=_agreement_url(agreement))
    events.agreement_announce(event=events.AGREEMENT_SIGNED, agreement=agreement,
                              version=version, actor_company_id=company.id, signed_by=signed)
    return signature


def _set_active(agreement: Agreement, user: User | None, company: Company | None) -> None:
    before = agreement.state
    agreement.state = Agreement.State.ACTIVE
    agreement.activated_at = timezone.now()
    agreement.save(update_fields=["state", "activated_at", "activation_confirmed_by",
                                  "updated_at"])
    _audit(agreement, "activate", before, user, company)
    notify_other(contact=agreement.contact, actor_company_id=company.id if company else None,
                 kind=Kind.AGREEMENT, url=_agreement_url(agreement),
                 template=_("The agreement about “%(title)s” is now active."))
    contact_set_stage(contact=agreement.contact, stage=Contact.Stage.OPERATING, user=user,
                      company=company)


@transaction.atomic
def agreement_activate(*, agreement: Agreement, user: User) -> Agreement:
    """Confirm the start: active once both firms confirm, or at once on or after the
    start date (the periodic task does that too)."""
    company = _party(user, agreement)
    _locked(agreement)
    if agreement.state != Agreement.State.SIGNED:
        raise ValidationError(_("Only a signed agreement can be activated."))
    latest = agreement_latest_version(agreement)
    other_confirmed = (agreement.activation_confirmed_by_id is not None
                       and agreement.activation_confirmed_by_id != company.id)
    if other_confirmed or latest.start_date <= timezone.localdate():
        _set_active(agreement, user, company)
    elif agreement.activation_confirmed_by_id != company.id:
        agreement.activation_confirmed_by = company
        agreement.save(update_fields=["activation_confirmed_by", "updated_at"])
        _audit(agreement, "confirm-start", agreement.state, user, company)
    return agreement


def _finish(agreement: Agreement, *, state: str, action: str, user: User | None,
            company: Company | None, reason: str = "") -> None:
    before = agreement.state
    agreement.state = state
    agreement.end_reason = reason[:500]
    agreement.closed_at = timezone.now()
    agreement.save(update_fields=["state", "end_reason", "closed_at", "updated_at"])
    _audit(agreement, action, before, user, company, note=reason)


@transaction.atomic
def agreement_complete(*, agreement: Agreement, user: User) -> Agreement:
    """Either firm marks an active agreement as done."""
    company = _party(user, agreement)
    _locked(agreement)
    if agreement.state != Agreement.State.ACTIVE:
        raise ValidationError(_("Only an active agreement can be completed."))
    _finish(agreement, state=Agreement.State.COMPLETED, action="complete", user=user,
            company=company)
    contact_set_stage(contact=agreement.contact, stage=Contact.Stage.COMPLETED, user=user,
                      company=company)
    return agreement


def _reason(reason: str) -> str:
    text = (reason or "").strip()
    if not text:
        raise ValidationError({"reason": _("Give a reason.")})
    return text


@transaction.atomic
def agreement_withdraw(*, agreement: Agreement, user: User, reason: str) -> Agreement:
    """Either firm withdraws a draft or proposal before it is signed."""
    company = _party(user, agreement)
    text = _reason(reason)
    _locked(agreement)
    if agreement.state not in Agreement.EDITABLE_STATES:
        raise ValidationError(_("Only an unsigned agreement can be withdrawn; terminate a "
                                "signed one."))
    _finish(agreement, state=Agreement.State.WITHDRAWN, action="withdraw", user=user,
            company=company, reason=text)
    contact_set_stage(contact=agreement.contact, stage=Contact.Stage.FEASIBILITY, user=user,
                      company=company)
    return agreement


@transaction.atomic
def agreement_terminate(*, agreement: Agreement, user: User, reason: str) -> Agreement:
    """Either firm ends a signed or active agreement early."""
    company = _party(user, agreement)
    text = _reason(reason)
    _locked(agreement)
    if agreement.state not in (Agreement.State.SIGNED, Agreement.State.ACTIVE):
        raise ValidationError(_("Only a signed or active agreement can be terminated."))
    _finish(agreement, state=Agreement.State.TERMINATED, action="terminate", user=user,
            company=company, reason=text)
    contact_set_stage(contact=agreement.contact, stage=Contact.Stage.STOPPED, user=user,
                      company=company, reason=Contact.StopReason.TERMINATED)
    return agreement


def agreement_run_due(*, today: date | None = None) -> tuple[int, int]:
    """Activate signed agreements whose start date came, complete active ones past their
    end date; (activated, completed). Idempotent (a periodic task)."""
    today = today or timezone.localdate()
    activated = completed = 0
    for pk in Agreement.objects.filter(state=Agreement.State.SIGNED).values_list("pk", flat=True):
        with transaction.atomic():
            agreement = Agreement.objects.select_for_update(skip_locked=True).filter(
                pk=pk, state=Agreement.State.SIGNED).first()
            if agreement and agreement_latest_version(agreement).start_date <= today:
                _set_active(agreement, None, None)
                activated += 1
    for pk in Agreement.objects.filter(state=Agreement.State.ACTIVE).values_list("pk", flat=True):
        with transaction.atomic():
            agreement = Agreement.objects.select_for_update(skip_locked=True).filter(
                pk=pk, state=Agreement.State.ACTIVE).first()
            end = agreement and agreement_latest_version(agreement).end_date
            if end and end < today:
                _finish(agreement, state=Agreement.State.COMPLETED, action="complete",
                        user=None, company=None, reason=_("The end date has passed."))
                contact_set_stage(contact=agreement.contact, stage=Contact.Stage.COMPLETED,
                                  user=None, company=None)
                completed += 1
    return activated, completed


def _shared_amount(value: Any, field: str):
    from decimal import Decimal, InvalidOperation

    if value in (None, ""):
        return None
    try:
        amount = Decimal(str(value))
    except (InvalidOperation, ValueError) as exc:
        raise ValidationError({field: _("Enter a number.")}) from exc
    if not amount.is_finite() or abs(amount) >= Decimal("1e12"):
        raise ValidationError({field: _("Enter a number.")})
    return amount.quantize(Decimal("0.01"))


@transaction.atomic
def agreement_costs_share(*, agreement: Agreement, user: User, savings: Any = None,
                          costs: Any = None, currency: str = "EUR") -> Agreement:
    """Either firm records the cost figures both chose to share with the region's agency
    (yearly savings, one-off costs); empty values withdraw a figure. The agreed price is
    never shared this way."""
    company = _party(user, agreement)
    _locked(agreement)
    code = (currency or "EUR").strip().upper()
    if len(code) != 3 or not code.isalpha():
        raise ValidationError({"currency": _("Use a three-letter currency code such as EUR.")})
    agreement.shared_savings = _shared_amount(savings, "savings")
    agreement.shared_costs = _shared_amount(costs, "costs")
    agreement.shared_currency = code
    shared = agreement.shared_savings is not None or agreement.shared_costs is not None
    agreement.shared_by = company if shared else None
    agreement.shared_at = timezone.now() if shared else None
    agreement.save(update_fields=["shared_savings", "shared_costs", "shared_currency",
                                  "shared_by", "shared_at", "updated_at"])
    _audit(agreement, "share-costs" if shared else "unshare-costs", agreement.state, user,
           company)
    return agreement
