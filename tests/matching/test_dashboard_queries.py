"""The dashboard reads a page of listings and their best matches in a fixed number of queries."""

from __future__ import annotations

import pytest
from django.urls import reverse

from matching.models import Listing, Match, MatchDismissal
from matching.views import MATCHES_INLINE
from tests.factories import ListingFactory

pytestmark = pytest.mark.django_db

# Session, user, company, the listing page (count and rows), the best matches of all its
# listings, what the page may show of their counterparts (firms of the sector in their
# towns, the regions of the small places, the owners' disclosure choices), and the header
# figures (has listings, has sites, offers, wants, matches: the company's listing ids
# first, then the count), and the agencies' reviews of
# the pairs shown (their decisions and introductions: the "reviewed by" badge).
DASHBOARD_QUERIES = 19


def _wants(partner, n):
    return [
        ListingFactory(company=partner.company, site=partner.site, kind=Listing.Kind.WANT,
                       title=f"Clinker substitute {i}")
        for i in range(n)
    ]


def _dashboard_with(client, owner, partner, *, listings: int):
    """``listings`` offers of the owner, each matched with four wants (one dismissed)."""
    Listing.objects.filter(company=owner.company).delete()
    wants = _wants(partner, 4)
    offers = []
    for i in range(listings):
        offer = ListingFactory(company=owner.company, site=owner.site, title=f"Fly ash {i}")
        for rank, want in enumerate(wants):
            Match.objects.create(offer=offer, want=want, score=0.9 - rank / 10 - i / 100,
                                 distance_km=5.0, explanation="test")
        MatchDismissal.objects.create(offer=offer, want=wants[1], company=owner.company,
                                      reason=MatchDismissal.Reason.values[0])
        offers.append(offer)
    client.force_login(owner.user)
    return offers, wants


@pytest.mark.parametrize("listings", [1, 5])
def test_the_dashboard_costs_the_same_queries_for_one_listing_and_for_five(
    client, owner, partner, django_assert_num_queries, listings
):
    offers, wants = _dashboard_with(client, owner, partner, listings=listings)

    with django_assert_num_queries(DASHBOARD_QUERIES):
        response = client.get(reverse("matching:dashboard"))

    assert response.status_code == 200
    rows = response.context["rows"]
    assert {row.listing.pk for row in rows} == {offer.pk for offer in offers}
    for row in rows:
        # The dismissed want is neither shown nor counted; the best come first.
        assert row.match_count == 3
        assert [m.match.want_id for m in row.matches] == [wants[0].pk, wants[2].pk, wants[3].pk][
            :MATCHES_INLINE
        ]
        assert all(m.match.offer_id == row.listing.pk for m in row.matches)


def test_wants_on_the_dashboard_get_their_own_matches(client, owner, partner):
    want = ListingFactory(company=owner.company, site=owner.site, kind=Listing.Kind.WANT,
                          title="Gypsum")
    offers = [ListingFactory(company=partner.company, site=partner.site, title=f"FGD {i}")
              for i in range(5)]
    for i, offer in enumerate(offers):
        Match.objects.create(offer=offer, want=want, score=0.5 + i / 10, distance_km=1.0,
                             explanation="test")
    client.force_login(owner.user)

    rows = client.get(reverse("matching:dashboard")).context["rows"]

    row = next(row for row in rows if row.listing.pk == want.pk)
    assert row.match_count == 5
    best = [offer.pk for offer in reversed(offers)][:MATCHES_INLINE]
    assert [m.match.offer_id for m in row.matches] == best
