"""Clear refusals: an EWC code that is not a code, and text over its limit, are refused
with a message on every path (form, API, import, bulk), never dropped or cut."""

from __future__ import annotations

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse

from matching import rules
from matching.imports.services import import_job_preview
from matching.models import Listing
from tests.api.conftest import client_for
from tests.integrations.conftest import key_client
from tests.matching.test_views import _offer_form

pytestmark = pytest.mark.django_db

LONG_TITLE = "Fly ash " * 30  # 240 characters
NOT_A_CODE = "is not an EWC code"


def _api_listing(owner, **fields) -> dict:
    return {"kind": "offer", "site": owner.site.pk, "title": "Fly ash", "quantity": "10",
            "unit": "t", "frequency": "weekly", **fields}


def _import(owner, row: str):
    text = "external_id;kind;title;site;ewc_code\nX-1;" + row + "\n"
    return import_job_preview(kind="listings", user=owner.user, company=owner.company,
                              file_name="listings.csv", data=text.encode())


def _row_errors(job) -> str:
    return repr(job.row_errors)


@pytest.mark.parametrize("written", ["abc", "10 01 0x", "n/a", "fly ash"])
def test_an_ewc_code_that_is_not_a_code_is_refused_by_the_shared_check(written):
    with pytest.raises(ValidationError) as refused:
        rules.clean_ewc_code(written)

    assert NOT_A_CODE in str(refused.value)


@pytest.mark.parametrize("written", ["10 01 02", "10-01-02", "10.01.02", "100102", " 10 01 02 "])
def test_an_ewc_code_written_with_separators_is_accepted(written):
    assert rules.clean_ewc_code(written) == "100102"


@pytest.mark.parametrize("written", ["", "  ", "-"])
def test_a_blank_ewc_code_stays_blank(written):
    assert rules.clean_ewc_code(written) == ""


def test_the_form_refuses_an_ewc_code_typed_as_letters(client, owner):
    client.force_login(owner.user)

    response = client.post(reverse("matching:listing_create"),
                           _offer_form(owner.site, ewc_code="abc"))

    assert response.status_code == 200
    assert NOT_A_CODE in response.content.decode()
    assert not Listing.objects.filter(title="Bottom ash from biomass boiler").exists()


def test_the_api_refuses_an_ewc_code_typed_as_letters(owner):
    response = client_for(owner.user).post(reverse("api:listing-list"),
                                           _api_listing(owner, ewc_code="abc"), format="json")

    assert response.status_code == 400
    assert NOT_A_CODE in response.json()["error"]["fields"]["ewc_code"][0]


def test_an_import_row_with_an_ewc_code_typed_as_letters_carries_the_message(owner):
    job = _import(owner, "offer;Fly ash;;abc")

    assert NOT_A_CODE in _row_errors(job)


def test_a_bulk_item_with_an_ewc_code_typed_as_letters_is_refused(owner):
    client, _key, _text = key_client(owner)
    item = {"external_id": "ERP-1", "kind": "offer", "site": owner.site.pk,
            "title": "Fly ash", "ewc_code": "abc"}

    result = client.post(reverse("api:listing-bulk"), {"listings": [item]},
                         format="json").json()["results"][0]

    assert result["result"] == "error"
    assert NOT_A_CODE in result["errors"]["ewc_code"][0]


def test_the_form_refuses_a_title_over_200_characters_naming_the_limit(client, owner):
    client.force_login(owner.user)

    response = client.post(reverse("matching:listing_create"),
                           _offer_form(owner.site, title=LONG_TITLE))

    assert response.status_code == 200
    assert "at most 200 characters" in response.content.decode()
    assert not Listing.objects.filter(title__startswith="Fly ash Fly ash").exists()


def test_the_api_refuses_a_title_over_200_characters_naming_the_limit(owner):
    response = client_for(owner.user).post(
        reverse("api:listing-list"), _api_listing(owner, title=LONG_TITLE), format="json")

    assert response.status_code == 400
    assert "200" in response.json()["error"]["fields"]["title"][0]


def test_the_api_refuses_a_description_over_5000_characters_naming_the_limit(owner):
    response = client_for(owner.user).post(
        reverse("api:listing-list"), _api_listing(owner, description="x" * 5001),
        format="json")

    assert response.status_code == 400
    assert "5000" in response.json()["error"]["fields"]["description"][0].replace(",", "")


def test_an_import_row_with_a_title_over_200_characters_carries_the_limit(owner):
    job = _import(owner, f"offer;{LONG_TITLE};;")

    assert "no more than 200 characters" in _row_errors(job)


def test_a_bulk_item_with_a_title_over_200_characters_is_refused_not_cut(owner):
    client, _key, _text = key_client(owner)
    item = {"external_id": "ERP-1", "kind": "offer", "site": owner.site.pk,
            "title": LONG_TITLE}

    result = client.post(reverse("api:listing-bulk"), {"listings": [item]},
                         format="json").json()["results"][0]

    assert result["result"] == "error"
    assert "200" in result["errors"]["title"][0]
    assert not Listing.objects.filter(external_id="ERP-1").exists()


def test_the_form_lets_a_long_paste_through_to_be_refused_rather_than_cut(client, owner):
    client.force_login(owner.user)

    page = client.get(reverse("matching:listing_create")).content.decode()

    # A maxlength attribute would make the browser cut a pasted title without a word.
    title = page[page.index('name="title"') - 200:page.index('name="title"') + 200]
    description = page[page.index('name="description"') - 200:
                       page.index('name="description"') + 200]
    assert "maxlength" not in title and "maxlength" not in description
