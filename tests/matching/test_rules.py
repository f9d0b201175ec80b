"""Each rule on a listing is checked in one place and says one thing, wherever it is broken."""

from __future__ import annotations

from datetime import date

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse

from matching import rules, services
from matching.forms import ListingForm
from tests.api.conftest import client_for
from tests.factories import ListingFactory

pytestmark = pytest.mark.django_db

BACKWARDS = {"available_from": date(2026, 5, 1), "available_until": date(2026, 4, 1)}


def _data(site, **overrides) -> dict:
    data = {"kind": "offer", "site": site, "title": "Fly ash", "description": "Dry.",
            "max_distance_km": 50, "status": "active", "frequency": "yearly"}
    data.update(overrides)
    return data


def _form_errors(owner, **overrides) -> dict:
    values = {**_data(owner.site.pk, **overrides), "category": ""}
    values = {k: ("" if v is None else v) for k, v in values.items()}
    form = ListingForm(values, company=owner.company)
    form.is_valid()
    return form.errors


def _api_errors(owner, **overrides) -> dict:
    body = {k: (str(v) if isinstance(v, date) else v)
            for k, v in _data(owner.site.pk, **overrides).items()}
    response = client_for(owner.user).post(reverse("api:listing-list"), body, format="json")
    assert response.status_code == 400
    return response.json()["error"]["fields"]


def _service_errors(owner, **overrides) -> dict:
    with pytest.raises(ValidationError) as caught:
        services.listing_create(company=owner.company, user=None,
                                data=_data(owner.site, **overrides))
    return caught.value.message_dict


def test_the_availability_window_has_one_message(owner):
    expected = [str(rules.WINDOW_MESSAGE)]

    assert _form_errors(owner, **BACKWARDS)["available_until"] == expected
    assert _api_errors(owner, **BACKWARDS)["available_until"] == expected
    assert _service_errors(owner, **BACKWARDS)["available_until"] == expected


def test_an_unknown_waste_code_has_one_message(owner):
    expected = ["“999999” is not a European List of Waste entry (six digits, e.g. 10 01 02)."]

    assert _form_errors(owner, ewc_code="99 99 99")["ewc_code"] == expected
    assert _api_errors(owner, ewc_code="99 99 99")["ewc_code"] == expected
    assert _service_errors(owner, ewc_code="99 99 99")["ewc_code"] == expected


def test_a_waste_code_is_normalised_the_same_everywhere(owner):
    form = ListingForm(
        {k: ("" if v is None else v) for k, v in
         {**_data(owner.site.pk, ewc_code="10 01 02*"), "category": ""}.items()},
        company=owner.company,
    )
    assert form.is_valid(), form.errors
    listing = services.listing_create(company=owner.company, user=None,
                                      data=_data(owner.site, ewc_code="10 01 02*"))
    response = client_for(owner.user).post(
        reverse("api:listing-list"), _data(owner.site.pk, ewc_code="10 01 02*"), format="json"
    )

    assert form.cleaned_data["ewc_code"] == listing.ewc_code == "100102"
    assert response.json()["ewc_code"] == "100102"


def test_an_external_id_clash_has_one_message(owner):
    ListingFactory(company=owner.company, site=owner.site, external_id="ERP-1")
    expected = [str(rules.EXTERNAL_ID_MESSAGE)]

    assert _api_errors(owner, external_id="ERP-1")["external_id"] == expected
    assert _service_errors(owner, external_id="ERP-1")["external_id"] == expected


def test_the_own_external_id_is_no_clash_on_update(owner):
    listing = ListingFactory(company=owner.company, site=owner.site, external_id="ERP-1")

    services.listing_update(listing=listing, data={"external_id": "ERP-1", "title": "New"})

    listing.refresh_from_db()
    assert listing.title == "New"
