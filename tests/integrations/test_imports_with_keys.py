"""Spreadsheet imports (matching.imports) with a company API key: the listings scope."""

from __future__ import annotations

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from matching.models import ImportJob, Listing
from tests.integrations.conftest import key_client
from tests.matching.test_imports import GOOD

pytestmark = pytest.mark.django_db


def _file() -> SimpleUploadedFile:
    return SimpleUploadedFile("erp.csv", GOOD.encode(), content_type="text/csv")


def test_a_key_with_the_listings_scope_uploads_confirms_and_acts_as_the_company(
        owner, django_capture_on_commit_callbacks):
    client, _key, _text = key_client(owner)
    created = client.post("/api/v1/imports/", {"file": _file()}, format="multipart")
    assert created.status_code == 201
    with django_capture_on_commit_callbacks(execute=True):
        assert client.post(f"/api/v1/imports/{created.json()['id']}/confirm/").status_code \
            == 202
    assert ImportJob.objects.get().company == owner.company
    assert Listing.objects.filter(company=owner.company, external_id="ERP-1").exists()


def test_a_read_only_key_can_follow_imports_but_not_upload_or_confirm(owner):
    writer, _key, _text = key_client(owner)
    job_id = writer.post("/api/v1/imports/", {"file": _file()}, format="multipart").json()["id"]
    reader, _key, _text = key_client(owner, scopes=("read",))
    assert reader.get(f"/api/v1/imports/{job_id}/").status_code == 200
    refused = reader.post("/api/v1/imports/", {"file": _file()}, format="multipart")
    assert refused.status_code == 403
    assert reader.post(f"/api/v1/imports/{job_id}/confirm/").status_code == 403
    assert ImportJob.objects.get().status == "previewed"
