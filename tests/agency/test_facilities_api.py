"""The cold start's API for agency staff: the pages' permissions."""

from __future__ import annotations

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from agency.facilities import mapping
from agency.facilities.services import facility_import_row
from tests.agency.facility_helpers import csv_bytes, satakunta_rows
from tests.api.conftest import client_for
from tests.factories import AgencyMembershipFactory, RegionFactory, UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def profile(reviewer):
    rows = satakunta_rows(facilities=1)
    latest = max(rows, key=lambda r: int(r["year"]))
    return facility_import_row(row=mapping.facility_row_read(latest), agency=reviewer.agency,
                               user=reviewer.user).facility.company


def test_staff_list_their_regions_unclaimed_profiles(reviewer, profile):
    response = client_for(reviewer.user).get("/api/v1/agency/facilities/")
    assert response.status_code == 200
    [item] = response.json()["results"]
    assert item["id"] == profile.pk and item["name"] == profile.name
    assert item["claimed"] is False and item["active_listings"] >= 1
    claimed = client_for(reviewer.user).get("/api/v1/agency/facilities/", {"state": "claimed"})
    assert claimed.json()["results"] == []
    assert client_for(reviewer.user).get("/api/v1/agency/facilities/",
                                         {"stat": "x"}).status_code == 400


def test_firms_and_other_agencies_get_nothing(partner, profile):
    assert client_for(partner.user).get("/api/v1/agency/facilities/").status_code == 403
    assert client_for(partner.user).post(
        f"/api/v1/agency/facilities/{profile.pk}/claim/", {}).status_code == 403
    lapland = RegionFactory(name="Lapland", slug="lapland", min_lat=66, max_lat=69,
                            min_lon=20, max_lon=30)
    other = AgencyMembershipFactory(user=UserFactory(), agency__regions=[lapland])
    api = client_for(other.user)
    assert api.get("/api/v1/agency/facilities/").json()["results"] == []
    assert api.post(f"/api/v1/agency/facilities/{profile.pk}/claim/", {}).status_code == 404
    profile.refresh_from_db()
    assert not profile.claimed


def test_staff_enter_the_domain_and_claim_for_the_firm(reviewer, profile):
    api = client_for(reviewer.user)
    response = api.post(f"/api/v1/agency/facilities/{profile.pk}/domain/",
                        {"claim_domain": "Firm.Example"}, format="json")
    assert response.status_code == 200 and response.json()["claim_domain"] == "firm.example"
    bad = api.post(f"/api/v1/agency/facilities/{profile.pk}/domain/",
                   {"claim_domain": "not a domain"}, format="json")
    assert bad.status_code == 400
    response = api.post(f"/api/v1/agency/facilities/{profile.pk}/claim/",
                        {"owner_email": "boss@firm.example"}, format="json")
    assert response.status_code == 200 and response.json()["claimed"] is True
    assert response.json()["claims"][0]["via"] == "agency"


def test_upload_preview_confirm_and_progress(reviewer, django_capture_on_commit_callbacks):
    api = client_for(reviewer.user)
    data = csv_bytes(satakunta_rows(facilities=2))
    response = api.post("/api/v1/agency/facility-imports/",
                        {"file": SimpleUploadedFile("r.csv", data, "text/csv")},
                        format="multipart")
    assert response.status_code == 201, response.content
    job = response.json()
    assert job["status"] == "previewed" and job["preview_counts"]["create"] == 2
    with django_capture_on_commit_callbacks(execute=True):
        confirmed = api.post(f"/api/v1/agency/facility-imports/{job['id']}/confirm/")
    assert confirmed.status_code == 202
    done = api.get(f"/api/v1/agency/facility-imports/{job['id']}/").json()
    assert done["status"] == "done" and done["summary"]["created"] == 2
    assert done["percent"] == 100
    listed = api.get("/api/v1/agency/facility-imports/").json()["results"]
    assert [j["id"] for j in listed] == [job["id"]]
