"""The agency demo's impact part: active agreements with confirmed deliveries in the demo
region, so the dashboard, reports and map have something to show.

Built through exchanges' services as two firms would in the portal (request, accept,
agree, sign, start, deliver, confirm). Each firm acts through a demo log-in of its own
(``impact+<company id>@firm.example``, the demo password). Idempotent: once a demo
delivery exists, a second run writes nothing.
"""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING, TextIO

from django.db import transaction
from django.utils import timezone

from accounts.models import Agency, Company, Membership, User
from exchanges import selectors as exchanges_selectors
from exchanges import services as exchanges_services
from matching import selectors as matching_selectors

if TYPE_CHECKING:
    from matching.models import Match

DEMO_PASSWORD = "demo-pass-2026"
REVIEWER_EMAIL = "reviewer@agency.example"
NOTE = "Demo delivery (agency impact)"
# Agreements per canonical unit, best-scoring pairs first.
QUOTA = {"t": 4, "MWh": 2, "m3": 1}
# (days before today, share of the agreed yearly amount) of the confirmed deliveries.
DELIVERIES = ((75, 0.05), (45, 0.06), (15, 0.04))


def _user_for(company: Company) -> User:
    """An owner of the firm: an existing one, or the firm's demo log-in."""
    membership = (Membership.objects.filter(company=company, role=Membership.Role.OWNER)
                  .select_related("user").order_by("id").first())
    if membership is not None:
        return membership.user
    email = f"impact+{company.pk}@firm.example"
    user = User.objects.filter(email=email).first() or User.objects.create_user(
        email, DEMO_PASSWORD, full_name=f"{company.name} (demo)")
    Membership.objects.get_or_create(user=user, company=company,
                                     defaults={"role": Membership.Role.OWNER})
    return user


def _unit(match: Match) -> str:
    return {"MW": "MWh", "kW": "MWh"}.get(match.offer.unit, match.offer.canonical_unit or "")


def _pairs(agency: Agency) -> list[Match]:
    """Best pairs of the region per unit quota, each firm pair once, no open contact yet."""
    chosen: list[Match] = []
    left = dict(QUOTA)
    seen: set[tuple[int, int]] = set()
    matches = (matching_selectors.match_list_in_regions(regions=agency.regions.all())
               .select_related("offer__company", "want__company", "offer__site", "want__site")
               .order_by("-score", "id"))
    for match in matches[:400]:
        unit = _unit(match)
        firms = (match.offer.company_id, match.want.company_id)
        if left.get(unit, 0) <= 0 or firms in seen or firms[0] == firms[1]:
            continue
        if exchanges_selectors.contact_open_for_pair(offer=match.offer, want=match.want):
            continue
        seen.add(firms)
        left[unit] -= 1
        chosen.append(match)
        if not any(left.values()):
            break
    return chosen


def _play(match: Match, today: dt.date) -> None:
    supplier, receiver = match.offer.company, match.want.company
    supplier_user, receiver_user = _user_for(supplier), _user_for(receiver)
    unit = _unit(match)
    per_year = match.offer.amount_per_year or match.want.amount_per_year or 1000.0
    if match.want.amount_per_year:
        per_year = min(per_year, match.want.amount_per_year)
    contact = exchanges_services.contact_request(
        user=receiver_user, company=receiver, match_id=match.pk,
        message="We would like to take this stream; can we discuss quality and logistics?")
    exchanges_services.contact_accept(contact=contact, user=supplier_user)
    year_start = today.replace(month=1, day=1)
    agreement = exchanges_services.agreement_create(contact=contact, user=receiver_user, terms={
        "material": match.offer.title[:200], "quantity": f"{per_year:.3f}", "unit": unit,
        "frequency": "yearly", "price_per_unit": None, "currency": "EUR",
        "start_date": max(year_start, today - dt.timedelta(days=90)),
        "end_date": today + dt.timedelta(days=275), "transport_by": "supplier",
        "quality_specification": "As in the specification sheet exchanged in the thread.",
        "legal_status": "by-product", "notes": "",
    })
    exchanges_services.agreement_propose(agreement=agreement, user=receiver_user)
    exchanges_services.agreement_sign(agreement=agreement, user=receiver_user, version=1)
    exchanges_services.agreement_sign(agreement=agreement, user=supplier_user, version=1)
    exchanges_services.agreement_activate(agreement=agreement, user=supplier_user)
    for days, share in DELIVERIES:
        delivery = exchanges_services.delivery_record(
            agreement=agreement, user=supplier_user,
            date=max(year_start, today - dt.timedelta(days=days)),
            quantity=f"{max(per_year * share, 1.0):.3f}", unit=unit, note=NOTE)
        exchanges_services.delivery_confirm(delivery=delivery, user=receiver_user)
    if unit == "t":
        exchanges_services.agreement_costs_share(
            agreement=agreement, user=receiver_user,
            savings=f"{round(per_year * 0.4 * 25, -2):.0f}", costs="15000", currency="EUR")


def impact_part(*, stdout: TextIO | None = None) -> tuple[str, ...]:
    """Active agreements with confirmed deliveries in the demo agency's region."""
    agency = Agency.objects.filter(memberships__user__email=REVIEWER_EMAIL).first()
    if agency is None:
        return ("  Impact demo skipped: no demo agency (load the matching demo first).",)
    regions = agency.regions.all()
    existing = exchanges_selectors.agreement_list_in_regions(regions=regions).filter(
        deliveries__note=NOTE).distinct()
    if existing.exists():
        count = existing.count()
        return (f"  Impact demo in place: {count} agreements with confirmed deliveries; "
                "open /agency/dashboard/ as the reviewer.",)
    today = timezone.localdate()
    made = 0
    with transaction.atomic():
        for match in _pairs(agency):
            _play(match, today)
            made += 1
    if stdout is not None:
        stdout.write(f"Impact demo: {made} active agreements with deliveries.\n")
    return (f"  Impact demo: {made} active agreements with confirmed deliveries in "
            f"{', '.join(r.name for r in regions)}; open /agency/dashboard/ as the reviewer.",)
