"""Matching's part of a firm's export and erasure (see ``symbiosis.datarights``)."""

from __future__ import annotations

from typing import Any

from django.db.models import Q

from accounts.models import Company
from matching.models import Listing, Match, MatchDismissal
from matching.selectors import counterpart_list, match_list_for_company
from symbiosis.datarights import rows


def _match_as_seen(match: Match, view) -> dict[str, Any]:
    own = match.offer_id if view.listing_id == match.want_id else match.want_id
    return {
        "id": match.pk, "listing": own, "counterpart_listing": view.listing_id,
        "score": view.score, "distance_band_km": list(view.band),
        "components": view.components, "explanation": view.explanation,
        "counterpart": {"kind": view.kind, "title": view.title, "sector": view.sector,
                        "area": view.area, "company": view.company,
                        "quantity": view.quantity},
    }


def export_company(*, company: Company) -> dict[str, Any]:
    """Listings in full; matches only as the firm sees them (banded, rounded, anonymised)."""
    matches = list(match_list_for_company(company=company))
    views = counterpart_list(matches=matches, viewer=company)
    return {
        "listings": rows(Listing.objects.filter(company=company).order_by("pk")),
        "matches": [_match_as_seen(m, views[m.pk]) for m in matches if m.pk in views],
        "dismissals": rows(MatchDismissal.objects.filter(company=company).order_by("pk")),
    }


def erase_company(*, company: Company, pseudonym: str) -> dict[str, int]:
    """Open listings close and their matches go; the listings stay for agreements' sake."""
    listings = Listing.objects.filter(company=company)
    closed = listings.exclude(status=Listing.Status.CLOSED).update(status=Listing.Status.CLOSED)
    matches = Match.objects.filter(Q(offer__company=company) | Q(want__company=company))
    return {"listings_closed": closed, "matches_removed": matches.delete()[0]}
