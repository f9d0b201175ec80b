"""Cold start: the E-PRTR register into unclaimed profiles with indicative listings."""

from __future__ import annotations

import csv
import hashlib
import re

import pytest
from celery.signals import task_prerun
from django.conf import settings

from accounts.models import Company, Site
from agency.facilities import mapping
from agency.facilities.services import facility_listing_plan
from agency.models import Facility
from matching import catalogue
from matching.models import Listing, Match
from symbiosis.reference import nace_title
from tests.agency.facility_helpers import (
    csv_bytes,
    preview,
    register_rows,
    run_import,
    satakunta_rows,
)
from tests.factories import AgencyMembershipFactory, RegionFactory, UserFactory

REGISTER_SHA256 = "b5516eb2f6e3106303d1fb34f2d22a476c364538f32fff16517dd2a248c4d00a"


# --- the data --------------------------------------------------------------------------


def test_register_file_is_the_one_its_provenance_describes():
    """The copy in the repository is the file PROVENANCE.md describes, byte for byte."""
    path = settings.DATA_DIR / "eprtr-finland" / "facilities.csv"
    assert hashlib.sha256(path.read_bytes()).hexdigest() == REGISTER_SHA256
    provenance = (settings.DATA_DIR / "eprtr-finland" / "PROVENANCE.md").read_text()
    assert REGISTER_SHA256 in provenance


def test_every_activity_of_the_register_maps_to_a_nace_sector():
    codes = {row["eprtr_activity_code"] for row in register_rows()}
    for code in codes:
        nace = mapping.nace_for_activity(code)
        assert nace and nace_title(nace), code


def test_every_mapping_row_names_a_real_nace_code_with_its_reasoning():
    for code, (nace, why) in mapping.nace_table().items():
        assert mapping.is_activity(code), code
        assert nace_title(nace), (code, nace)
        assert len(why) > 10, code


@pytest.mark.parametrize(("code", "nace"), [
    ("1(c)", "35.11"), ("4(a)(viii)", "20.16"), ("4(a)(iv)", "20.14"), ("2(e)(i)", "24.4"),
    ("5(d)", "38.21"), (" 6(B) ", "17.12"), ("4(a)(xii)", "20.14"), ("99(z)", ""),
])
def test_sub_activities_inherit_their_parents_sector(code, nace):
    assert mapping.nace_for_activity(code) == nace


def test_streams_are_real_categories_and_ewc_entries_of_the_right_hazard():
    kb = catalogue.knowledge()
    for code, streams in mapping.stream_table().items():
        for slot, stream in streams.items():
            assert stream.category in kb.categories, (code, slot)
            if stream.ewc_code:
                entry = kb.ewc[stream.ewc_code]
                assert entry.hazardous is (slot == mapping.HAZARDOUS), (code, slot)
            assert stream.reasoning, (code, slot)


def test_streams_fall_back_to_the_parent_then_to_the_generic_ones():
    assert mapping.streams_for_activity("4(a)(viii)")[mapping.NON_HAZARDOUS].ewc_code == "070213"
    assert mapping.streams_for_activity("4(a)(ii)")[mapping.NON_HAZARDOUS].ewc_code == "070112"
    # Dairies name no hazardous stream of their own: maintenance oils, the fallback.
    assert mapping.streams_for_activity("8(c)")[mapping.HAZARDOUS].ewc_code == "130208"
    assert mapping.WANT in mapping.streams_for_activity("1(c)")
    assert mapping.WANT not in mapping.streams_for_activity("8(c)")  # wants never fall back


def _row(**overrides) -> dict[str, str]:
    row = dict(register_rows()[0])
    row.update(overrides)
    return row


def test_a_row_is_read_and_checked_by_column():
    good = mapping.facility_row_read(_row())
    assert not good.errors and good.activity_code == "5(d)" and good.year == 2017
    bad = mapping.facility_row_read(_row(lat="north", eprtr_activity_code="12(q)",
                                         hazardous_t="-3", year=""))
    assert set(bad.errors) == {"lat", "eprtr_activity_code", "hazardous_t", "year"}


def test_the_plan_follows_the_reported_transfers():
    row = mapping.facility_row_read(_row(eprtr_activity_code="1(c)", hazardous_t="12.5",
                                         hw_recovery_t="10", hw_disposal_t="2.5",
                                         non_hazardous_t="", nonhw_recovery_t="",
                                         nonhw_disposal_t=""))
    plan = facility_listing_plan(row=row)
    assert set(plan) == {"eprtr:hazardous", "eprtr:want"}
    offer = plan["eprtr:hazardous"]
    assert offer["hazardous"] and offer["ewc_code"] == "100116" and offer["indicative"]
    assert str(offer["quantity"]) == "12.500" and offer["unit"] == "t"
    # In words: the register's exact tonnes would name the site.
    assert "mostly to recovery" in offer["description"] and "12.5" not in offer["description"]
    closed = mapping.facility_row_read(_row(facility_status="decommissioned"))
    assert facility_listing_plan(row=closed) == {}


# --- the import ---------------------------------------------------------------------------


def _latest_rows(rows):
    latest = {}
    for row in rows:
        if int(row["year"]) >= int(latest.get(row["facility_id"], {"year": 0})["year"]):
            latest[row["facility_id"]] = row
    return latest


def test_import_makes_unclaimed_profiles_with_indicative_listings_that_get_matched(
        reviewer, partner, django_capture_on_commit_callbacks):
    rows = satakunta_rows(facilities=8)
    latest = _latest_rows(rows)
    tasks: list[str] = []

    def count(sender=None, **kwargs):
        tasks.append(sender.name)

    task_prerun.connect(count)
    try:
        job = run_import(agency=reviewer.agency, user=reviewer.user, data=csv_bytes(rows),
                         capture=django_capture_on_commit_callbacks)
    finally:
        task_prerun.disconnect(count)
    assert job.status == "done", job.error
    assert job.summary["created"] == 8 and job.summary["error"] == 0
    assert job.summary["earlier_year"] == len(rows) - 8
    # One task for the file and one rematch for all it wrote, not one per row.
    assert tasks.count("matching.tasks.run_import") == 1
    assert tasks.count("matching.tasks.match_listings") == 1
    assert "matching.tasks.match_listing" not in tasks

    facilities = Facility.objects.select_related("company", "site")
    assert {f.facility_id for f in facilities} == set(latest)
    for facility in facilities:
        row = latest[facility.facility_id]
        assert not facility.company.claimed and facility.company.name == row["name"]
        assert facility.company.nace_code == mapping.nace_for_activity(row["eprtr_activity_code"])
        assert (facility.site.latitude, facility.site.longitude) == (float(row["lat"]),
                                                                     float(row["lon"]))
        assert facility.year == int(row["year"])  # the latest year
        listings = Listing.objects.filter(company=facility.company)
        assert listings and all(listing.indicative for listing in listings)
        offers = {listing.external_id: listing for listing in listings if listing.is_offer}
        if row["hazardous_t"]:
            assert float(offers["eprtr:hazardous"].quantity) == float(row["hazardous_t"])
        if row["non_hazardous_t"]:
            assert (float(offers["eprtr:non-hazardous"].quantity)
                    == float(row["non_hazardous_t"]))
    # The firms' own want meets the estimates like any listing.
    assert Match.objects.filter(offer__indicative=True).exists()


def test_an_ash_estimate_matches_a_cement_works_want(reviewer, partner,
                                                     django_capture_on_commit_callbacks):
    # A combustion plant in Pori reporting non-hazardous transfers: bottom ash, 10 01 01.
    rows = [r for r in satakunta_rows() if r["eprtr_activity_code"] == "1(c)"
            and r["town"] == "Pori" and r["non_hazardous_t"]]
    assert rows
    run_import(agency=reviewer.agency, user=reviewer.user, data=csv_bytes(rows),
               capture=django_capture_on_commit_callbacks)
    match = Match.objects.filter(want=partner.listing, offer__indicative=True).first()
    assert match is not None and match.offer.ewc_code == "100101"


def test_importing_the_same_file_again_changes_nothing(reviewer,
                                                       django_capture_on_commit_callbacks):
    data = csv_bytes(satakunta_rows(facilities=5))
    run_import(agency=reviewer.agency, user=reviewer.user, data=data,
               capture=django_capture_on_commit_callbacks)
    before = {
        "companies": list(Company.objects.values_list("pk", "name", "claimed")),
        "sites": list(Site.objects.values_list("pk", "latitude", "longitude")),
        "listings": list(Listing.objects.order_by("pk").values_list("pk", "updated_at")),
        "facilities": list(Facility.objects.values_list("pk", "updated_at")),
    }
    again = run_import(agency=reviewer.agency, user=reviewer.user, data=data,
                       capture=django_capture_on_commit_callbacks)
    assert again.preview["counts"]["create"] == again.preview["counts"]["update"] == 0
    assert again.preview["counts"]["unchanged"] == 5
    assert again.summary["unchanged"] == 5 and again.summary["created"] == 0
    assert again.summary["updated"] == 0 and again.changed_ids == []
    after = {
        "companies": list(Company.objects.values_list("pk", "name", "claimed")),
        "sites": list(Site.objects.values_list("pk", "latitude", "longitude")),
        "listings": list(Listing.objects.order_by("pk").values_list("pk", "updated_at")),
        "facilities": list(Facility.objects.values_list("pk", "updated_at")),
    }
    assert after == before


def test_a_newer_figure_updates_the_estimate_and_a_claimed_profile_is_left_alone(
        reviewer, django_capture_on_commit_callbacks):
    every = satakunta_rows()
    with_transfers = sorted(fid for fid, row in _latest_rows(every).items()
                            if row["non_hazardous_t"] and row["facility_status"] == "functional")
    first, second = with_transfers[:2]
    rows = [r for r in every if r["facility_id"] in (first, second)]
    run_import(agency=reviewer.agency, user=reviewer.user, data=csv_bytes(rows),
               capture=django_capture_on_commit_callbacks)
    latest = _latest_rows(rows)
    changed = [dict(r) for r in rows]
    for row in changed:
        if row["year"] == latest[row["facility_id"]]["year"]:
            row["non_hazardous_t"] = "9999.0"
    Company.objects.filter(register_facility__facility_id=second).update(claimed=True)
    job = run_import(agency=reviewer.agency, user=reviewer.user, data=csv_bytes(changed),
                     capture=django_capture_on_commit_callbacks)
    assert job.summary["updated"] == 1 and job.summary["unchanged"] == 1
    updated = Listing.objects.get(company__register_facility__facility_id=first,
                                  external_id="eprtr:non-hazardous")
    assert float(updated.quantity) == 9999.0 and updated.indicative
    untouched = Listing.objects.get(company__register_facility__facility_id=second,
                                    external_id="eprtr:non-hazardous")
    assert float(untouched.quantity) == float(latest[second]["non_hazardous_t"])


def test_preview_shows_row_errors_and_writes_nothing(reviewer):
    rows = satakunta_rows(facilities=3)
    latest = sorted(_latest_rows(rows).values(), key=lambda r: r["facility_id"])
    broken = [dict(latest[0], lat="sixty-one"), dict(latest[1], eprtr_activity_code="1(zz)"),
              latest[2], dict(latest[2])]  # the last: the same facility and year twice
    job = preview(agency=reviewer.agency, user=reviewer.user, data=csv_bytes(broken))
    assert job.status == "previewed"
    assert job.preview["counts"]["error"] == 3 and job.preview["counts"]["create"] == 1
    by_row = {e["row"]: e["errors"] for e in job.row_errors}
    assert set(by_row) == {2, 3, 5}
    assert "lat" in by_row[2] and "eprtr_activity_code" in by_row[3]
    assert "appears twice" in by_row[5]["facility_id"][0]
    assert not Facility.objects.exists() and not Company.objects.filter(claimed=False).exists()


def test_facilities_outside_the_agencys_regions_are_left_out(
        db, django_capture_on_commit_callbacks):
    lapland = RegionFactory(name="Lapland", slug="lapland", min_lat=66, max_lat=69,
                            min_lon=20, max_lon=30)
    staff = AgencyMembershipFactory(user=UserFactory(), agency__regions=[lapland])
    job = run_import(agency=staff.agency, user=staff.user,
                     data=csv_bytes(satakunta_rows(facilities=3)),
                     capture=django_capture_on_commit_callbacks)
    assert job.summary["outside_regions"] == 3 and job.summary["created"] == 0
    assert not Facility.objects.exists()


def test_a_file_without_the_registers_columns_is_refused(reviewer):
    from django.core.exceptions import ValidationError

    with pytest.raises(ValidationError) as caught:
        preview(agency=reviewer.agency, user=reviewer.user,
                data=b"name,town\nSome Oy,Pori\n")
    assert re.search(r"Required column missing: facility_id", str(caught.value))


def test_whole_register_preview_counts_the_latest_year_of_each_facility(reviewer):
    """The real file as published: every facility once, its earlier years left out."""
    rows = register_rows()
    job = preview(agency=reviewer.agency, user=reviewer.user, data=csv_bytes(rows))
    counts = job.preview["counts"]
    facilities = {r["facility_id"] for r in rows}
    assert counts["error"] == 0
    assert counts["earlier_year"] == len(rows) - len(facilities)
    assert (counts["create"] + counts.get("outside_regions", 0)
            + counts.get("not_operating", 0) + counts.get("confidential", 0)) == len(facilities)
    # Inside the reviewer's box two facilities are named only "CONFIDENTIAL" (Pori 5(a),
    # Loimaa 3(g)): left out, no firm could claim them.
    assert counts["confidential"] == 2
    with open(settings.DATA_DIR / "eprtr-finland" / "facilities.csv", newline="") as handle:
        assert sum(1 for _ in csv.DictReader(handle)) == job.total


def test_a_listing_the_firm_edits_is_its_own_and_a_reimport_leaves_it(
        reviewer, django_capture_on_commit_callbacks):
    from matching import services as matching_services

    every = satakunta_rows()
    fid = sorted(f for f, r in _latest_rows(every).items()
                 if r["non_hazardous_t"] and r["facility_status"] == "functional")[0]
    rows = [r for r in every if r["facility_id"] == fid]
    run_import(agency=reviewer.agency, user=reviewer.user, data=csv_bytes(rows),
               capture=django_capture_on_commit_callbacks)
    listing = Listing.objects.get(company__register_facility__facility_id=fid,
                                  external_id="eprtr:non-hazardous")
    edited = matching_services.listing_update(listing=listing, data={"quantity": 1234},
                                              queue_rematch=False)
    assert not edited.indicative
    changed = [dict(r, non_hazardous_t="777.0") for r in rows]
    Facility.objects.filter(facility_id=fid).update(fingerprint="stale")
    job = run_import(agency=reviewer.agency, user=reviewer.user, data=csv_bytes(changed),
                     capture=django_capture_on_commit_callbacks)
    assert job.summary["updated"] == 1
    listing.refresh_from_db()
    assert float(listing.quantity) == 1234 and not listing.indicative
