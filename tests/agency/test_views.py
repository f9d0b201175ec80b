"""Agency staff see the matches in their regions; nobody else does."""

from __future__ import annotations

import pytest
from django.urls import reverse

from matching import services
from matching.models import Match
from tests.factories import ListingFactory, RegionFactory, SiteFactory

pytestmark = pytest.mark.django_db


def _login(client, user):
    client.force_login(user)


def test_reviewer_sees_region_matches_with_both_firms(client, owner, partner, reviewer):
    services.match_rematch_all()
    _login(client, reviewer.user)
    response = client.get(reverse("agency:matches"))
    assert response.status_code == 200
    body = response.content.decode()
    assert owner.listing.title in body and partner.listing.title in body
    assert owner.company.name in body and partner.company.name in body


def test_reviewer_does_not_see_matches_outside_the_region(client, reviewer):
    RegionFactory(name="Lapland", slug="lapland", min_lat=66, max_lat=69, min_lon=20, max_lon=30)
    offer = ListingFactory(title="Sawdust from Rovaniemi")
    site = offer.site
    site.latitude, site.longitude = 66.5, 25.7
    site.save()
    want_site = SiteFactory(latitude=66.52, longitude=25.75)
    ListingFactory(kind="want", company=want_site.company, site=want_site,
                   title="Sawdust for pellets", ewc_code="030105", category="wood")
    services.match_rematch_all()
    assert Match.objects.filter(offer=offer).exists()  # the pair exists, just elsewhere
    _login(client, reviewer.user)
    response = client.get(reverse("agency:matches"))
    assert "Sawdust from Rovaniemi" not in response.content.decode()
    assert "No matches in this region yet" in response.content.decode()


def test_search_filters_region_matches(client, owner, partner, reviewer):
    services.match_rematch_all()
    _login(client, reviewer.user)
    hit = client.get(reverse("agency:matches"), {"q": "fly ash"})
    miss = client.get(reverse("agency:matches"), {"q": "textiles"})
    assert owner.listing.title in hit.content.decode()
    assert owner.listing.title not in miss.content.decode()


def test_firm_user_cannot_open_the_agency_page(client, owner):
    _login(client, owner.user)
    assert client.get(reverse("agency:matches")).status_code == 404


def test_reviewer_without_company_lands_on_region_page(client, reviewer):
    _login(client, reviewer.user)
    response = client.get(reverse("matching:dashboard"))
    assert response.status_code == 302
    assert response.url == reverse("agency:matches")
