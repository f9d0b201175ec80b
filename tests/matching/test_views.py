"""Portal pages: dashboard, listing forms, listing detail, status changes and dismissals."""

from __future__ import annotations

import pytest
from django.urls import reverse

from accounts.models import User
from matching import disclosure, services
from matching.models import Listing, Match, MatchDismissal
from tests.factories import PASSWORD, CompanyFactory, ListingFactory, MembershipFactory, UserFactory

pytestmark = pytest.mark.django_db


def _offer_form(site, **overrides) -> dict:
    data = {
        "kind": "offer",
        "site": site.pk,
        "title": "Bottom ash from biomass boiler",
        "description": "Wet bottom ash, screened, from a bubbling fluidised bed boiler.",
        "category": "ash",
        "ewc_code": "10 01 01",
        "quantity": "10",
        "unit": "t",
        "frequency": "daily",
        "available_from": "",
        "available_until": "",
        "physical_state": "solid",
        "max_distance_km": "80",
        "status": "active",
    }
    data.update(overrides)
    return data


def _matched(owner, partner) -> Match:
    services.listing_rematch(listing_id=owner.listing.id)
    return Match.objects.get(offer=owner.listing, want=partner.listing)


@pytest.fixture
def owner_client(client, owner):
    client.force_login(owner.user)
    return client


def test_listing_create_saves_the_offer_and_shows_it_on_the_dashboard(owner_client, owner):
    response = owner_client.post(reverse("matching:listing_create"), _offer_form(owner.site))

    listing = Listing.objects.get(title="Bottom ash from biomass boiler")
    assert response.status_code == 302
    assert response.url == reverse("matching:listing_detail", args=[listing.pk])
    assert listing.company == owner.company
    assert listing.created_by == owner.user
    assert listing.ewc_code == "100101"
    assert listing.amount_per_year == pytest.approx(3650.0)
    page = owner_client.get(reverse("matching:dashboard")).content.decode()
    assert "Bottom ash from biomass boiler" in page


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"quantity": "-5"}, "quantity"),
        ({"unit": ""}, "unit"),
        ({"available_from": "2026-06-01", "available_until": "2026-01-01"}, "available_until"),
        ({"ewc_code": "99 99 99"}, "ewc_code"),
        ({"category": "moon-rock"}, "category"),
        ({"max_distance_km": "0"}, "max_distance_km"),
        ({"title": ""}, "title"),
    ],
    ids=["negative-quantity", "quantity-without-unit", "until-before-from", "unknown-ewc",
         "unknown-category", "zero-distance", "no-title"],
)
def test_listing_create_with_bad_input_shows_field_error_and_saves_nothing(
    owner_client, owner, overrides, field
):
    before = Listing.objects.count()

    response = owner_client.post(
        reverse("matching:listing_create"), _offer_form(owner.site, **overrides)
    )

    assert response.status_code == 200
    assert response.context["form"].errors.get(field), response.context["form"].errors
    assert 'class="field-error"' in response.content.decode()
    assert Listing.objects.count() == before


def test_listing_on_another_firms_site_is_refused(owner_client, owner, outsider):
    response = owner_client.post(
        reverse("matching:listing_create"), _offer_form(outsider.site)
    )
    assert response.status_code == 200
    assert response.context["form"].errors.get("site")
    assert not Listing.objects.filter(title="Bottom ash from biomass boiler").exists()


def test_listing_form_offers_own_sites_categories_and_ewc_codes(owner_client, owner, outsider):
    page = owner_client.get(reverse("matching:listing_create")).content.decode()
    assert owner.site.name in page
    assert outsider.site.name not in page
    assert '<datalist id="ewc-codes">' in page
    assert '<option value="10 01 02">' in page
    assert "<optgroup" in page and 'value="ash"' in page


def test_listing_create_without_a_site_prompts_to_add_one_first(client):
    user = UserFactory()
    MembershipFactory(user=user, company=CompanyFactory())
    client.force_login(user)

    response = client.get(reverse("matching:listing_create"))

    assert response.status_code == 200
    assert reverse("accounts:site_create") in response.content.decode()
    assert 'name="title"' not in response.content.decode()


def test_dashboard_without_listings_shows_a_friendly_empty_state(client):
    user = UserFactory()
    MembershipFactory(user=user, company=CompanyFactory())
    client.force_login(user)

    page = client.get(reverse("matching:dashboard")).content.decode()

    assert "No listings yet" in page
    assert reverse("accounts:site_create") in page


def test_owner_sees_partners_want_as_a_match_without_its_name(owner_client, owner, partner):
    services.listing_rematch(listing_id=owner.listing.id)
    match = Match.objects.get(offer=owner.listing, want=partner.listing)

    page = owner_client.get(reverse("matching:dashboard")).content.decode()

    assert "Fly ash for blended cement" in page
    # Alone of its sector in its town, and no region defined: the country stands for it.
    assert "Rauma" not in page
    assert 'data-label="Area">FI<' in page
    # The sector is the NACE division (23), not the firm's exact class (23.51, cement).
    assert "Manufacture of other non-metallic mineral products" in page
    assert f"{round(disclosure.rounded(match.score) * 100)}%" in page
    assert "EWC entry 10 01 02, 40–45 km" in page  # the engine's "43 km", banded
    assert f"{round(match.distance_km)} km" not in page
    assert "Kallio Cement" not in page


def test_listing_detail_lists_every_match_with_components_and_dismiss_form(
    owner_client, owner, partner
):
    _matched(owner, partner)

    response = owner_client.get(reverse("matching:listing_detail", args=[owner.listing.pk]))

    page = response.content.decode()
    assert response.status_code == 200
    assert "Fly ash for blended cement" in page
    assert "Kallio Cement" not in page
    assert 'class="bar"' in page
    labels = [component.label for component in response.context["rows"][0].components]
    assert labels[:3] == ["Material", "Waste code", "Category"]
    assert "Distance" in labels
    assert 'name="reason"' in page
    assert "Not the right material" in page


def test_partner_sees_the_offer_from_its_side_anonymised(client, owner, partner):
    _matched(owner, partner)
    client.force_login(partner.user)

    page = client.get(reverse("matching:listing_detail", args=[partner.listing.pk]))

    assert "Coal fly ash" in page.content.decode()
    assert "Harbour Power" not in page.content.decode()


def test_outsider_cannot_read_listing(client, owner, outsider):
    client.force_login(outsider.user)
    pk = owner.listing.pk
    assert client.get(reverse("matching:listing_detail", args=[pk])).status_code == 404
    assert client.get(reverse("matching:listing_edit", args=[pk])).status_code == 404
    response = client.post(reverse("matching:listing_status", args=[pk]), {"status": "closed"})
    assert response.status_code == 404
    owner.listing.refresh_from_db()
    assert owner.listing.status == Listing.Status.ACTIVE


def test_outsider_cannot_dismiss_anothers_match(client, owner, partner, outsider):
    match = _matched(owner, partner)
    client.force_login(outsider.user)
    response = client.post(
        reverse("matching:match_dismiss", args=[match.pk]), {"reason": "distance"}
    )
    assert response.status_code == 404
    assert not MatchDismissal.objects.exists()


def test_dismiss_hides_the_match_and_survives_a_full_rematch(owner_client, owner, partner):
    match = _matched(owner, partner)
    detail = reverse("matching:listing_detail", args=[owner.listing.pk])

    response = owner_client.post(
        reverse("matching:match_dismiss", args=[match.pk]),
        {"reason": "quality", "note": "We need class F ash", "next": detail},
    )

    assert response.status_code == 302 and response.url == detail
    dismissal = MatchDismissal.objects.get(company=owner.company)
    assert (dismissal.reason, dismissal.note) == ("quality", "We need class F ash")
    services.match_rematch_all()
    assert Match.objects.filter(offer=owner.listing, want=partner.listing).exists()
    assert "Fly ash for blended cement" not in owner_client.get(detail).content.decode()
    dashboard = owner_client.get(reverse("matching:dashboard")).content.decode()
    assert "Fly ash for blended cement" not in dashboard


def test_dismiss_without_reason_keeps_the_match(owner_client, owner, partner):
    match = _matched(owner, partner)
    response = owner_client.post(reverse("matching:match_dismiss", args=[match.pk]), {})
    assert response.status_code == 302
    assert not MatchDismissal.objects.exists()


def test_dismiss_ignores_an_offsite_next_url(owner_client, owner, partner):
    match = _matched(owner, partner)
    response = owner_client.post(
        reverse("matching:match_dismiss", args=[match.pk]),
        {"reason": "distance", "next": "https://evil.example/"},
    )
    assert response.url == reverse("matching:dashboard")


def test_pause_and_reactivate_a_listing(owner_client, owner, partner):
    _matched(owner, partner)
    url = reverse("matching:listing_status", args=[owner.listing.pk])

    owner_client.post(url, {"status": "paused"})
    owner.listing.refresh_from_db()
    assert owner.listing.status == Listing.Status.PAUSED
    services.listing_rematch(listing_id=owner.listing.id)
    assert not Match.objects.filter(offer=owner.listing).exists()

    owner_client.post(url, {"status": "active"})
    owner.listing.refresh_from_db()
    assert owner.listing.status == Listing.Status.ACTIVE


def test_status_change_needs_post(owner_client, owner):
    url = reverse("matching:listing_status", args=[owner.listing.pk])
    assert owner_client.get(url).status_code == 405


def test_listing_edit_keeps_the_kind_and_saves_changes(owner_client, owner):
    url = reverse("matching:listing_edit", args=[owner.listing.pk])
    form = owner_client.get(url).context["form"]
    assert form.fields["kind"].disabled
    assert form.initial["ewc_code"] == "10 01 02"

    response = owner_client.post(
        url, _offer_form(owner.site, kind="want", title="Coal fly ash, dry", quantity="4000",
                         unit="t", frequency="yearly", ewc_code="100102", category="ash"),
    )

    assert response.status_code == 302
    owner.listing.refresh_from_db()
    assert owner.listing.title == "Coal fly ash, dry"
    assert owner.listing.kind == Listing.Kind.OFFER
    assert owner.listing.amount_per_year == pytest.approx(4000.0)


def test_listing_edit_with_bad_input_shows_error_and_changes_nothing(owner_client, owner):
    url = reverse("matching:listing_edit", args=[owner.listing.pk])
    response = owner_client.post(url, _offer_form(owner.site, ewc_code="123"))
    assert response.status_code == 200
    assert response.context["form"].errors.get("ewc_code")
    owner.listing.refresh_from_db()
    assert owner.listing.title == "Coal fly ash"


def test_dashboard_paginates_past_twenty_listings(owner_client, owner):
    ListingFactory.create_batch(
        21, company=owner.company, site=owner.site, title="Pallet wood"
    )

    first = owner_client.get(reverse("matching:dashboard"))
    second = owner_client.get(reverse("matching:dashboard"), {"page": 2})

    assert len(first.context["rows"]) == 20
    assert first.context["page"].paginator.num_pages == 2
    assert 'rel="next"' in first.content.decode()
    assert len(second.context["rows"]) == 2


def test_dashboard_filters_by_search_kind_and_status(owner_client, owner):
    ListingFactory(company=owner.company, site=owner.site, title="Spent pickling acid",
                   status=Listing.Status.PAUSED)
    ListingFactory(company=owner.company, site=owner.site, kind="want", title="Process steam")
    url = reverse("matching:dashboard")

    def titles(**params):
        return {row.listing.title for row in owner_client.get(url, params).context["rows"]}

    assert titles(q="pickling") == {"Spent pickling acid"}
    assert titles(kind="want") == {"Process steam"}
    assert titles(status="paused") == {"Spent pickling acid"}
    assert titles(q="nothing like this") == set()


def test_dashboard_does_not_show_other_firms_listings(client, owner, outsider):
    ListingFactory(company=outsider.company, site=outsider.site, title="Rye bran")
    client.force_login(owner.user)
    assert "Rye bran" not in client.get(reverse("matching:dashboard")).content.decode()


@pytest.mark.parametrize("model", ["listing", "match", "matchdismissal"])
def test_admin_changelists_load_for_superuser(client, owner, partner, model):
    match = _matched(owner, partner)
    services.match_dismiss(match=match, company=owner.company, user=owner.user, reason="other")
    admin = User.objects.create_superuser(email="admin@example.com", password=PASSWORD)
    client.force_login(admin)

    assert client.get(reverse(f"admin:matching_{model}_changelist")).status_code == 200
    obj = {"listing": owner.listing, "match": match,
           "matchdismissal": MatchDismissal.objects.get()}[model]
    assert client.get(reverse(f"admin:matching_{model}_change", args=[obj.pk])).status_code == 200
