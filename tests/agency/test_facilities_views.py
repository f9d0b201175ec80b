"""Cold start pages and disclosure: staff import and see unclaimed profiles; other firms
never see an unclaimed firm's name (pages and API), even after a contact is accepted."""

from __future__ import annotations

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import timezone

from accounts.models import CompanyClaim
from agency.facilities import mapping
from agency.facilities.services import facility_import_row
from agency.models import Facility
from exchanges import services as exchange_services
from exchanges.models import Contact, ListingDisclosure
from matching import services as matching_services
from matching.models import ImportJob, Match
from tests.agency.facility_helpers import csv_bytes, satakunta_rows
from tests.api.conftest import client_for
from tests.factories import AgencyMembershipFactory, RegionFactory, UserFactory

pytestmark = pytest.mark.django_db


def _latest(rows):
    latest = {}
    for row in rows:
        if int(row["year"]) >= int(latest.get(row["facility_id"], {"year": 0})["year"]):
            latest[row["facility_id"]] = row
    return latest


@pytest.fixture
def plant(reviewer, partner):
    """An unclaimed combustion plant in Pori, made from the register, whose bottom-ash
    estimate matches the partner's want for fly ash."""
    rows = [r for r in satakunta_rows() if r["eprtr_activity_code"] == "1(c)"
            and r["town"] == "Pori" and r["non_hazardous_t"]]
    row = next(iter(_latest(rows).values()))
    result = facility_import_row(row=mapping.facility_row_read(row), agency=reviewer.agency,
                                 user=reviewer.user)
    matching_services.match_rematch_all()
    facility = result.facility
    facility.match = Match.objects.get(want=partner.listing, offer__company=facility.company)
    return facility


# --- staff ---------------------------------------------------------------------------------


def test_staff_see_unclaimed_profiles_and_their_claim_state(client, reviewer, plant):
    client.force_login(reviewer.user)
    page = client.get(reverse("agency:facility_profiles")).content.decode()
    assert plant.company.name in page and "unclaimed" in page
    assert 'name="claim_domain"' in page
    response = client.post(reverse("agency:facility_profile_domain", args=[plant.company.pk]),
                           {"claim_domain": "@PoriEnergia.example"})
    assert response.status_code == 302
    plant.company.refresh_from_db()
    assert plant.company.claim_domain == "porienergia.example"
    from accounts.claims import company_claim_request

    company_claim_request(email="anna@porienergia.example")
    page = client.get(reverse("agency:facility_profiles")).content.decode()
    assert "link sent to anna@porienergia.example" in page
    claimed = client.get(reverse("agency:facility_profiles"), {"state": "claimed"})
    assert plant.company.name not in claimed.content.decode()


def test_staff_claim_a_profile_on_the_firms_behalf(client, reviewer, plant, mailoutbox,
                                                   django_capture_on_commit_callbacks):
    client.force_login(reviewer.user)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            reverse("agency:facility_profile_claim", args=[plant.company.pk]),
            {"owner_email": "boss@porienergia.example"})
    assert response.status_code == 302
    plant.company.refresh_from_db()
    assert plant.company.claimed
    claim = CompanyClaim.objects.get(company=plant.company)
    assert claim.via == "agency" and claim.user == reviewer.user
    assert [m.to for m in mailoutbox] == [["boss@porienergia.example"]]
    page = client.get(reverse("agency:facility_profiles"), {"state": "claimed"})
    assert plant.company.name in page.content.decode()


def test_other_agencies_and_firms_cannot_see_or_act_on_the_profiles(client, plant, partner):
    lapland = RegionFactory(name="Lapland", slug="lapland", min_lat=66, max_lat=69,
                            min_lon=20, max_lon=30)
    other = AgencyMembershipFactory(user=UserFactory(), agency__regions=[lapland])
    client.force_login(other.user)
    assert plant.company.name not in client.get(
        reverse("agency:facility_profiles")).content.decode()
    assert client.post(reverse("agency:facility_profile_claim", args=[plant.company.pk]),
                       {}).status_code == 404
    client.force_login(partner.user)
    assert client.get(reverse("agency:facility_profiles")).status_code == 404
    assert client.post(reverse("agency:facility_profile_domain", args=[plant.company.pk]),
                       {"claim_domain": "x.example"}).status_code == 404
    plant.company.refresh_from_db()
    assert not plant.company.claimed and plant.company.claim_domain == ""


def test_upload_preview_confirm_and_result_through_the_pages(
        client, reviewer, django_capture_on_commit_callbacks):
    rows = satakunta_rows(facilities=3)
    latest = _latest(rows)
    broken = dict(sorted(latest.values(), key=lambda r: r["facility_id"])[0], lon="east")
    data = csv_bytes([*rows, broken])
    client.force_login(reviewer.user)
    response = client.post(reverse("agency:facility_imports"),
                           {"file": SimpleUploadedFile("eprtr.csv", data, "text/csv")})
    job = ImportJob.objects.get(kind="facilities")
    assert response.status_code == 302
    assert response["Location"] == reverse("agency:facility_import", args=[job.pk])
    page = client.get(response["Location"]).content.decode()
    assert "Confirm import" in page and 'id="row-errors"' in page
    assert "lon" in page and "earlier reporting years" in page
    assert not Facility.objects.exists()
    with django_capture_on_commit_callbacks(execute=True):
        client.post(reverse("agency:facility_import_confirm", args=[job.pk]))
    job.refresh_from_db()
    assert job.status == "done" and job.summary["created"] == 3 and job.summary["error"] == 1
    status = client.get(reverse("agency:facility_import_status", args=[job.pk])).json()
    assert status["finished"] and status["percent"] == 100
    page = client.get(reverse("agency:facility_import", args=[job.pk])).content.decode()
    assert 'id="result-counts"' in page and "Unclaimed profiles" in page
    listing = client.get(reverse("agency:facility_imports")).content.decode()
    assert "eprtr.csv" in listing and "3 new, 0 updated" in listing


def test_a_firm_cannot_open_an_agencys_import(client, reviewer, partner):
    from matching.imports import services as import_services

    job = import_services.import_job_preview(
        kind="facilities", user=reviewer.user, agency_id=reviewer.agency.pk,
        file_name="f.csv", data=csv_bytes(satakunta_rows(facilities=1)))
    client.force_login(partner.user)
    assert client.get(reverse("agency:facility_import", args=[job.pk])).status_code == 404
    assert client.post(reverse("agency:facility_import_confirm",
                               args=[job.pk])).status_code == 404
    job.refresh_from_db()
    assert job.status == "previewed"


# --- other firms -----------------------------------------------------------------------------


def _assert_hidden(text: str, facility: Facility) -> None:
    assert facility.company.name not in text
    assert facility.site.name not in text
    assert facility.site.address not in text


def test_other_firms_never_see_an_unclaimed_firms_name_on_pages(client, partner, plant):
    ListingDisclosure.objects.filter(listing=plant.match.offer).update(visibility="public")
    client.force_login(partner.user)
    for url in (reverse("matching:dashboard"),
                reverse("matching:listing_detail", args=[partner.listing.pk]),
                reverse("exchanges:match_detail", args=[plant.match.pk])):
        response = client.get(url)
        assert response.status_code == 200, url
        _assert_hidden(response.content.decode(), plant)
    detail = client.get(reverse("matching:listing_detail", args=[partner.listing.pk]))
    assert "indicative" in detail.content.decode()


def test_other_firms_never_see_an_unclaimed_firms_name_in_the_api(partner, plant):
    ListingDisclosure.objects.filter(listing=plant.match.offer).update(visibility="public")
    api = client_for(partner.user)
    response = api.get("/api/v1/matches/", {"listing": partner.listing.pk})
    assert response.status_code == 200
    [item] = [m for m in response.json()["results"] if m["id"] == plant.match.pk]
    assert item["counterpart"]["company"] is None and item["counterpart"]["indicative"]
    # A range, not the register's exact figure (which would name the site).
    exact = f"{float(plant.match.offer.quantity):,.3f}".rstrip("0").rstrip(".")
    assert "–" in item["counterpart"]["quantity"] and exact not in response.content.decode()
    _assert_hidden(response.content.decode(), plant)


def test_an_accepted_contact_still_hides_an_unclaimed_firm_until_it_is_claimed(
        client, reviewer, partner, plant):
    contact = exchange_services.contact_request(
        user=partner.user, company=partner.company, match_id=plant.match.pk,
        message="We could take your bottom ash.")
    # Nobody of an unclaimed firm can accept: as if it had been (an introduction, a race
    # with the claim), the name must still not show.
    Contact.objects.filter(pk=contact.pk).update(state=Contact.State.ACCEPTED,
                                                 accepted_at=timezone.now())
    client.force_login(partner.user)
    page = client.get(reverse("exchanges:contact_detail", args=[contact.pk]))
    assert page.status_code == 200
    _assert_hidden(page.content.decode(), plant)
    api = client_for(partner.user).get(f"/api/v1/contacts/{contact.pk}/")
    assert api.status_code == 200 and api.json()["counterpart"] is None
    _assert_hidden(api.content.decode(), plant)
    # Staff of the region see it; once claimed the partner does too.
    from accounts.claims import company_claim_by_agency

    company_claim_by_agency(company=plant.company, staff=reviewer.user)
    assert client_for(partner.user).get(
        f"/api/v1/contacts/{contact.pk}/").json()["counterpart"] == plant.company.name
