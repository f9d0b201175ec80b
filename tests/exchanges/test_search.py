"""Browse and search other firms' listings, saved searches and their digest."""

from __future__ import annotations

import datetime as dt

from django.core import mail
from django.test import Client
from django.utils import timezone

from exchanges import selectors, services
from exchanges.models import Contact, Notification, SavedSearch
from matching.models import Listing
from tests.factories import CompanyFactory, ListingFactory, SiteFactory


def _client(persona) -> Client:
    client = Client()
    client.force_login(persona.user)
    return client


def test_search_by_words_kind_category_and_chapter(owner, partner, outsider):
    far = ListingFactory(company=outsider.company, site=outsider.site, kind="want",
                         title="Ash for road base", category="ash", ewc_code="100101")
    ListingFactory(company=outsider.company, site=outsider.site, kind="want",
                   title="Wood chips", description="Chipped pallets and offcuts.",
                   category="wood", ewc_code="030105")
    def ids(**params):
        return [r.listing.pk for r in selectors.listing_search(company=owner.company,
                                                               params=params)]
    assert set(ids(q="ash", kind="want")) == {partner.listing.pk, far.pk}
    assert ids(q="ash cement") == [partner.listing.pk]
    assert owner.listing.pk not in ids()  # never one's own
    assert set(ids(category="ash", ewc_chapter="10")) == {partner.listing.pk, far.pk}


def test_search_filters_on_banded_distance(owner, partner, outsider):
    turku = ListingFactory(company=outsider.company, site=outsider.site, kind="want")
    near = selectors.listing_search(company=owner.company,
                                    params={"site": owner.site.pk, "distance_km": 50})
    assert [(r.listing.pk, r.band) for r in near] == [(partner.listing.pk, (40, 45))]
    wide = selectors.listing_search(company=owner.company,
                                    params={"site": owner.site.pk, "distance_km": 200})
    assert [r.listing.pk for r in wide] == [partner.listing.pk, turku.pk]  # nearest first


def test_blocked_firms_and_paused_listings_are_not_found(owner, partner):
    services.company_block(blocker=partner.company, blocked=owner.company, user=None)
    assert selectors.listing_search(company=owner.company, params={}) == []
    other = ListingFactory(company=CompanyFactory(), kind="want", status=Listing.Status.PAUSED)
    assert other.pk not in [r.listing.pk for r in
                            selectors.listing_search(company=partner.company, params={})]


def test_search_page_anonymises_and_starts_a_contact(owner, partner):
    client = _client(owner)
    html = client.get("/exchanges/search/", {"q": "cement", "site": owner.site.pk,
                                             "distance_km": 50}).content.decode()
    assert partner.listing.title in html and "40–45 km" in html
    assert partner.company.name not in html.split("<footer")[0]
    r = client.post("/exchanges/search/contact/", {"listing": partner.listing.pk,
                                                   "own_listing": owner.listing.pk,
                                                   "message": "Found you by search"})
    contact = Contact.objects.get()
    assert r["Location"] == f"/exchanges/contacts/{contact.pk}/"
    assert (contact.offer, contact.want) == (owner.listing, partner.listing)


def test_saved_search_digest_is_idempotent(owner, partner, django_capture_on_commit_callbacks):
    client = _client(owner)
    client.post("/exchanges/search/save/", {"name": "Cement takers", "q": "cement",
                                            "kind": "want"})
    search = SavedSearch.objects.get()
    assert search.params == {"q": "cement", "kind": "want"}
    assert selectors.saved_search_new(search=search) == []  # the partner's was there before
    site = SiteFactory(company=CompanyFactory(), city="Rauma", latitude=61.13, longitude=21.5)
    fresh = ListingFactory(company=site.company, site=site, kind="want",
                           title="Cement raw meal additive")
    assert "1 new" in client.get("/exchanges/search/").content.decode()
    later = timezone.now() + dt.timedelta(seconds=1)
    with django_capture_on_commit_callbacks(execute=True):
        assert services.saved_search_digest(now=later) == 1
        assert services.saved_search_digest(now=later) == 0
        assert services.saved_search_digest(now=later + dt.timedelta(days=1)) == 0
    notification = Notification.objects.get(kind="search")
    assert notification.user == owner.user and "1 new listings" in notification.text
    assert [m.to for m in mail.outbox] == [[owner.user.email]]
    assert site.company.name not in mail.outbox[0].body
    assert fresh.pk  # listed after the search was saved


def test_search_api_finds_anonymised_listings_and_keeps_searches(owner, partner, outsider):
    from tests.api.conftest import client_for

    api = client_for(owner.user)
    far = ListingFactory(company=outsider.company, site=outsider.site, kind="want",
                         title="Ash for road base", category="ash", ewc_code="100101")

    r = api.get("/api/v1/searches/run/", {"q": "ash", "kind": "want", "site": owner.site.pk,
                                           "distance_km": 50, "page_size": 10})
    assert r.status_code == 200
    body = r.json()
    assert [item["id"] for item in body["results"]] == [partner.listing.pk]  # Turku is far
    [hit] = body["results"]
    assert hit["company"] is None and partner.company.name not in r.content.decode()
    assert hit["distance_band_km"][1] - hit["distance_band_km"][0] in (5, 10)
    assert far.pk in [i["id"] for i in api.get("/api/v1/searches/run/",
                                               {"q": "ash"}).json()["results"]]
    bad = api.get("/api/v1/searches/run/", {"ewc_chapter": "1"})
    assert bad.status_code == 400 and "ewc_chapter" in bad.json()["error"]["fields"]
    assert api.get("/api/v1/searches/run/", {"words": "ash"}).status_code == 400

    r = api.post("/api/v1/searches/", {"name": "Ash nearby", "q": "ash", "kind": "want"},
                 format="json")
    assert r.status_code == 201
    sid = r.json()["id"]
    assert r.json()["params"] == {"q": "ash", "kind": "want"}
    assert api.get(f"/api/v1/searches/{sid}/new/").json()["count"] == 0
    fresh = ListingFactory(company=outsider.company, site=outsider.site, kind="want",
                           title="More ash wanted", category="ash")
    assert [i["id"] for i in api.get(f"/api/v1/searches/{sid}/new/").json()["results"]] == [
        fresh.pk]
    other = client_for(partner.user)
    assert other.get(f"/api/v1/searches/{sid}/").status_code == 404
    assert other.delete(f"/api/v1/searches/{sid}/").status_code == 404
    assert api.delete(f"/api/v1/searches/{sid}/").status_code == 204
    assert not SavedSearch.objects.filter(pk=sid).exists()
