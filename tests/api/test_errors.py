"""The JSON error envelope of symbiosis.api.errors.exception_handler."""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.urls import reverse
from rest_framework.exceptions import NotFound

from symbiosis.api.errors import exception_handler


def test_django_validation_error_with_fields_becomes_400_with_field_messages():
    response = exception_handler(
        ValidationError({"quantity": "Too much.", "unit": ["Give a unit."]}), {}
    )

    assert response.status_code == 400
    assert response.data["error"]["code"] == "invalid"
    assert response.data["error"]["fields"] == {
        "quantity": ["Too much."],
        "unit": ["Give a unit."],
    }


def test_django_validation_error_without_field_is_a_non_field_error():
    response = exception_handler(ValidationError("Only a party can do that."), {})

    assert response.status_code == 400
    error = response.data["error"]
    assert error["message"] == "Only a party can do that."
    assert error["fields"] == {"non_field_errors": ["Only a party can do that."]}


def test_django_whole_object_error_is_renamed_to_non_field_errors():
    response = exception_handler(ValidationError({"__all__": ["Constraint violated."]}), {})

    assert response.data["error"]["fields"] == {"non_field_errors": ["Constraint violated."]}


def test_drf_error_keeps_its_status_and_code():
    response = exception_handler(NotFound("No such thing."), {})

    assert response.status_code == 404
    assert response.data == {
        "error": {"status": 404, "code": "not_found", "message": "No such thing.", "fields": {}}
    }


def test_unexpected_error_is_a_json_500(settings):
    settings.DEBUG = False

    response = exception_handler(RuntimeError("boom"), {"view": None})

    assert response.status_code == 500
    assert response.data["error"]["code"] == "server_error"
    assert "boom" not in str(response.data)


def test_other_companys_listing_is_a_json_404(owner_api, partner):
    response = owner_api.get(reverse("api:listing-detail", args=[partner.listing.id]))

    assert response.status_code == 404
    assert response.json()["error"]["code"] == "not_found"


def test_method_not_allowed_is_json(owner_api, owner):
    response = owner_api.delete(reverse("api:site-detail", args=[owner.site.id]))

    assert response.status_code == 405
    assert response.json()["error"]["code"] == "method_not_allowed"
