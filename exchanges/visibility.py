"""What a viewer may see of another firm's listing, a pair and a contact: the one place.

The disclosure rules (../shared/DESIGN.md, "Disclosure"): before a contact on the pair is
accepted, a counterpart is a sector (NACE division) and an area (the town, or the region
where fewer than three firms of that division are in the town); distances come from sites
snapped to a 2 km grid, in bands of 5 km below 50 km and 10 km above; score, components
and coverage are rounded to 0.05; the quantity is exact or banded as the owner chose.
After acceptance the two parties see names, sites and the named contact persons. Region
agency staff see the parties and the stage, never messages, attachments or prices.
Pages, the API and anything else that shows these go through the functions here.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass, field
from decimal import Decimal

from django.utils.translation import gettext as _

from accounts.models import Company, Region, Site
from matching import catalogue, selectors
from matching.engine import UNITS, canonical_amount, format_amount
from matching.engine.geo import haversine_km
from matching.models import Listing, Match

GRID_KM = 2.0
KM_PER_DEGREE = 111.32
SMALL_PLACE_FIRMS = 3
ROUND_TO = 0.05


# --- coarsening ------------------------------------------------------------------------


def snap(lat: float, lon: float) -> tuple[float, float]:
    """The centre of the 2 km grid cell holding a point (longitude cells widen with it)."""
    lat_step = GRID_KM / KM_PER_DEGREE
    row = math.floor(lat / lat_step)
    centre_lat = (row + 0.5) * lat_step
    lon_step = GRID_KM / (KM_PER_DEGREE * max(math.cos(math.radians(centre_lat)), 0.01))
    col = math.floor(lon / lon_step)
    return centre_lat, (col + 0.5) * lon_step


def snapped_distance_km(a: Site, b: Site) -> float:
    """Distance between two sites after snapping: what banding and range checks use."""
    return haversine_km(*snap(a.latitude, a.longitude), *snap(b.latitude, b.longitude))


def distance_band(km: float) -> tuple[int, int]:
    """(low, high) km: 5 km bands below 50 km, 10 km bands above."""
    if km < 50:
        low = int(km // 5) * 5
        return low, low + 5
    low = int(km // 10) * 10
    return low, low + 10


def band_label(band: tuple[int, int]) -> str:
    return f"{band[0]}–{band[1]} km"


def rounded(value: float | None) -> float | None:
    """Rounded to the nearest 0.05 (the precision a counterpart's figures are shown in)."""
    if value is None or not isinstance(value, int | float) or isinstance(value, bool):
        return None
    if math.isnan(value):
        return None
    return round(round(float(value) / ROUND_TO) * ROUND_TO, 2)


_BANDS = (1, 2.5, 5)


def quantity_band(amount: float) -> tuple[float, float]:
    """A 1–2.5–5 band holding ``amount`` (e.g. 1,000–2,500)."""
    if amount <= 0:
        return 0.0, 0.0
    power = 10 ** math.floor(math.log10(amount))
    for low, high in zip(_BANDS, (*_BANDS[1:], 10), strict=True):
        if amount < high * power:
            return low * power, high * power
    return 10 * power, 25 * power  # pragma: no cover - the loop always returns


def _number(value: float) -> str:
    return f"{value:,.3f}".rstrip("0").rstrip(".")


def quantity_text(listing: Listing, *, exact: bool) -> str:
    """The listing's quantity as a counterpart may read it."""
    if listing.quantity is None:
        return ""
    frequency = listing.get_frequency_display().lower()
    unit = UNITS[listing.unit][2] if listing.unit in UNITS else listing.unit
    if exact:
        return f"{_number(float(listing.quantity))} {unit}, {frequency}"
    low, high = quantity_band(float(listing.quantity))
    return f"{_number(low)}–{_number(high)} {unit}, {frequency}"


def _division(nace: str) -> str:
    return (nace or "")[:2]


def sector_name(company: Company) -> str:
    division = _division(company.nace_code)
    if not division:
        return ""
    return selectors.nace_title(division)


def area_name(site: Site, company: Company) -> str:
    """The town, or the region (else the country) where the town has fewer than three
    firms of the company's NACE division: one firm of a kind in a town names itself."""
    division = _division(company.nace_code)
    firms = (
        Site.objects.filter(city__iexact=site.city, country=site.country,
                            company__nace_code__startswith=division)
        .values("company").distinct().count()
        if division else 0
    )
    if firms >= SMALL_PLACE_FIRMS:
        return site.city
    for region in Region.objects.filter(country=site.country):
        if region.contains(site.latitude, site.longitude):
            return region.name
    return site.country


_DISTANCE_IN_TEXT = re.compile(r"(?<=, )\d[\d,]*(?:\.\d)? km(?=,|$)")
_COVERAGE_IN_TEXT = re.compile(r"covers (\d+)% of the need")


def explanation_text(explanation: str, band: tuple[int, int]) -> str:
    """The engine's one-line explanation with the exact distance and share coarsened."""
    text = _DISTANCE_IN_TEXT.sub(band_label(band), explanation)

    def coverage(m: re.Match) -> str:
        share = rounded(int(m.group(1)) / 100)
        return f"covers about {round(share * 100)}% of the need"

    return _COVERAGE_IN_TEXT.sub(coverage, text)


# --- what a viewer sees ------------------------------------------------------------------


def _disclosure(listing: Listing) -> tuple[bool, bool]:
    """(public, exact quantity) as the owner chose; defaults when never set."""
    from exchanges.models import ListingDisclosure

    try:
        d = listing.disclosure
    except ListingDisclosure.DoesNotExist:
        return False, True
    return (d.visibility == ListingDisclosure.Visibility.PUBLIC,
            d.quantity_shown == ListingDisclosure.QuantityShown.EXACT)


@dataclass(frozen=True)
class Person:
    name: str
    email: str


@dataclass(frozen=True)
class ListingView:
    """A listing as one viewer may see it. ``company_name``/``site`` are empty when hidden."""

    id: int
    kind: str
    title: str
    description: str
    category: str
    ewc_code: str
    quantity: str
    sector: str
    area: str
    max_distance_km: float
    own: bool
    disclosed: bool
    company_name: str = ""
    site_name: str = ""
    address: str = ""
    contact_persons: tuple[Person, ...] = field(default_factory=tuple)

    def as_dict(self) -> dict:
        data = {
            "id": self.id, "kind": self.kind, "title": self.title,
            "description": self.description, "category": self.category,
            "ewc_code": self.ewc_code, "quantity": self.quantity, "sector": self.sector,
            "area": self.area, "max_distance_km": self.max_distance_km,
            "company": self.company_name or None,
        }
        if self.site_name:
            data["site"] = {"name": self.site_name, "address": self.address}
        if self.contact_persons:
            data["contact_persons"] = [
                {"name": p.name, "email": p.email} for p in self.contact_persons
            ]
        return data


def listing_view(
    listing: Listing, *, viewer: Company | None, disclosed: bool = False,
    persons: tuple[Person, ...] = (),
) -> ListingView:
    """``listing`` as ``viewer`` may see it; ``disclosed``: an accepted contact joins them."""
    own = viewer is not None and listing.company_id == viewer.id
    public, exact = _disclosure(listing)
    revealed = own or disclosed
    kb = catalogue.knowledge()
    site = listing.site
    return ListingView(
        id=listing.id,
        kind=listing.kind,
        title=listing.title,
        description=listing.description,
        category=kb.category_name(listing.category) if listing.category else "",
        ewc_code=catalogue.ewc_display(listing.ewc_code),
        quantity=quantity_text(listing, exact=exact or revealed),
        sector=sector_name(listing.company),
        area=site.city if revealed or public else area_name(site, listing.company),
        max_distance_km=listing.max_distance_km,
        own=own,
        disclosed=revealed,
        company_name=listing.company.name if revealed or public else "",
        site_name=site.name if revealed else "",
        address=", ".join(p for p in (site.address, site.city) if p) if revealed else "",
        contact_persons=persons if disclosed else (),
    )


def range_text(km: float, band: tuple[int, int], mine: Listing, theirs: Listing) -> str:
    """e.g. "40–45 km: beyond your 20 km, within their 50 km delivery range"."""

    def judge(listing: Listing, whose: str) -> str:
        limit = _number(listing.max_distance_km)
        verb = _("delivery") if listing.is_offer else _("collection")
        if km <= listing.max_distance_km:
            return _("within %(whose)s %(km)s km %(verb)s range") % {
                "whose": whose, "km": limit, "verb": verb}
        return _("beyond %(whose)s %(km)s km") % {"whose": whose, "km": limit}

    return f"{band_label(band)}: {judge(mine, _('your'))}, {judge(theirs, _('their'))}"


@dataclass(frozen=True)
class PairView:
    """An (offer, want) pair from one party's side: mine, theirs, and what joins them."""

    mine: ListingView
    theirs: ListingView
    band: tuple[int, int]
    distance: str
    range: str
    score: float | None
    components: dict[str, float]
    coverage: float | None
    explanation: str

    def as_dict(self) -> dict:
        return {
            "mine": self.mine.as_dict(), "theirs": self.theirs.as_dict(),
            "distance_band_km": list(self.band), "range": self.range,
            "score": self.score, "components": self.components, "coverage": self.coverage,
            "explanation": self.explanation,
        }


def pair_view(
    *, offer: Listing, want: Listing, viewer: Company, match: Match | None = None,
    disclosed: bool = False, persons: dict[int, tuple[Person, ...]] | None = None,
) -> PairView:
    """The pair as ``viewer`` (a party to it) may see it; ``match`` adds score and reasons."""
    mine, theirs = (offer, want) if offer.company_id == viewer.id else (want, offer)
    persons = persons or {}
    km = snapped_distance_km(offer.site, want.site)
    band = distance_band(km)
    components: dict[str, float] = {}
    if match is not None:
        for key, value in (match.components or {}).items():
            value = rounded(value)
            if value is not None:
                components[key] = value
    return PairView(
        mine=listing_view(mine, viewer=viewer),
        theirs=listing_view(theirs, viewer=viewer, disclosed=disclosed,
                            persons=persons.get(theirs.company_id, ())),
        band=band,
        distance=band_label(band),
        range=range_text(km, band, mine, theirs),
        score=rounded(match.score) if match is not None else None,
        components=components,
        coverage=components.get("quantity"),
        explanation=explanation_text(match.explanation, band) if match is not None else "",
    )


def contact_persons(contact) -> dict[int, tuple[Person, ...]]:
    """Each firm's named contact person on a contact (requester and acceptor)."""
    out: dict[int, tuple[Person, ...]] = {}
    for company_id, user in ((contact.requester_id, contact.requested_by),
                             (contact.recipient_id, contact.accepted_by)):
        if user is not None:
            out[company_id] = (Person(name=user.get_full_name(), email=user.email),)
    return out


def contact_view(contact, *, viewer: Company | None, agency: bool = False) -> dict:
    """A contact as a party (pair, state, stage, names once accepted) or as region agency
    staff (parties and stage, nothing of the conversation) may see it."""
    base = {
        "id": contact.id,
        "state": contact.state,
        "stage": contact.stage,
        "stop_reason": contact.stop_reason,
        "created_at": contact.created_at,
        "updated_at": contact.updated_at,
    }
    if agency:
        base["parties"] = {
            "requester": contact.requester.name, "recipient": contact.recipient.name,
        }
        base["offer"] = {"id": contact.offer_id, "title": contact.offer.title}
        base["want"] = {"id": contact.want_id, "title": contact.want.title}
        return base
    pair = pair_view(offer=contact.offer, want=contact.want, viewer=viewer,
                     disclosed=contact.is_accepted, persons=contact_persons(contact))
    base.update({
        "role": "requester" if viewer.id == contact.requester_id else "recipient",
        "expires_at": contact.expires_at if contact.state == "requested" else None,
        "counterpart": pair.theirs.company_name or None,
        "pair": pair.as_dict(),
    })
    return base


def money_visible(role) -> bool:
    """Prices and cost estimates are the parties' only."""
    from exchanges.permissions import Role

    return role is Role.PARTY


def canonical_text(amount: float, unit: str) -> str:
    return format_amount(amount, unit)


def canonical(quantity: Decimal | float, unit: str, frequency: str = "one-off"
              ) -> tuple[float, str]:
    return canonical_amount(quantity=float(quantity), unit=unit, frequency=frequency)
