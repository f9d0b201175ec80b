"""The disclosure rules of exchanges.visibility."""

from __future__ import annotations

import pytest

from exchanges import visibility
from exchanges.models import ListingDisclosure
from matching.engine.geo import haversine_km
from tests.factories import CompanyFactory, ListingFactory, RegionFactory, SiteFactory


@pytest.mark.parametrize(("km", "band"), [(0, (0, 5)), (4.99, (0, 5)), (41.3, (40, 45)),
                                         (49.9, (45, 50)), (50, (50, 60)), (123, (120, 130))])
def test_distance_bands(km, band):
    assert visibility.distance_band(km) == band


def test_snapping_hides_the_exact_place_but_keeps_the_distance_close():
    a = visibility.snap(61.4851, 21.7974)
    assert a == visibility.snap(61.4852, 21.7975)  # a few metres apart: the same cell
    assert a != (61.4851, 21.7974)
    assert haversine_km(61.4851, 21.7974, *a) < 1.5  # within the cell (half-diagonal)


@pytest.mark.parametrize(("value", "shown"), [(0.8237, 0.8), (0.83, 0.85), (0.0, 0.0),
                                              (1.0, 1.0), (None, None), ("x", None)])
def test_figures_round_to_five_hundredths(value, shown):
    assert visibility.rounded(value) == shown


@pytest.mark.parametrize(("amount", "band"), [(3000, (2500, 5000)), (1000, (1000, 2500)),
                                              (7, (5, 10)), (0.3, (0.25, 0.5))])
def test_quantity_bands(amount, band):
    assert visibility.quantity_band(amount) == pytest.approx(band)


def test_explanation_loses_the_exact_distance_and_share():
    text = "fly ash → clinker substitute (EU cement BREF 2013), 41 km, covers 63% of the need"
    assert visibility.explanation_text(text, (40, 45)) == (
        "fly ash → clinker substitute (EU cement BREF 2013), 40–45 km, "
        "covers about 65% of the need")
    assert visibility.explanation_text("same code, 4.2 km, quantity unknown", (0, 5)) == (
        "same code, 0–5 km, quantity unknown")


def test_a_firm_alone_in_its_town_shows_as_the_region(partner):
    RegionFactory()
    assert visibility.area_name(partner.site, partner.company) == "Satakunta"
    for _ in range(2):
        company = CompanyFactory(nace_code="23.61")
        SiteFactory(company=company, city="Rauma")
    assert visibility.area_name(partner.site, partner.company) == "Rauma"


def test_no_region_falls_back_to_the_country(partner):
    assert visibility.area_name(partner.site, partner.company) == "FI"


def test_anonymous_before_acceptance_named_after(owner, partner):
    hidden = visibility.listing_view(partner.listing, viewer=owner.company)
    assert hidden.company_name == "" and hidden.site_name == "" and not hidden.contact_persons
    assert hidden.sector and hidden.area != partner.site.city
    shown = visibility.listing_view(partner.listing, viewer=owner.company, disclosed=True,
                                    persons=(visibility.Person("A", "a@x"),))
    assert shown.company_name == partner.company.name
    assert shown.site_name == partner.site.name and shown.contact_persons


def test_public_listings_and_banded_quantities(owner, partner):
    ListingDisclosure.objects.create(listing=partner.listing, visibility="public",
                                     quantity_shown="banded")
    partner.listing.refresh_from_db()
    view = visibility.listing_view(partner.listing, viewer=owner.company)
    assert view.company_name == partner.company.name
    assert view.site_name == ""  # public names the firm, not its site
    assert view.quantity == "2,500–5,000 t, per year"
    own = visibility.listing_view(partner.listing, viewer=partner.company)
    assert own.quantity == "3,000 t, per year"


def test_pair_view_range_sentence(owner, partner, match):
    partner.listing.max_distance_km = 20
    pair = visibility.pair_view(offer=owner.listing, want=partner.listing,
                                viewer=partner.company, match=match)
    assert pair.range == ("40–45 km: beyond your 20 km, within their 50 km delivery range")
    assert pair.score == 0.8
    assert all(round(v * 20, 6) == round(v * 20) for v in pair.components.values())
    assert pair.theirs.company_name == ""


def test_listing_owner_sees_all_of_their_own(owner):
    view = visibility.listing_view(owner.listing, viewer=owner.company)
    assert view.own and view.company_name == owner.company.name


def test_a_listing_of_another_firm_never_reveals_the_town_of_a_lone_firm(outsider):
    lone = ListingFactory(company=CompanyFactory(nace_code="35.11"),
                          site=SiteFactory(city="Eura", latitude=61.13, longitude=22.13))
    RegionFactory()
    view = visibility.listing_view(lone, viewer=outsider.company)
    assert "Eura" not in str(view.as_dict())


def test_the_owner_chooses_public_and_banded_through_the_page(owner, partner, outsider):
    from django.test import Client

    client = Client()
    client.force_login(owner.user)
    url = f"/exchanges/listings/{owner.listing.pk}/disclosure/"
    preview = client.get(url).content.decode().split("As another")[1].split("</section>")[0]
    assert "Harbour Power Oy" not in preview and "Not shown until" in preview
    r = client.post(url, {"visibility": "public", "quantity_shown": "banded"})
    assert r.status_code == 302
    owner.listing.refresh_from_db()
    view = visibility.listing_view(owner.listing, viewer=partner.company)
    assert view.company_name == owner.company.name and view.quantity == "5,000–10,000 t, per year"
    stranger = Client()
    stranger.force_login(outsider.user)
    assert stranger.get(url).status_code == 404
    assert stranger.post(url, {"visibility": "anonymous", "quantity_shown": "exact"}
                         ).status_code == 404
    assert ListingDisclosure.objects.get(listing=owner.listing).visibility == "public"
