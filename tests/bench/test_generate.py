"""The synthetic regions: deterministic, realistic, constant density, CSV round trip."""

from __future__ import annotations

import math

import numpy as np
import pytest

from bench.generate import (
    DENSITY_PER_KM2,
    generate_region,
    region_from_csv,
    region_to_csv,
    towns_within,
)
from matching.engine import Knowledge, canonical_amount, haversine_km


@pytest.fixture(scope="module")
def kb():
    return Knowledge.load()


def test_same_seed_same_region_other_seed_other_region():
    assert generate_region(300, seed=4).listings == generate_region(300, seed=4).listings
    assert generate_region(300, seed=4).listings != generate_region(300, seed=5).listings


@pytest.mark.parametrize("n", [0, 1, 257])
def test_exactly_the_requested_number_of_listings(n):
    region = generate_region(n, seed=1)
    assert len(region.listings) == n
    assert len({item.key for item in region.listings}) == n


def test_density_stays_constant_as_the_region_grows():
    small, large = generate_region(1000, seed=2), generate_region(8000, seed=2)
    for region in (small, large):
        area = math.pi * region.radius_km**2
        assert len(region.listings) / area == pytest.approx(DENSITY_PER_KM2, rel=1e-9)
    # Growth comes from more towns and sites, not from more listings per site.
    assert large.towns > 4 * small.towns
    per_site = [len(r.listings) / len(r.sites) for r in (small, large)]
    assert per_site[1] == pytest.approx(per_site[0], rel=0.15)


def test_sites_cluster_around_real_towns_inside_the_region():
    region = generate_region(2000, seed=3)
    towns = towns_within(region.centre, region.radius_km)
    t_lat = np.array([t.lat for t in towns])
    t_lon = np.array([t.lon for t in towns])
    for site in region.sites:
        nearest = float(np.min(haversine_km(site.lat, site.lon, t_lat, t_lon)))
        assert nearest < 30.0
        assert site.city in {t.name for t in towns}


def test_listings_are_valid_for_the_listing_form(kb):
    region = generate_region(1500, seed=6)
    kinds = {item.kind for item in region.listings}
    assert kinds == {"offer", "want"}
    with_code = [item for item in region.listings if item.ewc_code]
    assert len(with_code) > 300
    for item in region.listings:
        assert not item.category or item.category in kb.categories
        assert not item.ewc_code or item.ewc_code in kb.ewc
        # A starred code marks an offer hazardous, as the listing service does.
        assert item.hazardous == (item.kind == "offer" and kb.is_hazardous(item.ewc_code))
        assert 1 <= item.max_distance_km <= 2000
        if item.quantity is not None:
            canonical_amount(quantity=item.quantity, unit=item.unit, frequency=item.frequency)
        if item.available_from and item.available_until:
            assert item.available_from <= item.available_until
    # Texts name materials in the words of the knowledge base, when there is one.
    if kb.materials:
        terms = {t for m in kb.materials.values() for t in m.terms}
        named = sum(any(t in item.title.lower() for t in terms) for item in region.listings)
        assert named > len(region.listings) / 3


def test_csv_round_trip_keeps_what_the_matcher_reads(tmp_path):
    region = generate_region(120, seed=8)
    path = tmp_path / "listings.csv"
    region_to_csv(region, path)
    again = region_from_csv(path)
    for a, b in zip(region.records(), again.records(), strict=True):
        assert (a.id, a.kind, a.title, a.description, a.ewc_code, a.max_km) == (
            b.id, b.kind, b.title, b.description, b.ewc_code, b.max_km)
        assert (a.lat, a.lon) == (b.lat, b.lon)
        assert a.amount_per_year == pytest.approx(b.amount_per_year) if a.amount_per_year else (
            b.amount_per_year is None)


def test_csv_with_missing_columns_is_refused(tmp_path):
    path = tmp_path / "bad.csv"
    path.write_text("id,kind,title\n1,offer,Ash\n")
    with pytest.raises(ValueError, match="missing columns"):
        region_from_csv(path)
