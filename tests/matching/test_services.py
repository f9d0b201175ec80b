"""Listing and matching services on the database (PostgreSQL in CI)."""

from __future__ import annotations

from datetime import date

import pytest
from django.core.exceptions import ValidationError

from matching import selectors, services
from matching.engine import ENGINE_VERSION
from matching.models import Listing, Match, MatchDismissal
from tests.factories import ListingFactory, SiteFactory

pytestmark = pytest.mark.django_db


def _offer_data(site, **overrides):
    data = {
        "kind": "offer",
        "site": site,
        "title": "Bottom ash from biomass boiler",
        "description": "Wet bottom ash, screened, from a bubbling fluidised bed boiler.",
        "ewc_code": "10 01 01",
        "quantity": 10,
        "unit": "t",
        "frequency": "daily",
        "max_distance_km": 80,
    }
    data.update(overrides)
    return data


def test_listing_create_stores_canonical_amount_per_year(owner):
    listing = services.listing_create(
        company=owner.company, user=owner.user, data=_offer_data(owner.site)
    )
    assert listing.ewc_code == "100101"
    assert listing.amount_per_year == pytest.approx(3650.0)
    assert listing.canonical_unit == "t"


def test_continuous_power_becomes_energy_per_year(owner):
    listing = services.listing_create(
        company=owner.company,
        user=owner.user,
        data=_offer_data(owner.site, title="Waste heat", ewc_code="", quantity=2,
                         unit="MW", frequency="continuous"),
    )
    assert listing.amount_per_year == pytest.approx(2 * 8760)
    assert listing.canonical_unit == "MWh"


def test_listing_on_another_companys_site_is_refused_and_nothing_saved(owner, outsider):
    before = Listing.objects.count()
    with pytest.raises(ValidationError) as caught:
        services.listing_create(
            company=owner.company, user=owner.user, data=_offer_data(outsider.site)
        )
    assert "site" in caught.value.message_dict
    assert Listing.objects.count() == before


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"unit": ""}, "unit"),
        ({"ewc_code": "999999"}, "ewc_code"),
        ({"quantity": -5}, "quantity"),
        ({"unit": "MW", "frequency": "yearly"}, "unit"),
        (
            {"available_from": date(2027, 5, 1), "available_until": date(2027, 1, 1)},
            "available_until",
        ),
        ({"max_distance_km": 0}, "max_distance_km"),
        ({"title": ""}, "title"),
    ],
)
def test_invalid_listing_names_the_field_and_saves_nothing(owner, overrides, field):
    before = Listing.objects.count()
    with pytest.raises(ValidationError) as caught:
        services.listing_create(
            company=owner.company, user=owner.user, data=_offer_data(owner.site, **overrides)
        )
    assert field in caught.value.message_dict
    assert Listing.objects.count() == before


def test_absolutely_hazardous_code_marks_the_offer_hazardous(owner):
    listing = services.listing_create(
        company=owner.company,
        user=owner.user,
        data=_offer_data(owner.site, title="Spent solvent", ewc_code="140603", unit="m3",
                         hazardous=False),
    )
    assert listing.hazardous is True


def test_offer_cannot_be_turned_into_a_want(owner):
    with pytest.raises(ValidationError) as caught:
        services.listing_update(listing=owner.listing, data={"kind": "want"})
    assert "kind" in caught.value.message_dict


def test_rematch_finds_the_nearby_partner_with_components_and_explanation(owner, partner):
    count = services.listing_rematch(listing_id=owner.listing.id)
    assert count >= 1
    match = Match.objects.get(offer=owner.listing, want=partner.listing)
    assert 0 < match.score <= 1
    assert match.distance_km == pytest.approx(40, abs=5)
    assert set(match.components) >= {"material", "distance", "quantity"}
    assert "km" in match.explanation
    assert match.model_version.startswith(ENGINE_VERSION)


def test_rematch_is_idempotent(owner, partner):
    services.listing_rematch(listing_id=owner.listing.id)
    first = list(Match.objects.values("id", "offer_id", "want_id", "score", "updated_at"))
    services.listing_rematch(listing_id=owner.listing.id)
    second = list(Match.objects.values("id", "offer_id", "want_id", "score", "updated_at"))
    assert first == second


def test_rematch_of_a_deleted_listing_returns_quietly(db):
    assert services.listing_rematch(listing_id=987654) is None


def test_full_rematch_twice_changes_nothing(owner, partner):
    far_site = SiteFactory(company=partner.company, city="Rovaniemi",
                           latitude=66.5, longitude=25.7)
    ListingFactory(company=partner.company, site=far_site, kind="want",
                   title="Fly ash wanted", max_distance_km=20)
    services.match_rematch_all()
    first = list(Match.objects.order_by("id").values())
    services.match_rematch_all()
    assert list(Match.objects.order_by("id").values()) == first
    # The far want lies beyond both parties' transport distances.
    assert [(m["offer_id"], m["want_id"]) for m in first] == [
        (owner.listing.id, partner.listing.id)
    ]


def test_pausing_a_listing_removes_its_matches(owner, partner):
    services.listing_rematch(listing_id=owner.listing.id)
    assert Match.objects.filter(offer=owner.listing).exists()
    services.listing_set_status(listing=owner.listing, status=Listing.Status.PAUSED)
    services.listing_rematch(listing_id=owner.listing.id)
    assert not Match.objects.filter(offer=owner.listing).exists()


def test_hazardous_offer_does_not_match_a_want_without_permit(owner, partner):
    Listing.objects.filter(pk=owner.listing.pk).update(hazardous=True)
    services.match_rematch_all()
    assert not Match.objects.exists()
    Listing.objects.filter(pk=partner.listing.pk).update(accepts_hazardous=True)
    services.match_rematch_all()
    assert Match.objects.filter(offer=owner.listing, want=partner.listing).exists()


def test_saving_a_listing_matches_it_after_commit(
    owner, partner, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        listing = services.listing_create(
            company=owner.company,
            user=owner.user,
            data=_offer_data(owner.site, title="Coal fly ash, dry", ewc_code="100102"),
        )
    # One rematch queued; the other callback is the rematch announcing its matches.
    from matching.services import listings
    queued = [c for c in callbacks if getattr(c, "func", None) is listings._enqueue_match]
    assert len(queued) == 1 and len(callbacks) == 2
    assert Match.objects.filter(offer=listing, want=partner.listing).exists()


def test_dismissed_match_stays_hidden_across_rematches_and_is_kept_as_label(owner, partner):
    services.match_rematch_all()
    match = Match.objects.get(offer=owner.listing, want=partner.listing)
    services.match_dismiss(match=match, company=owner.company, user=owner.user,
                           reason="quality", note="We need class F ash")
    services.match_rematch_all()
    assert not selectors.match_list_for_listing(listing=owner.listing, viewer=owner.company)
    # The other side still sees it: only the dismissing firm's view changes.
    assert selectors.match_list_for_listing(listing=partner.listing, viewer=partner.company)
    label = MatchDismissal.objects.get()
    assert label.reason == "quality"
    assert label.components == Match.objects.get().components


def test_outsider_cannot_dismiss_a_match(owner, partner, outsider):
    services.match_rematch_all()
    match = Match.objects.get()
    with pytest.raises(ValidationError):
        services.match_dismiss(match=match, company=outsider.company, user=outsider.user,
                               reason="other")
    assert not MatchDismissal.objects.exists()


def test_counterpart_view_hides_the_partner_firm(owner, partner):
    services.match_rematch_all()
    match = Match.objects.get()
    view = selectors.counterpart_for(match=match, viewer=owner.company)
    assert view.listing_id == partner.listing.id
    assert view.area == "FI"  # alone of its sector in Rauma, no region defined
    assert partner.company.name not in repr(view)
    assert view.sector == "Manufacture of other non-metallic mineral products"  # division 23


def test_a_firms_own_offer_and_want_do_not_match(owner):
    ListingFactory(company=owner.company, site=owner.site, kind="want",
                   title="Fly ash for our own concrete plant", category="ash")
    services.match_rematch_all()
    assert not Match.objects.exists()
