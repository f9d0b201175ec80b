"""Seeding for impact tests: active agreements with confirmed deliveries, made through
exchanges' services as two firms would in the portal."""

from __future__ import annotations

import datetime as dt
import math
from dataclasses import dataclass

from exchanges import services
from tests.exchanges.factories import terms
from tests.factories import CompanyFactory, ListingFactory, MembershipFactory, SiteFactory

EARTH_RADIUS_KM = 6371.0088  # IUGG mean radius, as the hand calculations use it


def km_along_meridian(lat1: float, lat2: float) -> float:
    """Hand calculation: two points on one meridian are R × Δφ apart."""
    return EARTH_RADIUS_KM * math.radians(abs(lat2 - lat1))


@dataclass
class Party:
    user: object
    company: object
    site: object


def party(*, name: str, lat: float, lon: float) -> Party:
    company = CompanyFactory(name=name)
    membership = MembershipFactory(company=company)
    site = SiteFactory(company=company, name=f"{name} works", latitude=lat, longitude=lon)
    return Party(user=membership.user, company=company, site=site)


def exchange(*, supplier: Party, receiver: Party, category: str, unit: str, title: str,
             deliveries: list[tuple[dt.date, str]], disputed: list[tuple[dt.date, str]] = (),
             density: float | None = None, ewc_code: str = "100102"):
    """An active agreement from ``supplier``'s offer to ``receiver``'s want, with the given
    deliveries confirmed (and ``disputed`` ones disputed)."""
    offer = ListingFactory(company=supplier.company, site=supplier.site, title=title,
                           category=category, unit=unit, canonical_unit=unit,
                           density_t_per_m3=density, ewc_code=ewc_code)
    want = ListingFactory(company=receiver.company, site=receiver.site, kind="want",
                          title=f"{title} wanted", category=category, unit=unit,
                          canonical_unit=unit, ewc_code=ewc_code)
    contact = services.contact_request(user=receiver.user, company=receiver.company,
                                       listing=offer, own_listing=want,
                                       message="We could use this in our process.")
    services.contact_accept(contact=contact, user=supplier.user)
    today = dt.date.today()
    agreement = services.agreement_create(
        contact=contact, user=receiver.user,
        terms=terms(material=title, unit=unit, start_date=today - dt.timedelta(days=60),
                    end_date=today + dt.timedelta(days=300)))
    services.agreement_propose(agreement=agreement, user=receiver.user)
    services.agreement_sign(agreement=agreement, user=receiver.user, version=1)
    services.agreement_sign(agreement=agreement, user=supplier.user, version=1)
    services.agreement_activate(agreement=agreement, user=supplier.user)
    for day, quantity in deliveries:
        delivery = services.delivery_record(agreement=agreement, user=supplier.user, date=day,
                                            quantity=quantity, unit=unit)
        services.delivery_confirm(delivery=delivery, user=receiver.user)
    for day, quantity in disputed:
        delivery = services.delivery_record(agreement=agreement, user=supplier.user, date=day,
                                            quantity=quantity, unit=unit)
        services.delivery_dispute(delivery=delivery, user=receiver.user, reason="Wet load")
    agreement.refresh_from_db()
    return agreement
