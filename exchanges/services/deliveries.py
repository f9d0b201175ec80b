"""Writes for deliveries: one party records what moved, the other confirms or disputes."""

from __future__ import annotations

from datetime import date
from decimal import Decimal, InvalidOperation

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.urls import reverse
from django.utils.translation import gettext as _

from accounts.models import User
from exchanges import events, permissions
from exchanges.models import Agreement, AuditEntry, Delivery
from exchanges.services.agreements import agreement_latest_version
from exchanges.services.audit import audit_record
from exchanges.services.notifications import Kind, notify_other
from matching.engine.quantity import UNITS, canonical_amount


def _dimension(unit: str) -> str:
    return UNITS[unit][0] if unit in UNITS else ""


@transaction.atomic
def delivery_record(*, agreement: Agreement, user: User, date: date, quantity,
                    unit: str, note: str = "") -> Delivery:
    """Record a delivery against an active agreement, in a unit of the agreed kind."""
    company = permissions.require_party(user, agreement.contact)
    agreement = Agreement.objects.select_for_update().get(pk=agreement.pk)
    if agreement.state != Agreement.State.ACTIVE:
        raise ValidationError(_("Deliveries are recorded against an active agreement."))
    try:
        amount = Decimal(str(quantity))
    except (InvalidOperation, ValueError) as exc:
        raise ValidationError({"quantity": _("Enter a number.")}) from exc
    if not amount.is_finite() or amount <= 0:
        raise ValidationError({"quantity": _("The quantity must be more than zero.")})
    agreed = agreement_latest_version(agreement)
    if unit not in UNITS or _dimension(unit) == "power":
        raise ValidationError({"unit": _("Give the delivered amount in a unit of mass, volume, "
                                         "energy or pieces.")})
    agreed_dimension = _dimension(agreed.unit)
    if agreed_dimension == "power":
        agreed_dimension = "energy"
    if _dimension(unit) != agreed_dimension:
        raise ValidationError({"unit": _("Use a unit of the same kind as the agreed %(unit)s.")
                               % {"unit": agreed.unit}})
    canonical, canonical_unit = canonical_amount(quantity=float(amount), unit=unit,
                                                 frequency="one-off")
    delivery = Delivery(agreement=agreement, company=company, recorded_by=user, date=date,
                        quantity=amount, unit=unit, note=(note or "")[:500],
                        canonical_quantity=canonical, canonical_unit=canonical_unit)
    delivery.full_clean(exclude=["agreement", "company", "recorded_by"])
    delivery.save()
    audit_record(subject=AuditEntry.Subject.DELIVERY, subject_id=delivery.pk,
                 contact=agreement.contact, action="record", to_state=delivery.state,
                 user=user, company=company)
    notify_other(contact=agreement.contact, actor_company_id=company.id, kind=Kind.DELIVERY,
                 url=reverse("exchanges:agreement_detail", args=[agreement.pk]),
                 template=_("A delivery under the agreement about “%(title)s” was recorded: "
                            "please confirm or dispute it."))
    events.delivery_announce(delivery=delivery)
    return delivery


def _decide(delivery: Delivery, user: User, state: str, reason: str = "") -> Delivery:
    company = permissions.require_party(user, delivery.agreement.contact)
    locked = Delivery.objects.select_for_update().get(pk=delivery.pk)
    if company.id == locked.company_id:
        raise PermissionDenied(_("The other firm confirms or disputes a delivery you "
                                 "recorded."))
    if locked.state != Delivery.State.RECORDED:
        raise ValidationError(_("This delivery is already %(state)s.")
                              % {"state": locked.get_state_display().lower()})
    locked.state = state
    locked.decided_by = user
    locked.dispute_reason = reason[:500]
    locked.save(update_fields=["state", "decided_by", "dispute_reason", "updated_at"])
    audit_record(subject=AuditEntry.Subject.DELIVERY, subject_id=locked.pk,
                 contact=delivery.agreement.contact, action=state,
                 from_state=Delivery.State.RECORDED, to_state=state, user=user,
                 company=company, note=reason)
    notify_other(contact=delivery.agreement.contact, actor_company_id=company.id,
                 kind=Kind.DELIVERY,
                 url=reverse("exchanges:agreement_detail", args=[delivery.agreement_id]),
                 template=_("A delivery you recorded under the agreement about “%(title)s” was "
                            "%(state)s.").replace("%(state)s", str(locked.get_state_display()
                                                                    ).lower()))
    delivery.__dict__.update({k: v for k, v in locked.__dict__.items() if not k.startswith("_")})
    return delivery


@transaction.atomic
def delivery_confirm(*, delivery: Delivery, user: User) -> Delivery:
    """The other firm agrees the delivery happened as recorded."""
    return _decide(delivery, user, Delivery.State.CONFIRMED)


@transaction.atomic
def delivery_dispute(*, delivery: Delivery, user: User, reason: str) -> Delivery:
    """The other firm disputes the delivery, saying why."""
    text = (reason or "").strip()
    if not text:
        raise ValidationError({"reason": _("Say what is wrong with this delivery.")})
    return _decide(delivery, user, Delivery.State.DISPUTED, text)
