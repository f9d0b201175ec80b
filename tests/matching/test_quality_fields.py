"""Quality fields on listings: the form asks by category, the API and the import accept and
check them, the detail page shows them, the engine's records carry them."""

from __future__ import annotations

import importlib
import json
import re
from contextlib import nullcontext

import pytest
from django.db import connection
from django.urls import reverse

from matching.forms import ListingForm
from matching.imports.services import import_job_confirm, import_job_preview
from matching.models import Listing, Match
from matching.services.records import active_records, listing_to_record
from tests.api.conftest import client_for
from tests.factories import ListingFactory

pytestmark = pytest.mark.django_db

LIST_URL = reverse("api:listing-list")


def _form_data(site, **overrides) -> dict:
    data = {
        "kind": "offer", "site": site.pk, "title": "Solid recovered fuel from sorting",
        "description": "", "category": "solid-fuel", "ewc_code": "", "quantity": "",
        "unit": "", "frequency": "yearly", "physical_state": "solid",
        "max_distance_km": "80", "status": "active",
    }
    data.update(overrides)
    return data


@pytest.fixture
def owner_client(client, owner):
    client.force_login(owner.user)
    return client


@pytest.fixture
def owner_api(owner):
    return client_for(owner.user)


# --- the form ----------------------------------------------------------------------------


@pytest.mark.parametrize(("category", "asked", "not_asked"), [
    ("solid-fuel", {"calorific_mj_per_kg", "moisture_pct", "contaminants"}, set()),
    ("food-residues", {"moisture_pct", "contaminants", "certificates"},
     {"calorific_mj_per_kg", "particle_size_mm"}),
    ("ash", {"particle_size_mm", "contaminants", "certificates"},
     {"calorific_mj_per_kg", "moisture_pct"}),
    ("heat", set(), {"moisture_pct", "calorific_mj_per_kg", "particle_size_mm",
                     "contaminants", "certificates"}),
])
def test_the_form_asks_for_the_quality_fields_of_the_chosen_category(
        owner, category, asked, not_asked):
    form = ListingForm(data=_form_data(owner.site, category=category), company=owner.company)
    fields = set(form.asked_quality_fields())
    assert asked <= fields
    assert not (not_asked & fields)
    assert set(ListingForm.quality_map()[category]) == fields


def test_the_page_marks_the_asked_fields_and_carries_the_table_for_its_script(
        owner_client, owner):
    ListingFactory(company=owner.company, site=owner.site)
    listing = Listing.objects.filter(company=owner.company).latest("id")
    page = owner_client.get(reverse("matching:listing_edit", args=[listing.pk])).content.decode()
    # The owner's listing is ash: particle size asked, calorific value not.
    assert 'data-quality-field="particle_size_mm" data-asked="yes"' in page
    assert 'data-quality-field="calorific_mj_per_kg" data-asked="no"' in page
    assert '<script id="quality-fields" type="application/json">' in page
    table = json.loads(page.split('<script id="quality-fields" type="application/json">')[1]
                       .split("</script>")[0])
    assert "calorific_mj_per_kg" in table["solid-fuel"]


def test_a_field_the_category_does_not_ask_for_is_still_accepted_and_checked(owner):
    form = ListingForm(data=_form_data(owner.site, category="heat", moisture_pct="12"),
                       company=owner.company)
    assert form.is_valid(), form.errors
    assert form.cleaned_data["moisture_pct"] == 12
    form = ListingForm(data=_form_data(owner.site, category="heat", moisture_pct="130"),
                       company=owner.company)
    assert not form.is_valid()
    assert "moisture_pct" in form.errors


def test_the_form_saves_quality_fields_and_the_detail_page_shows_them(owner_client, owner):
    response = owner_client.post(reverse("matching:listing_create"), _form_data(
        owner.site, moisture_pct="14.5", calorific_mj_per_kg="19", particle_size_mm="30",
        contaminants="chlorine, PVC", certificates=["reach", "end-of-waste"]))
    assert response.status_code == 302
    listing = Listing.objects.get(title="Solid recovered fuel from sorting")
    assert (listing.moisture_pct, listing.calorific_mj_per_kg, listing.particle_size_mm) == (
        14.5, 19, 30)
    assert listing.certificates == "end-of-waste,reach"
    page = owner_client.get(response.url).content.decode()
    for text in ("14.5 %", "19 MJ/kg", "up to 30 mm", "chlorine, PVC",
                 "end-of-waste status, REACH registration"):
        assert text in page
    edit = owner_client.get(reverse("matching:listing_edit", args=[listing.pk])).content
    boxes = re.findall(r'<input type="checkbox" name="certificates" value="([a-z-]+)"[^>]*>',
                       edit.decode())
    checked = re.findall(r'<input type="checkbox" name="certificates" value="([a-z-]+)"'
                         r'[^>]*checked', edit.decode())
    assert len(boxes) == 6 and sorted(checked) == ["end-of-waste", "reach"]


def test_a_want_states_its_requirement_on_the_detail_page(owner_client, owner):
    want = ListingFactory(company=owner.company, site=owner.site, kind="want",
                          moisture_pct=20, calorific_mj_per_kg=18,
                          certificates="end-of-waste")
    page = owner_client.get(reverse("matching:listing_detail", args=[want.pk])).content
    page = page.decode()
    assert "at most 20 %" in page and "at least 18 MJ/kg" in page
    assert "Certificates required" in page


# --- the API -----------------------------------------------------------------------------


def _body(site_id: int, **overrides) -> dict:
    body = {"kind": "offer", "site": site_id, "title": "Wood chips, bark",
            "category": "wood", "max_distance_km": 80}
    body.update(overrides)
    return body


def test_the_api_accepts_and_returns_quality_fields(owner_api, owner):
    response = owner_api.post(LIST_URL, _body(
        owner.site.pk, moisture_pct=35, calorific_mj_per_kg=11.5, particle_size_mm=50,
        contaminants="stones, soil", certificates="Sustainability; end-of-waste"),
        format="json")
    assert response.status_code == 201, response.json()
    body = response.json()
    assert body["moisture_pct"] == 35 and body["calorific_mj_per_kg"] == 11.5
    assert body["particle_size_mm"] == 50 and body["contaminants"] == "stones, soil"
    assert body["certificates"] == "end-of-waste,sustainability"


@pytest.mark.parametrize(("field", "value", "message"), [
    ("moisture_pct", 101, "less than or equal to 100"),
    ("calorific_mj_per_kg", 0, "greater than or equal to 0.1"),
    ("particle_size_mm", -1, "greater than or equal to 0.001"),
    ("contaminants", "x" * 201, "no more than 200 characters"),
    ("certificates", "iso-9001", "Unknown certificate “iso-9001”; choose from: end-of-waste"),
])
def test_the_api_refuses_bad_quality_values_with_a_message_on_the_field(
        owner_api, owner, field, value, message):
    response = owner_api.post(LIST_URL, _body(owner.site.pk, **{field: value}), format="json")
    assert response.status_code == 400
    errors = response.json()
    text = json.dumps(errors, ensure_ascii=False)
    assert field in text and message in text
    assert not Listing.objects.filter(title="Wood chips, bark").exists()


# --- the import ----------------------------------------------------------------------------


def test_the_import_template_names_the_quality_columns(client, owner):
    client.force_login(owner.user)
    text = client.get(reverse("matching:import_template", args=["csv"])).content.decode(
        "utf-8-sig")
    header = text.splitlines()[-1].split(";")
    for column in ("moisture_pct", "calorific_mj_per_kg", "particle_size_mm", "contaminants",
                   "certificates"):
        assert column in header
    assert "end-of-waste, by-product, reach" in text


def test_the_import_reads_quality_columns_and_refuses_bad_ones_by_row(
        owner, django_capture_on_commit_callbacks):
    data = (
        b"external_id;kind;title;moisture_pct;calorific_mj_per_kg;certificates;contaminants\n"
        b"Q-1;offer;Refuse derived fuel;12,5;18;\"REACH, end-of-waste\";chlorine, metals\n"
        b"Q-2;want;Alternative fuel;20;;organic-ish;\n"
        b"Q-3;want;Kiln fuel;120;;;\n"
    )
    job = import_job_preview(kind="listings", user=owner.user, company=owner.company,
                             file_name="q.csv", data=data)
    errors = {e["row"]: e["errors"] for e in job.row_errors}
    assert list(errors) == [3, 4]
    assert "Unknown certificate “organic-ish”" in errors[3]["certificates"][0]
    assert "moisture_pct" in errors[4]
    with django_capture_on_commit_callbacks(execute=True):
        import_job_confirm(job=job)
    listing = Listing.objects.get(company=owner.company, external_id="Q-1")
    assert listing.moisture_pct == 12.5 and listing.calorific_mj_per_kg == 18
    assert listing.certificates == "end-of-waste,reach"
    assert listing.contaminants == "chlorine, metals"
    # The same file again: the certificates, stored in their normal form, are unchanged.
    again = import_job_preview(kind="listings", user=owner.user, company=owner.company,
                               file_name="q.csv", data=data)
    assert again.preview["counts"]["unchanged"] == 1


# --- the engine's records and the stored components ----------------------------------------


def test_records_carry_the_quality_fields_both_ways(owner):
    listing = ListingFactory(company=owner.company, site=owner.site, moisture_pct=8,
                             calorific_mj_per_kg=36, particle_size_mm=2,
                             contaminants="sulphur", certificates="reach")
    record = listing_to_record(listing)
    assert (record.moisture_pct, record.calorific_mj_per_kg, record.particle_size_mm,
            record.contaminants, record.certificates) == (8, 36, 2, "sulphur", "reach")
    assert record.energy_mwh_per_t == pytest.approx(10.0)
    assert next(r for r in active_records() if r.id == listing.id) == record


class _Editor:
    """What the migration's functions use of a schema editor (SQLite's refuses to open
    inside a test's transaction)."""

    connection = connection

    def execute(self, sql: str) -> None:
        with connection.cursor() as cursor:
            cursor.execute(sql)


def test_migration_0013_gives_stored_component_lists_a_neutral_quality(owner, partner):
    match = Match.objects.create(offer=owner.listing, want=partner.listing, score=0.5,
                                 distance_km=3.0, explanation="x")
    with connection.cursor() as cursor:
        cursor.execute("UPDATE matching_match SET components = %s WHERE id = %s",
                       ["[0.1,0.2,0.3,0.4,0.5,0.6,0.7,0.8,0.9,1.0]", match.pk])
    migration = importlib.import_module("matching.migrations.0013_listing_quality")
    # PostgreSQL's schema editor works inside the test's transaction; SQLite's refuses to.
    real = connection.vendor == "postgresql"
    with connection.schema_editor() if real else nullcontext(_Editor()) as editor:
        migration.add_quality(None, editor)
    match.refresh_from_db()
    assert match.components["quality"] == 1.0 and match.components["timing"] == 1.0
    assert match.components["text"] == 0.1
    with connection.schema_editor() if real else nullcontext(_Editor()) as editor:
        migration.drop_quality(None, editor)
    with connection.cursor() as cursor:
        cursor.execute("SELECT components FROM matching_match WHERE id = %s", [match.pk])
        assert cursor.fetchone()[0] == "[0.1,0.2,0.3,0.4,0.5,0.6,0.7,0.8,0.9,1.0]"


def test_demo_listings_state_quality_where_their_texts_give_it():
    from matching.demo.data import demo_data_load

    specs = {spec.external_id: spec.fields for spec in demo_data_load().listings}
    # Planer shavings (15 % moisture) meet the pellet press's 15 % maximum; fresh
    # sawdust (55 %) does not.
    assert specs["demo-172"]["moisture_pct"] <= specs["demo-174"]["moisture_pct"]
    assert specs["demo-170"]["moisture_pct"] > specs["demo-174"]["moisture_pct"]
    assert specs["demo-131"]["particle_size_mm"] <= specs["demo-009"]["particle_size_mm"]


def test_the_quality_component_is_on_only_where_both_sides_state_a_field(owner, partner):
    from matching.quality import quality_compared

    offer, want = owner.listing, partner.listing
    assert not quality_compared(offer, want)
    offer.moisture_pct = 12
    assert not quality_compared(offer, want)
    want.contaminants = "chlorine"
    assert not quality_compared(offer, want)
    want.moisture_pct = 20
    assert quality_compared(offer, want)
    assert quality_compared(listing_to_record(offer), listing_to_record(want))
