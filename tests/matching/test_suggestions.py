"""EWC code suggestions served to the command, the API and the portal's listing form."""

from __future__ import annotations

import json
from io import StringIO

import pytest
from django.core.management import CommandError, call_command
from django.urls import reverse
from rest_framework.test import APIClient

from matching.models import Listing
from matching.suggestions import ewc_suggest, hazard_hint

SUGGEST_URL = reverse("api:ewc-code-suggest")
FLY_ASH = "Coal fly ash from our boiler's electrostatic precipitators"


def _run(*args) -> str:
    out = StringIO()
    call_command("suggest_ewc", *args, stdout=out)
    return out.getvalue()


# --- selector -------------------------------------------------------------------------


def test_ewc_suggest_returns_k_codes_with_a_translated_hazard_hint():
    suggestions = ewc_suggest(text="Used lead-acid batteries", k=2)

    assert [s.code for s in suggestions][:1] == ["160601"]
    assert len(suggestions) == 2
    assert hazard_hint(suggestions[0]).startswith("Yes")


def test_ewc_suggest_on_blank_text_is_empty():
    assert ewc_suggest(text="  ") == []


# --- command --------------------------------------------------------------------------


def test_command_prints_three_codes_with_descriptions_and_hazard_hints():
    output = _run(FLY_ASH)
    lines = [line for line in output.splitlines() if line[:2] in {"1.", "2.", "3."}]

    assert len(lines) == 3
    assert lines[0].startswith("1. 10 01 02")
    assert "Coal fly ash" in lines[0]
    assert output.count("Hazardous?") == 3


def test_command_json_lists_the_suggestions():
    data = json.loads(_run("Asbestos cement roof sheets", "--json"))

    assert len(data) == 3
    assert data[0]["code"] == "170605"
    assert data[0]["likely_hazardous"] == "yes"
    assert {"code", "display", "description", "score", "mirror"} <= set(data[0])


def test_command_without_text_or_file_is_an_error():
    with pytest.raises(CommandError):
        _run()


def test_evaluate_json_scores_a_file_with_known_answers(tmp_path):
    path = tmp_path / "tiny.json"
    path.write_text(json.dumps({"name": "tiny", "items": [
        {"id": "T1", "text": FLY_ASH, "codes": ["100102"]},
        {"id": "T2", "text": "Used engine oil from our lorries", "codes": ["130205", "130208"]},
        {"id": "T3", "text": FLY_ASH, "codes": ["200301"]},  # never suggested for fly ash
    ]}), encoding="utf-8")

    result = json.loads(_run("--evaluate", str(path), "--json"))

    assert result == {"top1": round(2 / 3, 4), "top3": round(2 / 3, 4), "items": 3}


def test_evaluate_rejects_a_file_without_items(tmp_path):
    path = tmp_path / "bad.json"
    path.write_text(json.dumps({"pairs": []}), encoding="utf-8")

    with pytest.raises(CommandError):
        _run("--evaluate", str(path), "--json")


# --- API ------------------------------------------------------------------------------


@pytest.fixture
def api(db) -> APIClient:
    from django.core.cache import cache

    cache.clear()  # throttle counts
    return APIClient()


def test_api_suggests_codes_without_login(api):
    response = api.get(SUGGEST_URL, {"text": FLY_ASH})

    assert response.status_code == 200
    body = response.json()
    assert body["text"] == FLY_ASH
    assert len(body["suggestions"]) == 3
    first = body["suggestions"][0]
    assert first["code"] == "100102"
    assert first["display"] == "10 01 02"
    assert first["likely_hazardous"] == "no"
    assert first["hazard_hint"]


def test_api_flags_a_mirror_entry_for_the_firm_to_decide(api):
    body = api.get(SUGGEST_URL, {"text": "Excavated soil and stones", "k": 1}).json()

    (only,) = body["suggestions"]
    assert only["mirror"] is True
    assert only["likely_hazardous"] == "depends"
    assert only["mirror_counterparts"]


def test_api_empty_text_is_a_json_400(api):
    response = api.get(SUGGEST_URL, {"text": ""})

    assert response.status_code == 400
    error = response.json()["error"]
    assert error["code"] == "invalid"
    assert "text" in error["fields"]


def test_api_missing_text_is_a_json_400(api):
    response = api.get(SUGGEST_URL)

    assert response.status_code == 400
    assert "text" in response.json()["error"]["fields"]


def test_api_k_out_of_range_is_a_400(api):
    assert api.get(SUGGEST_URL, {"text": "ash", "k": 0}).status_code == 400
    assert api.get(SUGGEST_URL, {"text": "ash", "k": 99}).status_code == 400


# --- portal ---------------------------------------------------------------------------


@pytest.fixture
def owner_client(client, owner):
    client.force_login(owner.user)
    return client


def test_portal_partial_renders_three_suggestions_with_use_buttons(owner_client):
    response = owner_client.get(reverse("matching:ewc_suggest"), {"text": FLY_ASH})

    page = response.content.decode()
    assert response.status_code == 200
    assert "<html" not in page  # a fragment, not a page
    assert page.count("data-ewc-suggestion=") == 3
    assert 'data-use-ewc="10 01 02"' in page
    assert "Use this code" in page


def test_portal_partial_without_text_shows_the_hint_only(owner_client):
    page = owner_client.get(reverse("matching:ewc_suggest")).content.decode()

    assert "data-ewc-suggestion=" not in page
    assert "Type a title or description" in page


def test_portal_partial_needs_login(client, db):
    response = client.get(reverse("matching:ewc_suggest"), {"text": FLY_ASH})

    assert response.status_code == 302


def test_listing_form_has_the_suggestion_box(owner_client):
    page = owner_client.get(reverse("matching:listing_create")).content.decode()

    assert "data-ewc-suggest" in page
    assert reverse("matching:ewc_suggest") in page


def test_edit_form_shows_suggestions_for_the_saved_text(owner_client, owner):
    owner.listing.title = "Coal fly ash"
    owner.listing.save()

    page = owner_client.get(
        reverse("matching:listing_edit", args=[owner.listing.pk])
    ).content.decode()

    assert 'data-ewc-suggestion="100102"' in page


def _form_data(site, **overrides) -> dict:
    data = {
        "kind": "offer", "site": site.pk, "title": "Brewers' spent grain",
        "description": "Wet spent grain from our brewhouse.", "category": "", "ewc_code": "",
        "quantity": "5", "unit": "t", "frequency": "weekly", "available_from": "",
        "available_until": "", "physical_state": "solid", "max_distance_km": "50",
        "status": "active",
    }
    data.update(overrides)
    return data


def test_without_javascript_suggest_button_redisplays_the_form_with_suggestions(
    owner_client, owner
):
    before = Listing.objects.count()
    data = _form_data(owner.site, suggest_ewc="1")

    response = owner_client.post(reverse("matching:listing_create"), data)

    page = response.content.decode()
    assert response.status_code == 200
    assert Listing.objects.count() == before  # nothing saved
    assert 'data-ewc-suggestion="020799"' in page
    assert "Please correct" not in page


def test_without_javascript_use_button_fills_the_ewc_field_and_saving_keeps_it(
    owner_client, owner
):
    data = _form_data(owner.site, use_ewc="02 07 99")

    response = owner_client.post(reverse("matching:listing_create"), data)

    page = response.content.decode()
    assert 'name="ewc_code" value="02 07 99"' in page
    assert Listing.objects.filter(title="Brewers' spent grain").count() == 0
    # The firm confirms by saving the form as shown.
    owner_client.post(reverse("matching:listing_create"), _form_data(owner.site,
                                                                      ewc_code="02 07 99"))
    assert Listing.objects.get(title="Brewers' spent grain").ewc_code == "020799"


def test_without_javascript_use_button_on_the_edit_form_changes_nothing_until_saved(
    owner_client, owner
):
    listing = owner.listing
    saved_code = listing.ewc_code
    data = _form_data(owner.site, title=listing.title, use_ewc="10 01 01")
    data.pop("kind")  # the kind cannot change, so the edit form does not post it

    response = owner_client.post(reverse("matching:listing_edit", args=[listing.pk]), data)

    page = response.content.decode()
    listing.refresh_from_db()
    assert response.status_code == 200
    assert 'name="ewc_code" value="10 01 01"' in page
    assert listing.ewc_code == saved_code
