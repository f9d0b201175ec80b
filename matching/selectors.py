"""Reads for matching. What a viewer may see of another firm is decided here only."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.db.models import (
    Case,
    Exists,
    F,
    Func,
    IntegerField,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
    When,
    Window,
)
from django.db.models.functions import Coalesce, RowNumber
from django.utils.translation import ngettext

from accounts.models import Agency, Company
from accounts.selectors import in_regions_q
from matching import catalogue, disclosure
from matching.disclosure import CounterpartView
from matching.engine import LearnedRanker
from matching.models import Listing, Match, MatchDismissal, MatchLabel, RankerModel

_COUNTERPARTS = ("offer__site", "offer__company", "want__site", "want__company")


def match_visible_to(matches: QuerySet[Match], *, viewer: Company) -> QuerySet[Match]:
    """``matches`` without the pairs ``viewer`` dismissed (the one place that rule lives)."""
    dismissed = MatchDismissal.objects.filter(
        offer_id=OuterRef("offer_id"), want_id=OuterRef("want_id"), company=viewer
    )
    return matches.exclude(Exists(dismissed))


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


def listing_with_match_count(
    listings: QuerySet[Listing], *, viewer: Company
) -> QuerySet[Listing]:
    """Annotate ``match_count``: the matches ``viewer`` sees (its dismissals excluded)."""
    # COUNT as a plain function, so the subquery has no GROUP BY and returns one row.
    visible = (
        match_visible_to(
            Match.objects.filter(Q(offer_id=OuterRef("pk")) | Q(want_id=OuterRef("pk"))),
            viewer=viewer,
        )
        .order_by()
        .annotate(n=Func(F("id"), function="COUNT", output_field=IntegerField()))
        .values("n")
    )
    return listings.annotate(match_count=Coalesce(Subquery(visible), 0))


def listing_get_for_company(*, company: Company, pk: int) -> Listing | None:
    return Listing.objects.select_related("site").filter(company=company, pk=pk).first()


def match_list_for_listing(*, listing: Listing, viewer: Company) -> QuerySet[Match]:
    """Matches of one listing, best first, without the pairs the viewer dismissed."""
    side = "offer" if listing.is_offer else "want"
    return (
        match_visible_to(Match.objects.filter(**{side: listing}), viewer=viewer)
        .select_related(*_COUNTERPARTS)
        .order_by("-score", "id")
    )


def match_quality_note(*, listing: Listing, count: int) -> str:
    """What a listing with fewer matches than ``MATCH_TOP_K`` is told: only partners above
    the quality floor are shown, and the list is not padded ("" when it is full, or the
    listing is not being matched)."""
    if listing.status != Listing.Status.ACTIVE or count >= settings.MATCH_TOP_K:
        return ""
    return ngettext(
        "%(count)d partner above the quality floor (a material fit of at least %(floor)s); "
        "weaker pairings are not shown.",
        "%(count)d partners above the quality floor (a material fit of at least %(floor)s); "
        "weaker pairings are not shown.",
        count,
    ) % {"count": count, "floor": f"{settings.MATCH_MIN_MATERIAL_FIT:g}"}


def match_top_for_listings(
    *, listings: list[Listing], viewer: Company, top: int
) -> dict[int, list[Match]]:
    """The best ``top`` visible matches of each listing, in one query whatever their number.

    Keyed by listing id, best first (a page of the dashboard shows a few per listing).
    """
    offers = [listing.pk for listing in listings if listing.is_offer]
    wants = [listing.pk for listing in listings if not listing.is_offer]
    # Each match is counted under the listing of the page it belongs to.
    owner = Case(When(offer_id__in=offers, then=F("offer_id")), default=F("want_id"))
    ranked = (
        match_visible_to(
            Match.objects.filter(Q(offer_id__in=offers) | Q(want_id__in=wants)), viewer=viewer
        )
        .annotate(
            page_listing=owner,
            rank=Window(RowNumber(), partition_by=[owner], order_by=[F("score").desc(),
                                                                      F("id").asc()]),
        )
        .filter(rank__lte=top)
        .select_related(*_COUNTERPARTS)
        .order_by("page_listing", "rank")
    )
    found: dict[int, list[Match]] = {listing.pk: [] for listing in listings}
    for match in ranked:
        found[match.page_listing].append(match)
    return found


def match_list_for_company(*, company: Company) -> QuerySet[Match]:
    """Every visible match involving one of the company's listings."""
    # The company's listing ids, read first: "offer in them or want in them" then uses
    # both pair indexes, where a join on either side's company scans every match.
    own = list(Listing.objects.filter(company=company).values_list("pk", flat=True))
    return (
        match_visible_to(
            Match.objects.filter(Q(offer_id__in=own) | Q(want_id__in=own)),
            viewer=company,
        )
        .select_related(*_COUNTERPARTS)
        .order_by("-score", "id")
    )


def listing_get_active(*, pk: int | str | None) -> Listing | None:
    """An active listing of any firm by id, or ``None`` (what another app pairs with)."""
    try:
        pk = int(pk)
    except (TypeError, ValueError):
        return None
    return (Listing.objects.select_related("site", "company")
            .filter(pk=pk, status=Listing.Status.ACTIVE).first())


def listing_list_active_of_others(*, company: Company) -> QuerySet[Listing]:
    """Every other firm's active listings, with their sites and firms (search's base)."""
    return (Listing.objects.filter(status=Listing.Status.ACTIVE).exclude(company=company)
            .select_related("site", "company"))


def match_list_between(*, company: Company, other: Company) -> QuerySet[Match]:
    """The matches pairing a listing of ``company`` with one of ``other``, best first."""
    return (
        Match.objects.filter(Q(offer__company=company, want__company=other)
                             | Q(offer__company=other, want__company=company))
        .select_related(*_COUNTERPARTS)
        .order_by("-score", "id")
    )


def match_partner_counts(*, company: Company) -> dict[int, int]:
    """How many matches ``company`` has with each other firm, by that firm's id."""
    counts: dict[int, int] = {}
    for offer_company, want_company in Match.objects.filter(
        Q(offer__company=company) | Q(want__company=company)
    ).values_list("offer__company", "want__company"):
        other = want_company if offer_company == company.id else offer_company
        if other != company.id:
            counts[other] = counts.get(other, 0) + 1
    return counts


def match_get_for_company(*, company: Company, pk: int) -> Match | None:
    return match_list_for_company(company=company).filter(pk=pk).first()


def nace_title(code: str) -> str:
    """Sector name for a NACE code, or the code itself when unknown."""
    return catalogue.nace_titles().get(code, code)


def counterpart_list(*, matches: list[Match], viewer: Company) -> dict[int, CounterpartView]:
    """The other side of each match from ``viewer``, anonymised, keyed by match id (a
    fixed number of queries for a page of matches)."""
    return disclosure.counterpart_views(matches, viewer=viewer)


def counterpart_for(*, match: Match, viewer: Company) -> CounterpartView:
    """The listing on the other side of ``match`` from ``viewer``, anonymised."""
    return counterpart_list(matches=[match], viewer=viewer)[match.pk]


def match_list_for_agency(*, agency: Agency, search: str = "") -> QuerySet[Match]:
    """Matches with either side's site inside one of the agency's regions, best first.

    Agency staff facilitate introductions, so they see both firms (unlike the firms
    themselves, who see each other anonymised until contact is agreed).
    """
    regions = agency.regions.all()
    inside = in_regions_q(regions=regions, site_path="offer__site") | in_regions_q(
        regions=regions, site_path="want__site"
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


# --- the European List of Waste (reference data, in memory) ---------------------------


def ewc_entry_view(entry: Any) -> dict[str, Any]:
    """One List of Waste entry as the API shows it."""
    kb = catalogue.knowledge()
    return {
        "code": entry.code,
        "display": catalogue.ewc_display(entry.code),
        "description": entry.description,
        "hazardous": entry.hazardous,
        "mirror": entry.mirror,
        "mirror_counterparts": list(entry.mirror_counterparts),
        "chapter": kb.chapters.get(entry.chapter, ""),
        "sub_chapter": kb.sub_chapters.get(entry.sub_chapter, ""),
    }


def ewc_entry_list(
    *, search: str = "", code: str = "", hazardous: bool | None = None
) -> list[Any]:
    """List of Waste entries by code: ``code`` a prefix (spaces allowed), ``search`` words
    that the code, its printed form or the description all contain."""
    entries = list(catalogue.knowledge().ewc.values())
    prefix = catalogue.normalise_ewc(code)
    if prefix:
        entries = [entry for entry in entries if entry.code.startswith(prefix)]
    words = search.casefold().split()
    if words:
        entries = [
            entry for entry in entries
            if all(word in f"{entry.code} {catalogue.ewc_display(entry.code)} "
                   f"{entry.description}".casefold() for word in words)
        ]
    if hazardous is not None:
        entries = [entry for entry in entries if entry.hazardous == hazardous]
    return sorted(entries, key=lambda entry: entry.code)


def ewc_entry_get(*, code: str) -> Any | None:
    """The entry of a code written with or without spaces, or ``None``."""
    return catalogue.knowledge().ewc.get(catalogue.normalise_ewc(code))


# --- a region's listings and matches, for agency dashboards ----------------------------


def listing_list_in_regions(*, regions, status: str | None = "active") -> QuerySet[Listing]:
    """Listings whose site lies in one of ``regions`` (active ones unless ``status=None``)."""
    qs = Listing.objects.filter(in_regions_q(regions=regions, site_path="site"))
    if status:
        qs = qs.filter(status=status)
    return qs.select_related("site", "company")


def match_list_in_regions(*, regions) -> QuerySet[Match]:
    """Current matches with the offer's or the want's site in one of ``regions``."""
    inside = in_regions_q(regions=regions, site_path="offer__site") | in_regions_q(
        regions=regions, site_path="want__site"
    )
    return Match.objects.filter(inside)


# --- the learned ranker -------------------------------------------------------------------

_ranker_cache: dict[tuple[int, str], LearnedRanker] = {}


def ranker_current() -> LearnedRanker | None:
    """The ranker the matcher scores with: the active ``RankerModel`` as the engine's plain
    data, or ``None`` (the hand-set weights) when none is active. One indexed query; the
    parameters are parsed once per model and process."""
    row = RankerModel.objects.filter(active=True).values_list("id", "version").first()
    if row is None:
        return None
    found = _ranker_cache.get(row)
    if found is None:
        parameters = RankerModel.objects.values_list("parameters", flat=True).get(pk=row[0])
        found = LearnedRanker.from_data(parameters)
        _ranker_cache.clear()
        _ranker_cache[row] = found
    return found


def ranker_latest() -> RankerModel | None:
    """The newest model fitted on labels (the periodic retrain counts labels since it)."""
    return RankerModel.objects.filter(trained_on="labels").order_by("-created_at", "-id").first()


def label_count(*, since=None) -> int:
    """Labelled pairs (distinct offer/want pairs), those labelled since ``since`` if given."""
    labels = MatchLabel.objects.all()
    if since is not None:
        labels = labels.filter(updated_at__gt=since)
    return labels.values("offer_id", "want_id").distinct().count()


def ewc_chapter_title(*, chapter: str) -> str:
    """The title of a List of Waste chapter ('10' → 'Wastes from thermal processes')."""
    return catalogue.knowledge().chapters.get(chapter, "")
