"""An unknown query parameter is a 400 that names the accepted ones."""

from __future__ import annotations

import pytest
from django.urls import reverse

pytestmark = pytest.mark.django_db


def test_a_misspelt_filter_is_refused_not_ignored(owner_api, owner):
    response = owner_api.get(reverse("api:listing-list"), {"stauts": "active"})

    assert response.status_code == 400
    error = response.json()["error"]
    assert error["code"] == "unknown_parameter"
    assert error["message"].startswith("Unknown query parameter: stauts. Accepted here: ")
    for name in ("status", "kind", "search", "ordering", "page", "page_size",
                 "updated_since", "cursor"):
        assert name in error["message"]


def test_the_known_parameters_are_accepted(owner_api, owner):
    response = owner_api.get(
        reverse("api:listing-list"),
        {"status": "active", "kind": "offer", "search": "ash", "ordering": "-updated_at",
         "page": 1, "page_size": 10, "format": "json"},
    )

    assert response.status_code == 200


@pytest.mark.parametrize(
    ("url", "params", "accepted"),
    [
        (reverse("api:match-list"), {"score": "1"}, "min_score"),
        (reverse("api:ewc-code-list"), {"q": "ash"}, "search"),
        (reverse("api:ewc-code-suggest"), {"text": "fly ash", "n": "3"}, "k"),
        (reverse("api:category-list"), {"lang": "fi"}, "page_size"),
        (reverse("api:site-list"), {"city": "Pori"}, "page"),
    ],
)
def test_every_endpoint_names_what_it_accepts(owner_api, owner, url, params, accepted):
    response = owner_api.get(url, params)

    assert response.status_code == 400
    assert accepted in response.json()["error"]["message"]


def test_a_detail_takes_no_list_parameters(owner_api, owner):
    url = reverse("api:listing-detail", args=[owner.listing.id])

    assert owner_api.get(url).status_code == 200
    response = owner_api.get(url, {"page": 2})
    assert response.status_code == 400
    assert response.json()["error"]["message"].endswith("Accepted here: format.")


def test_writes_refuse_unknown_parameters_too(anonymous, owner):
    response = anonymous.post(
        reverse("api:token-obtain") + "?debug=1",
        {"email": owner.user.email, "password": owner.password},
    )

    assert response.status_code == 400
    assert "debug" in response.json()["error"]["message"]
