"""Issue 19, bounded work per request: text limits, the engine's bounded read, SQLite in
WAL mode, and a site PATCH that changes nothing queuing nothing."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse

from accounts import services as account_services
from matching import services
from matching.engine import MAX_DESCRIPTION_CHARS, MAX_TITLE_CHARS
from matching.models import Listing
from matching.services.records import active_records, listing_to_record
from tests.api.conftest import client_for

pytestmark = pytest.mark.django_db

ROOT = Path(__file__).resolve().parents[2]


def _offer(site_id: int, **overrides) -> dict:
    body = {"kind": "offer", "site": site_id, "title": "Fly ash", "category": "ash",
            "max_distance_km": 80}
    body.update(overrides)
    return body


def test_api_refuses_a_description_over_the_limit_naming_it(owner):
    response = client_for(owner.user).post(
        reverse("api:listing-list"),
        _offer(owner.site.id, description="x" * (MAX_DESCRIPTION_CHARS + 1)), format="json",
    )
    assert response.status_code == 400
    message = response.json()["error"]["fields"]["description"][0]
    assert "5000" in message


def test_api_refuses_a_title_over_200_characters(owner):
    response = client_for(owner.user).post(
        reverse("api:listing-list"), _offer(owner.site.id, title="t" * 201), format="json",
    )
    assert response.status_code == 400
    assert "200" in response.json()["error"]["fields"]["title"][0]


def test_service_refuses_a_long_description_and_never_cuts_it(owner):
    with pytest.raises(ValidationError) as caught:
        services.listing_create(
            company=owner.company, user=owner.user,
            data=_offer(owner.site, description="y" * (MAX_DESCRIPTION_CHARS + 1)),
        )
    assert "5000" in str(caught.value.message_dict["description"])
    ok = services.listing_create(
        company=owner.company, user=owner.user,
        data=_offer(owner.site, description="y" * MAX_DESCRIPTION_CHARS),
    )
    assert len(Listing.objects.get(pk=ok.pk).description) == MAX_DESCRIPTION_CHARS


def test_portal_form_refuses_a_long_description(owner, client):
    client.force_login(owner.user)
    response = client.post(reverse("matching:listing_create"), {
        **_offer(owner.site.id, description="z" * (MAX_DESCRIPTION_CHARS + 1)),
        "frequency": "yearly", "status": "active",
    })
    assert response.status_code == 200  # the form again, with the error
    assert "at most 5000 characters" in response.content.decode()
    assert not Listing.objects.filter(description__startswith="zzz").exists()


def test_company_description_is_limited_in_the_service(owner):
    with pytest.raises(ValidationError) as caught:
        account_services.company_update(company=owner.company, user=owner.user,
                                        data={"description": "c" * 5001})
    assert "5000" in str(caught.value.message_dict["description"])


def test_site_fields_are_limited_in_the_service(owner):
    with pytest.raises(ValidationError) as caught:
        account_services.site_create(company=owner.company, name="n" * 201, city="Oulu",
                                     country="FI", latitude=65.0, longitude=25.5)
    assert "200" in str(caught.value.message_dict["name"])


def test_the_engine_reads_a_bounded_part_of_whatever_is_stored(owner):
    # Rows stored before the limit existed (or written around it) are still bounded.
    Listing.objects.filter(pk=owner.listing.pk).update(
        description="fly ash " * 125_000  # 1 MB
    )
    listing = Listing.objects.select_related("site", "company").get(pk=owner.listing.pk)
    record = listing_to_record(listing)
    assert len(record.description) == MAX_DESCRIPTION_CHARS
    assert len(record.title) <= MAX_TITLE_CHARS
    (from_rows,) = [r for r in active_records() if r.id == listing.pk]
    assert from_rows == record


def test_a_long_stored_description_is_matched_quickly(owner, partner):
    import time

    Listing.objects.filter(pk=owner.listing.pk).update(description="fly ash silo " * 80_000)
    started = time.perf_counter()
    services.listing_rematch(listing_id=owner.listing.pk)
    # Unbounded, this 1 MB description took minutes (issue 19); bounded, a moment.
    assert time.perf_counter() - started < 30


def test_sqlite_runs_in_wal_mode(tmp_path):
    env = {**os.environ, "DATABASE_URL": f"sqlite:///{tmp_path / 'db.sqlite3'}",
           "DJANGO_SETTINGS_MODULE": "symbiosis.settings"}
    code = ("import django; django.setup(); from django.db import connection;"
            "c = connection.cursor(); c.execute('PRAGMA journal_mode');"
            "print(c.fetchone()[0])")
    out = subprocess.run([sys.executable, "-c", code], env=env, cwd=ROOT, check=True,
                         capture_output=True, text=True).stdout.strip()
    assert out == "wal"


@pytest.fixture
def queued(monkeypatch):
    ids: list[int] = []
    monkeypatch.setattr(services, "listing_queue_rematch",
                        lambda *, listing_id: ids.append(listing_id))
    return ids


def test_a_site_patch_that_changes_nothing_queues_nothing(
    owner, queued, django_capture_on_commit_callbacks
):
    api = client_for(owner.user)
    url = reverse("api:site-detail", args=[owner.site.id])
    site = api.get(url).json()
    with django_capture_on_commit_callbacks(execute=True):
        response = api.patch(url, {"name": site["name"], "city": site["city"],
                                   "latitude": site["latitude"],
                                   "longitude": site["longitude"]}, format="json")
        assert response.status_code == 200
        assert api.patch(url, {}, format="json").status_code == 200
    assert queued == []
    with django_capture_on_commit_callbacks(execute=True):
        api.patch(url, {"latitude": site["latitude"] + 0.5, "longitude": site["longitude"]},
                  format="json")
    assert queued == [owner.listing.id]
