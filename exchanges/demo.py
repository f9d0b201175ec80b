"""Exchanges' demo step: a second firm log-in and contacts at every stage of the pipeline.

Runs after matching's demo step (it needs the region's firms and their matches); the
project's ``load_demo`` calls ``load()``. Everything is written through the services the
portal uses. Idempotent: once the two demo firms have contacts, a second run writes
nothing.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import TYPE_CHECKING, TextIO

from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from accounts.models import Company, Membership, User
from exchanges import services
from exchanges.models import Contact
from matching import selectors as matching_selectors
from symbiosis.demo import DemoReport

if TYPE_CHECKING:  # the type only: matches are read through matching's selectors
    from matching.models import Match

DEMO_PASSWORD = "demo-pass-2026"
FIRM_EMAIL = "demo@firm.example"
PARTNER_EMAIL = "partner@firm.example"
# The stages the demo shows, best-matching pair first.
SCENARIOS = ("active", "proposed", "feasibility", "requested", "received")


@dataclass(frozen=True)
class DemoSummary:
    partner_firm: str
    partner_email: str
    contacts_created: int


def _say(stdout: TextIO | None, text: str) -> None:
    if stdout is not None:
        stdout.write(text + "\n")


def _firm_of(email: str) -> tuple[User, Company] | None:
    membership = (Membership.objects.filter(user__email=email).select_related("user", "company")
                  .order_by("created_at", "id").first())
    return (membership.user, membership.company) if membership else None


def _pair_q(a: Company, b: Company) -> Q:
    return (Q(offer__company=a, want__company=b) | Q(offer__company=b, want__company=a))


def _partner_company(firm: Company) -> Company | None:
    """The firm with the most matches with the demo firm (ties: by name)."""
    counts = matching_selectors.match_partner_counts(company=firm)
    if not counts:
        return None
    ranked = Company.objects.filter(pk__in=counts).exclude(pk=firm.pk).order_by("name")
    return max(ranked, key=lambda c: counts[c.pk], default=None)


def _partner_user(company: Company) -> User:
    user = User.objects.filter(email=PARTNER_EMAIL).first()
    if user is None:
        user = User.objects.create_user(PARTNER_EMAIL, DEMO_PASSWORD, full_name="Pia Partner")
    Membership.objects.get_or_create(user=user, company=company,
                                     defaults={"role": Membership.Role.OWNER})
    return user


def _terms(match: Match) -> dict:
    today = timezone.localdate()
    want = match.want
    return {
        "material": match.offer.title[:200], "quantity": want.quantity or 100,
        "unit": want.unit or "t", "frequency": want.frequency or "yearly",
        "price_per_unit": "-8.00", "currency": "EUR",
        "start_date": today - dt.timedelta(days=30), "end_date": today + dt.timedelta(days=335),
        "transport_by": "supplier",
        "quality_specification": "As in the specification sheet exchanged in the thread.",
        "legal_status": "by-product", "notes": "",
    }


def _play(scenario: str, match: Match, firm: tuple[User, Company],
          partner: tuple[User, Company]) -> None:
    """Take one pair to the scenario's stage, both firms acting as in the portal."""
    firm_user, partner_user = firm[0], partner[0]
    asker, answerer = (firm, partner) if scenario == "received" else (partner, firm)
    contact = services.contact_request(
        user=asker[0], company=asker[1], match_id=match.pk,
        message="Hello, your listing fits ours well. Could we talk about quantities "
                "and quality?")
    if scenario in ("requested", "received"):
        return
    services.contact_accept(contact=contact, user=answerer[0])
    services.message_post(contact=contact, user=answerer[0],
                          body="Gladly. I will send our specification sheet this week.")
    services.feasibility_update(contact=contact, user=answerer[0], key="specification",
                                data={"done": True, "note": "Sheet sent by e-mail."})
    if scenario == "feasibility":
        return
    agreement = services.agreement_create(contact=contact, user=partner_user,
                                          terms=_terms(match))
    services.agreement_update(agreement=agreement, user=firm_user,
                              terms={"price_per_unit": "-6.50"})
    services.agreement_propose(agreement=agreement, user=partner_user)
    services.agreement_sign(agreement=agreement, user=partner_user, version=2)
    if scenario == "proposed":
        return
    services.agreement_sign(agreement=agreement, user=firm_user, version=2)
    services.agreement_activate(agreement=agreement, user=firm_user)
    unit = agreement.versions.get(number=2).unit
    unit = {"MW": "MWh", "kW": "kWh"}.get(unit, unit)  # a power rate delivers energy
    first = services.delivery_record(agreement=agreement, user=firm_user,
                                     date=timezone.localdate() - dt.timedelta(days=14),
                                     quantity="25", unit=unit)
    services.delivery_confirm(delivery=first, user=partner_user)
    services.delivery_record(agreement=agreement, user=firm_user,
                             date=timezone.localdate() - dt.timedelta(days=2),
                             quantity="30", unit=unit, note="Second load")


def load(*, stdout: TextIO | None = None) -> DemoSummary | None:
    """Add the partner log-in and the demo contacts; None when matching's demo is absent."""
    firm = _firm_of(FIRM_EMAIL)
    if firm is None:
        _say(stdout, "Exchanges demo skipped: load the matching demo first.")
        return None
    with transaction.atomic():
        existing = _firm_of(PARTNER_EMAIL)
        company = existing[1] if existing else _partner_company(firm[1])
        if company is None:
            _say(stdout, "Exchanges demo skipped: the demo firm has no matches.")
            return None
        partner = (_partner_user(company), company)
        pairs = list(matching_selectors.match_list_between(company=firm[1], other=company))
        created = 0
        # Keyed on the two firms: once they have contacts, the demo is in place.
        if not Contact.objects.filter(_pair_q(firm[1], company)).exists():
            for scenario, match in zip(SCENARIOS, pairs, strict=False):
                _play(scenario, match, firm, partner)
                created += 1
    _say(stdout, f"Exchanges demo: {PARTNER_EMAIL} works for {company.name}; "
                 f"{created} contacts created.")
    return DemoSummary(partner_firm=company.name, partner_email=PARTNER_EMAIL,
                       contacts_created=created)


def demo_step(*, stdout: TextIO | None = None) -> DemoReport:
    """Exchanges' step of ``manage.py load_demo`` (``symbiosis.demo``), after matching's."""
    summary = load(stdout=None)
    if summary is None:
        return DemoReport(app="exchanges", headline="Exchanges demo skipped (no demo matches).")
    return DemoReport(
        app="exchanges",
        headline=f"Exchanges demo: {summary.contacts_created} contacts created.",
        lines=(
            f"  Second firm log-in: {summary.partner_email} ({summary.partner_firm}), "
            "the same password; open /exchanges/pipeline/ as either firm.",
        ),
        created=summary.contacts_created,
    )
