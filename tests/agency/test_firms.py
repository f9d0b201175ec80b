"""The region's firms: the list, verification, and listings kept on a firm's behalf."""

from __future__ import annotations

import pytest
from django.core.exceptions import PermissionDenied
from django.urls import reverse

from accounts.services import agency_consent_revoke
from agency.models import StaffAction
from agency.services import firms as services
from matching.models import Listing
from tests.factories import CompanyFactory, SiteFactory

pytestmark = pytest.mark.django_db


def _listing_post(site, **extra) -> dict:
    data = {"kind": "offer", "site": site.pk, "title": "Bottom ash", "description": "",
            "category": "", "ewc_code": "", "quantity": "1200", "unit": "t",
            "frequency": "yearly", "max_distance_km": "60", "status": "active",
            "agency": ""}
    data.update(extra)
    return data


def test_reviewer_sees_the_regions_firms_with_counts_but_not_firms_elsewhere(
        client, reviewer, owner, partner, outsider):
    client.force_login(reviewer.user)
    page = client.get(reverse("agency:firms")).content.decode()
    assert owner.company.name in page and partner.company.name in page
    assert outsider.company.name not in page  # Turku lies outside Satakunta
    assert "2 firms" in page


def test_firm_list_searches_by_name_and_filters_by_sector(client, reviewer, owner, partner):
    client.force_login(reviewer.user)
    by_name = client.get(reverse("agency:firms"), {"q": "Kallio"}).content.decode()
    by_sector = client.get(reverse("agency:firms"), {"sector": "35"}).content.decode()
    assert partner.company.name in by_name and owner.company.name not in by_name
    assert owner.company.name in by_sector and partner.company.name not in by_sector


def test_firm_list_paginates(client, reviewer):
    for n in range(30):
        SiteFactory(company=CompanyFactory(name=f"Paged {n:02d} Oy"))
    client.force_login(reviewer.user)
    first = client.get(reverse("agency:firms")).content.decode()
    second = client.get(reverse("agency:firms"), {"page": 2}).content.decode()
    assert "Paged 00 Oy" in first and "Paged 29 Oy" not in first
    assert "Paged 29 Oy" in second and "Page 2 of 2" in second


def test_staff_of_another_region_get_404_for_a_firm_and_see_an_empty_list(
        client, lapland_staff, owner):
    client.force_login(lapland_staff.user)
    assert client.get(reverse("agency:firm_detail", args=[owner.company.pk])).status_code == 404
    assert owner.company.name not in client.get(reverse("agency:firms")).content.decode()
    assert client.post(reverse("agency:firm_verify", args=[owner.company.pk])).status_code == 404


def test_firm_user_cannot_open_the_firms_pages(client, owner):
    client.force_login(owner.user)
    assert client.get(reverse("agency:firms")).status_code == 404
    assert client.get(reverse("agency:firm_detail", args=[owner.company.pk])).status_code == 404


def test_reviewer_verifies_a_firm_and_who_and_when_are_recorded(client, reviewer, owner):
    client.force_login(reviewer.user)
    response = client.post(reverse("agency:firm_verify", args=[owner.company.pk]),
                           {"action": "verify"})
    assert response.status_code == 302
    owner.company.refresh_from_db()
    assert owner.company.verified and owner.company.verified_by == reviewer.agency
    assert owner.company.verified_by_user == reviewer.user and owner.company.verified_at
    action = StaffAction.objects.get(kind=StaffAction.Kind.VERIFIED)
    assert action.user == reviewer.user and action.company == owner.company
    page = client.get(reverse("agency:firm_detail", args=[owner.company.pk])).content.decode()
    assert f"verified by {reviewer.agency.name}" in page


def test_only_the_verifying_agency_withdraws_a_verification(reviewer, lapland_staff, owner):
    services.firm_verify(agency=reviewer.agency, user=reviewer.user, company=owner.company)
    # Put the owner's firm in Lapland too, so the other agency may act on it at all.
    SiteFactory(company=owner.company, latitude=67.0, longitude=25.0)
    with pytest.raises(PermissionDenied):
        services.firm_unverify(agency=lapland_staff.agency, user=lapland_staff.user,
                               company=owner.company)
    services.firm_unverify(agency=reviewer.agency, user=reviewer.user, company=owner.company)
    owner.company.refresh_from_db()
    assert not owner.company.verified and owner.company.verified_by is None


def test_on_behalf_listing_is_refused_without_the_firms_consent(client, reviewer, owner):
    client.force_login(reviewer.user)
    url = reverse("agency:firm_listing_create", args=[owner.company.pk])
    assert client.get(url).status_code == 403
    assert client.post(url, _listing_post(owner.site)).status_code == 403
    with pytest.raises(PermissionDenied):
        services.listing_create_on_behalf(agency=reviewer.agency, user=reviewer.user,
                                          company=owner.company,
                                          data={"kind": "offer", "site": owner.site,
                                                "title": "Bottom ash"})
    assert not Listing.objects.filter(title="Bottom ash").exists()


def test_staff_enter_a_listing_for_a_consenting_firm_recorded_as_on_its_behalf(
        client, reviewer, consenting):
    client.force_login(reviewer.user)
    response = client.post(reverse("agency:firm_listing_create", args=[consenting.company.pk]),
                           _listing_post(consenting.site))
    assert response.status_code == 302, response.content.decode()[:2000]
    listing = Listing.objects.get(title="Bottom ash")
    assert listing.company == consenting.company and listing.created_by == reviewer.user
    entry = StaffAction.objects.get(kind=StaffAction.Kind.LISTING_CREATED)
    assert entry.listing == listing and entry.agency == reviewer.agency
    page = client.get(reverse("agency:firm_detail",
                              args=[consenting.company.pk])).content.decode()
    assert "on the firm&#x27;s behalf" in page or "on the firm's behalf" in page


def test_staff_edit_a_consenting_firms_listing_and_the_edit_is_recorded(
        client, reviewer, consenting):
    client.force_login(reviewer.user)
    url = reverse("agency:firm_listing_edit", args=[consenting.company.pk,
                                                    consenting.listing.pk])
    response = client.post(url, _listing_post(consenting.site, title="Coal fly ash, dry"))
    assert response.status_code == 302
    consenting.listing.refresh_from_db()
    assert consenting.listing.title == "Coal fly ash, dry"
    assert StaffAction.objects.filter(kind=StaffAction.Kind.LISTING_UPDATED,
                                      listing=consenting.listing,
                                      user=reviewer.user).exists()


def test_revoked_consent_stops_on_behalf_edits(client, reviewer, consenting):
    agency_consent_revoke(company=consenting.company, agency=reviewer.agency,
                          user=consenting.user)
    client.force_login(reviewer.user)
    url = reverse("agency:firm_listing_edit", args=[consenting.company.pk,
                                                    consenting.listing.pk])
    assert client.post(url, _listing_post(consenting.site, title="Changed")).status_code == 403
    consenting.listing.refresh_from_db()
    assert consenting.listing.title == "Coal fly ash"


def test_staff_cannot_place_a_listing_at_the_firms_site_outside_their_regions(
        reviewer, consenting):
    elsewhere = SiteFactory(company=consenting.company, city="Turku", latitude=60.45,
                            longitude=22.27)
    from django.core.exceptions import ValidationError

    with pytest.raises(ValidationError):
        services.listing_create_on_behalf(
            agency=reviewer.agency, user=reviewer.user, company=consenting.company,
            data={"kind": "offer", "site": elsewhere, "title": "Slag"})


def test_consent_to_one_agency_does_not_let_another_edit(lapland_staff, consenting):
    SiteFactory(company=consenting.company, latitude=67.0, longitude=25.0)
    with pytest.raises(PermissionDenied):
        services.listing_update_on_behalf(agency=lapland_staff.agency,
                                          user=lapland_staff.user,
                                          listing=consenting.listing, data={"title": "x"})


def test_the_firm_sees_on_its_listing_page_that_the_agency_entered_it(client, reviewer,
                                                                       consenting):
    listing = services.listing_create_on_behalf(
        agency=reviewer.agency, user=reviewer.user, company=consenting.company,
        data={"kind": "offer", "site": consenting.site, "title": "Bottom ash"})
    client.force_login(consenting.user)
    page = client.get(reverse("matching:listing_detail", args=[listing.pk])).content.decode()
    assert f"Entered by {reviewer.agency.name} ({reviewer.user.get_full_name()})" in page
    own = client.get(reverse("matching:listing_detail",
                             args=[consenting.listing.pk])).content.decode()
    assert "on your behalf" not in own
