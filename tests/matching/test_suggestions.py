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
    data = json.loads(_run("Asbestos cement roof sheets", "--json"))["suggestions"]

    assert len(data) == 3
    assert data[0]["code"] == "170605"
    assert data[0]["likely_hazardous"] == "yes"
    assert {"code", "display", "description", "score", "mirror", "why"} <= set(data[0])


def test_command_prints_why_and_the_mirror_question():
    output = _run("Excavated soil from a garage forecourt, contaminated with diesel",
                  "--nace", "43.12")

    assert output.startswith("Mirror entry — decide: Does it contain dangerous substances")
    assert "1. 17 05 03*" in output
    assert output.count("Why:") == 3
    assert "sector NACE 43.12" in output
    assert "hazard signal hazardous constituent named: diesel (oil)" in output


def test_command_json_carries_why_and_the_source_reading():
    data = json.loads(_run("Sludge from the on-site effluent treatment", "--nace", "10.51",
                           "--json"))

    first = data["suggestions"][0]
    assert first["code"] == "020502"
    assert first["why"]["chapter_rule"].startswith("producing process: sector NACE 10.51")
    assert first["why"]["words"]
    assert data["source"] and data["not_waste"] == ""


def test_command_gives_no_code_for_steam_and_says_why():
    output = _run("Surplus steam, 4 bar, from our CHP")

    assert output.startswith("No waste code: “steam” is an energy, water or gas flow")
    assert "1." not in output
    assert json.loads(_run("Surplus steam, 4 bar", "--json"))["suggestions"] == []


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

    assert result == {"top1": round(2 / 3, 4), "top3": round(2 / 3, 4), "items": 3,
                      "no_code": 0, "wrong_mirror_side": 0}


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


def test_api_shows_a_mirror_pair_with_the_question_and_why(api):
    text = "Excavated soil from a garage forecourt, contaminated with diesel"
    body = api.get(SUGGEST_URL, {"text": text}).json()

    first, second = body["suggestions"][:2]
    assert (first["code"], second["code"]) == ("170503", "170504")
    assert first["mirror_partner"] == "170504" and second["mirror_partner"] == "170503"
    assert body["mirror_question"].startswith("Does it contain dangerous substances, e.g.")
    assert first["mirror_question"] == body["mirror_question"]
    assert set(first["why"]) == {"words", "chapter_rule", "hazard_signal"}
    assert "soil" in first["why"]["words"]
    assert "diesel" in first["why"]["hazard_signal"] and "diesel" in body["hazard_signal"]
    assert body["not_waste"] == ""


def test_api_nace_steers_the_chapter(api):
    text = "Sludge from the on-site effluent treatment"

    dairy = api.get(SUGGEST_URL, {"text": text, "k": 1, "nace": "10.51"}).json()
    brewery = api.get(SUGGEST_URL, {"text": text, "k": 1, "nace": "11.05"}).json()

    assert dairy["suggestions"][0]["code"] == "020502"
    assert brewery["suggestions"][0]["code"] == "020705"
    assert "NACE 10.51" in dairy["suggestions"][0]["why"]["chapter_rule"]
    assert dairy["source"]


def test_api_malformed_nace_is_a_400(api):
    response = api.get(SUGGEST_URL, {"text": "sludge", "nace": "food"})

    assert response.status_code == 400
    assert "nace" in response.json()["error"]["fields"]


@pytest.mark.parametrize("text", ["Waste heat, 60 °C, 3 MW", "CO2 from our fermenters",
                                  "Cooling water from the compressors"])
def test_api_gives_no_code_for_energy_water_and_co2_and_says_why(api, text):
    body = api.get(SUGGEST_URL, {"text": text}).json()

    assert body["suggestions"] == []
    assert body["not_waste"].startswith("No waste code:")


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


def test_portal_partial_shows_both_mirror_entries_with_the_question(owner_client):
    text = "Excavated soil from a garage forecourt, contaminated with diesel"
    page = owner_client.get(reverse("matching:ewc_suggest"), {"text": text}).content.decode()

    assert "data-ewc-mirror-question" in page
    assert "Does it contain dangerous substances, e.g." in page
    assert page.index('data-ewc-suggestion="170503"') < page.index('data-ewc-suggestion="170504"')
    assert 'data-ewc-mirror-partner="170504"' in page


def test_portal_partial_says_why_using_the_company_sector(owner_client):
    # The owner is a power plant (NACE 35.11): its boiler ash comes from chapter 10 01.
    page = owner_client.get(
        reverse("matching:ewc_suggest"), {"text": "Ash from the boiler"}
    ).content.decode()

    assert page.count("data-ewc-why") == 3
    assert "Chapter rule:" in page and "sector NACE 35.11" in page
    assert "Your words:" in page


def test_portal_partial_gives_no_code_for_steam(owner_client):
    page = owner_client.get(
        reverse("matching:ewc_suggest"), {"text": "Low-pressure steam from the turbine"}
    ).content.decode()

    assert "data-ewc-not-waste" in page
    assert "not a waste" in page
    assert "data-ewc-suggestion=" not in page


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
