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

from dataclasses import dataclass, field
from decimal import Decimal
from typing import TYPE_CHECKING

from django.utils.translation import gettext as _

from accounts.models import Company
from matching import catalogue
from matching.disclosure import (  # noqa: F401 - re-exported: exchanges reads them here
    GRID_KM,
    ROUND_TO,
    SMALL_PLACE_FIRMS,
    area_name,
    band_label,
    distance_band,
    explanation_text,
    name_may_show,
    number_text,
    quantity_band,
    quantity_text,
    rounded,
    rounded_components,
    sector_name,
    snap,
    snapped_distance_km,
    verifying_agency_names,
)
from matching.engine import canonical_amount, format_amount

if TYPE_CHECKING:  # types only: another app's rows are read through its selectors
    from matching.models import Listing, Match

# The coarsening itself is matching's (its own pages need it too); this module adds the
# owner's choice per listing, what an accepted contact reveals, and the agency's view.
_number = number_text


# --- what a viewer sees ------------------------------------------------------------------


def listing_policies(listing_ids: list[int]) -> dict[int, tuple[bool, bool]]:
    """(public, exact quantity) of the listings whose owner chose, in one query; the hook
    matching's pages read the owner's choice through."""
    from exchanges.models import ListingDisclosure

    return {
        listing_id: (visibility == ListingDisclosure.Visibility.PUBLIC,
                     shown == ListingDisclosure.QuantityShown.EXACT)
        for listing_id, visibility, shown in ListingDisclosure.objects.filter(
            listing_id__in=listing_ids).values_list("listing", "visibility", "quantity_shown")
    }


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
    # A neutral "verified" while anonymous; the agency is named with the firm's name.
    verified: bool = False
    verified_by: str = ""
    # An estimate from a public register, not the firm's word (``Listing.indicative``).
    indicative: bool = False

    def as_dict(self) -> dict:
        data = {
            "id": self.id, "kind": self.kind, "title": self.title, "indicative": self.indicative,
            "description": self.description, "category": self.category,
            "ewc_code": self.ewc_code, "quantity": self.quantity, "sector": self.sector,
            "area": self.area, "max_distance_km": self.max_distance_km,
            "company": self.company_name or None,
            "verified": self.verified,
            "verified_by": self.verified_by or None,
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
    # An unclaimed profile (made by an agency from a public register) stays anonymous to
    # other firms even after a contact is accepted: nobody of the firm has agreed to it.
    claimed = name_may_show(listing.company)
    public = public and claimed
    revealed = own or (disclosed and claimed)
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
        contact_persons=persons if disclosed and claimed else (),
        verified=listing.company.verified,
        verified_by=(_verifier_name(listing.company) if revealed or public else ""),
        indicative=listing.indicative,
    )


def _verifier_name(company) -> str:
    if not company.verified or not company.verified_by_id:
        return ""
    return verifying_agency_names([company]).get(company.verified_by_id, "")


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
    components = (rounded_components(match.components, pair=(offer, want))
                  if match is not None else {})
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
        explanation=explanation_text(
            match.explanation, band, quantity=(match.components or {}).get("quantity"),
            viewer_offers=mine is offer) if match is not None else "",
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
        # An introduced contact names the agency that made it (both firms accept it).
        "introduced_by": contact.introduced_by.name if contact.introduced_by_id else None,
        "created_at": contact.created_at,
        "updated_at": contact.updated_at,
    }
    if agency:
        base["parties"] = {
            "requester": contact.requester.name, "recipient": contact.recipient.name,
        }
        base["offer"] = {"id": contact.offer_id, "title": contact.offer.title}
        base["want"] = {"id": contact.want_id, "title": contact.want.title}
        base["audit"] = audit_view(contact)
        return base
    pair = pair_view(offer=contact.offer, want=contact.want, viewer=viewer,
                     disclosed=contact.is_accepted, persons=contact_persons(contact))
    base.update({
        "role": "requester" if viewer.id == contact.requester_id else "recipient",
        "awaiting_you": contact.awaits(viewer.id),
        "expires_at": contact.expires_at if contact.state == "requested" else None,
        "counterpart": pair.theirs.company_name or None,
        "pair": pair.as_dict(),
    })
    return base


def audit_view(contact) -> list[dict]:
    """The contact's and its agreements' state changes as region agency staff see them:
    when, what, from and to, and which firm acted; never the notes (reasons may quote
    terms or prices)."""
    return [
        {"at": entry.created_at, "subject": entry.subject, "subject_id": entry.subject_id,
         "action": entry.action, "from_state": entry.from_state, "to_state": entry.to_state,
         "firm": entry.company.name if entry.company_id else None}
        for entry in contact.audit.select_related("company").order_by("created_at", "id")
    ]


def money_visible(role) -> bool:
    """Prices and cost estimates are the parties' only."""
    from exchanges.permissions import Role

    return role is Role.PARTY


def canonical_text(amount: float, unit: str) -> str:
    return format_amount(amount, unit)


def canonical(quantity: Decimal | float, unit: str, frequency: str = "one-off"
              ) -> tuple[float, str]:
    return canonical_amount(quantity=float(quantity), unit=unit, frequency=frequency)
