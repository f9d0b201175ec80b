"""Reads for matching. What a viewer may see of another firm is decided here only."""

from __future__ import annotations

from dataclasses import dataclass

from django.db.models import Exists, OuterRef, Q, QuerySet

from accounts.models import Agency, Company
from matching import catalogue
from matching.models import Listing, Match, MatchDismissal


def listing_list_for_company(
    *, company: Company, status: str = "", kind: str = "", search: str = ""
) -> QuerySet[Listing]:
    """A company's own listings, newest first, optionally filtered."""
    qs = Listing.objects.filter(company=company).select_related("site")
    if status:
        qs = qs.filter(status=status)
    if kind:
        qs = qs.filter(kind=kind)
    if search:
        qs = qs.filter(Q(title__icontains=search) | Q(description__icontains=search))
    return qs


def listing_get_for_company(*, company: Company, pk: int) -> Listing | None:
    return Listing.objects.select_related("site").filter(company=company, pk=pk).first()


def match_list_for_listing(*, listing: Listing, viewer: Company) -> QuerySet[Match]:
    """Matches of one listing, best first, without the pairs the viewer dismissed."""
    dismissed = MatchDismissal.objects.filter(
        offer_id=OuterRef("offer_id"), want_id=OuterRef("want_id"), company=viewer
    )
    side = "offer" if listing.is_offer else "want"
    return (
        Match.objects.filter(**{side: listing})
        .exclude(Exists(dismissed))
        .select_related("offer__site", "offer__company", "want__site", "want__company")
        .order_by("-score", "id")
    )


def match_list_for_company(*, company: Company) -> QuerySet[Match]:
    """Every visible match involving one of the company's listings."""
    dismissed = MatchDismissal.objects.filter(
        offer_id=OuterRef("offer_id"), want_id=OuterRef("want_id"), company=company
    )
    return (
        Match.objects.filter(Q(offer__company=company) | Q(want__company=company))
        .exclude(Exists(dismissed))
        .select_related("offer__site", "offer__company", "want__site", "want__company")
        .order_by("-score", "id")
    )


def match_get_for_company(*, company: Company, pk: int) -> Match | None:
    return match_list_for_company(company=company).filter(pk=pk).first()


def nace_title(code: str) -> str:
    """Sector name for a NACE code, or the code itself when unknown."""
    return catalogue.nace_titles().get(code, code)


@dataclass(frozen=True)
class CounterpartView:
    """The other side of a match as the viewer may see it (no firm name before contact)."""

    listing_id: int
    kind: str
    title: str
    description: str
    category: str
    ewc_code: str
    quantity: str
    sector: str
    town: str


def counterpart_for(*, match: Match, viewer: Company) -> CounterpartView:
    """The listing on the other side of ``match`` from ``viewer``, anonymised."""
    other = match.want if match.offer.company_id == viewer.id else match.offer
    kb = catalogue.knowledge()
    category = kb.categories[other.category].name if other.category in kb.categories else ""
    quantity = ""
    if other.quantity is not None:
        amount = f"{float(other.quantity):,.3f}".rstrip("0").rstrip(".")
        quantity = f"{amount} {other.unit}, {other.get_frequency_display().lower()}"
    sector = nace_title(other.company.nace_code) if other.company.nace_code else ""
    return CounterpartView(
        listing_id=other.id,
        kind=other.kind,
        title=other.title,
        description=other.description,
        category=category,
        ewc_code=catalogue.ewc_display(other.ewc_code),
        quantity=quantity,
        sector=sector,
        town=other.site.city,
    )


def match_list_for_agency(*, agency: Agency, search: str = "") -> QuerySet[Match]:
    """Matches with either side's site inside one of the agency's regions, best first.

    Agency staff facilitate introductions, so they see both firms (unlike the firms
    themselves, who see each other anonymised until contact is agreed).
    """
    inside = Q(pk__in=[])
    for region in agency.regions.all():
        for side in ("offer", "want"):
            inside |= Q(
                **{
                    f"{side}__site__latitude__gte": region.min_lat,
                    f"{side}__site__latitude__lte": region.max_lat,
                    f"{side}__site__longitude__gte": region.min_lon,
                    f"{side}__site__longitude__lte": region.max_lon,
                }
            )
    qs = Match.objects.filter(inside)
    if search:
        qs = qs.filter(
            Q(offer__title__icontains=search)
            | Q(want__title__icontains=search)
            | Q(offer__company__name__icontains=search)
            | Q(want__company__name__icontains=search)
        )
    return qs.select_related(
        "offer__site", "offer__company", "want__site", "want__company"
    ).order_by("-score", "id")
