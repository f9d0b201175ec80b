"""What happened in exchanges, announced for the apps above it: integrations turns each
into webhook deliveries (integrations.subscribers); exchanges never imports it.

One signal, ``company_event``, carries every event a firm may be told of: receivers get
``event`` (its name, e.g. ``contact.requested``), ``company_id`` (the firm told) and
``data`` (what that firm may see of it, already following the disclosure rules). Each
firm of the pair gets its own announcement, from its own side (``role``). The data is
built while the change is made and sent once the transaction commits; a failing
receiver is logged, never raised.

Disclosure (exchanges.visibility): before a contact is accepted the other firm is a
sector and an area and its quantity is as its owner chose to show it; from acceptance on
its name shows. Agreement and delivery events come after acceptance; they carry ids and
states, never prices or terms (the client reads those through the API, as a party).

An agency's introduction is a contact made here (``contact_introduce``), so it is
announced here too: ``introduction.created`` to both firms, naming the agency and, as
any contact before both firms accept, not the other firm. A higher app with events of
its own sends them through the same signal (``company_event_announce``) and integrations
adds their names to ``WebhookEndpoint.Event``.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from typing import Any

from django.db import transaction
from django.dispatch import Signal

from exchanges.models import Agreement, Contact, Delivery
from exchanges.visibility import area_name, sector_name

logger = logging.getLogger(__name__)

CONTACT_REQUESTED = "contact.requested"
CONTACT_ACCEPTED = "contact.accepted"
AGREEMENT_PROPOSED = "agreement.proposed"
AGREEMENT_SIGNED = "agreement.signed"
DELIVERY_RECORDED = "delivery.recorded"
INTRODUCTION_CREATED = "introduction.created"
EVENTS = (CONTACT_REQUESTED, CONTACT_ACCEPTED, AGREEMENT_PROPOSED, AGREEMENT_SIGNED,
          DELIVERY_RECORDED, INTRODUCTION_CREATED)

company_event = Signal()


def _send(event: str, notices: list[tuple[int, dict[str, Any]]]) -> None:
    for company_id, data in notices:
        for receiver, result in company_event.send_robust(
                sender=None, event=event, company_id=company_id, data=data):
            if isinstance(result, Exception):
                logger.error("Receiver %r of exchanges event %s failed", receiver, event,
                             exc_info=result)


def company_event_announce(*, event: str,
                           notices: Iterable[tuple[int, dict[str, Any]]]) -> None:
    """Announce, on commit, ``event`` to each (company id, data) of ``notices``."""
    notices = list(notices)
    if notices and company_event.receivers:
        transaction.on_commit(lambda: _send(event, notices))


# --- what each firm is told -------------------------------------------------------------


def _listing_ref(listing) -> dict[str, Any]:
    return {"id": listing.pk, "external_id": listing.external_id or None}


def _contact_side(contact: Contact, company_id: int) -> dict[str, Any]:
    """The contact from one firm's side: its own listing in full reference, the other one
    by id, and the other firm as much as the contact's state reveals."""
    own, other = ((contact.offer, contact.want) if contact.offer.company_id == company_id
                  else (contact.want, contact.offer))
    counterpart: dict[str, Any] = {
        "listing_id": other.pk,
        "sector": sector_name(other.company),
        "area": area_name(other.site, other.company),
        "company": other.company.name if contact.is_accepted else None,
    }
    return {
        "contact_id": contact.pk,
        "state": contact.state,
        "stage": contact.stage,
        "role": "requester" if company_id == contact.requester_id else "recipient",
        "introduced_by": contact.introduced_by.name if contact.introduced_by_id else None,
        "listing": _listing_ref(own),
        "counterpart": counterpart,
    }


def _parties(contact: Contact) -> tuple[int, int]:
    return contact.requester_id, contact.recipient_id


def contact_announce(*, event: str, contact: Contact) -> None:
    """``contact.requested`` / ``contact.accepted`` to both firms of the contact."""
    company_event_announce(event=event, notices=[
        (company_id, _contact_side(contact, company_id)) for company_id in _parties(contact)
    ])


def agreement_announce(*, event: str, agreement: Agreement, version: int | None,
                       actor_company_id: int, signed_by: Iterable[int] = ()) -> None:
    """``agreement.proposed`` / ``agreement.signed`` to both firms: ids, state, the
    version and who acted; the terms are read through the API."""
    contact = agreement.contact
    signed = set(signed_by)
    notices = []
    for company_id in _parties(contact):
        data = {
            "agreement_id": agreement.pk,
            "contact_id": contact.pk,
            "state": agreement.state,
            "version": version,
            "by": "you" if company_id == actor_company_id else "other_firm",
            "listing": _listing_ref(contact.offer if contact.offer.company_id == company_id
                                    else contact.want),
        }
        if event == AGREEMENT_SIGNED:
            data["signed_by_you"] = company_id in signed
            data["signed_by_other_firm"] = bool(signed - {company_id})
        notices.append((company_id, data))
    company_event_announce(event=event, notices=notices)


def delivery_announce(*, delivery: Delivery) -> None:
    """``delivery.recorded`` to both firms (after acceptance: exact amounts are theirs)."""
    agreement = delivery.agreement
    notices = []
    for company_id in _parties(agreement.contact):
        notices.append((company_id, {
            "delivery_id": delivery.pk,
            "agreement_id": agreement.pk,
            "contact_id": agreement.contact_id,
            "date": delivery.date.isoformat(),
            "quantity": str(delivery.quantity),
            "unit": delivery.unit,
            "state": delivery.state,
            "by": "you" if company_id == delivery.company_id else "other_firm",
        }))
    company_event_announce(event=DELIVERY_RECORDED, notices=notices)
