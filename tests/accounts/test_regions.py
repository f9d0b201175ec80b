"""Regions are places: a polygon or towns with a radius; a site is in every region holding it."""

from __future__ import annotations

import pytest
from django.core.exceptions import ValidationError

from accounts import geometry
from accounts.selectors import company_list_in_regions, site_list_in_regions
from tests.factories import RegionFactory, SiteFactory

# A triangle around Pori and Rauma; Turku (60.45, 22.27) lies outside it, and so does
# the corner of its bounding box at (61.9, 22.6).
TRIANGLE = {
    "type": "Polygon",
    "coordinates": [[[21.3, 61.0], [22.8, 61.0], [21.6, 61.9], [21.3, 61.0]]],
}


def test_point_in_polygon_and_hole():
    with_hole = {
        "type": "Polygon",
        "coordinates": [
            [[0, 0], [10, 0], [10, 10], [0, 10], [0, 0]],
            [[4, 4], [6, 4], [6, 6], [4, 6], [4, 4]],
        ],
    }
    assert geometry.boundary_contains(with_hole, 2, 2)
    assert not geometry.boundary_contains(with_hole, 5, 5)  # in the hole
    assert not geometry.boundary_contains(with_hole, 11, 5)


def test_boundary_clean_refuses_open_rings_and_swapped_ranges():
    with pytest.raises(geometry.GeometryError, match="four positions"):
        geometry.boundary_clean({"type": "Polygon", "coordinates": [[[0, 0], [1, 1], [0, 0]]]})
    with pytest.raises(geometry.GeometryError, match="Polygon or MultiPolygon"):
        geometry.boundary_clean({"type": "Point", "coordinates": [0, 0]})
    with pytest.raises(geometry.GeometryError, match="longitude, latitude"):
        geometry.boundary_clean(
            {"type": "Polygon", "coordinates": [[[0, 95], [1, 1], [2, 2], [0, 95]]]}
        )


def test_towns_within_radius():
    towns = [{"name": "Pori", "latitude": 61.4851, "longitude": 21.7974}]
    assert geometry.towns_contain(towns, 20, 61.55, 21.85)  # about 7 km
    assert not geometry.towns_contain(towns, 20, 61.1272, 21.5112)  # Rauma, about 42 km
    lat0, lat1, lon0, lon1 = geometry.towns_bbox(towns, 20)
    assert lat0 < 61.31 and lat1 > 61.66 and lon0 < 21.43 and lon1 > 22.16


@pytest.mark.django_db
def test_polygon_region_holds_sites_inside_its_shape_not_its_box():
    pori = SiteFactory(latitude=61.4851, longitude=21.7974)
    corner = SiteFactory(latitude=61.85, longitude=22.7)  # in the box, outside the triangle
    region = RegionFactory(slug="coast", name="Coast", boundary=TRIANGLE)
    box = (region.min_lat, region.max_lat, region.min_lon, region.max_lon)
    assert box == (61.0, 61.9, 21.3, 22.8)
    assert set(region.sites.all()) == {pori}
    assert corner not in region.sites.all()


@pytest.mark.django_db
def test_site_moving_changes_its_regions():
    region = RegionFactory(slug="pori", name="Pori area",
                           towns=[{"name": "Pori", "latitude": 61.4851, "longitude": 21.7974}],
                           radius_km=25)
    site = SiteFactory(latitude=60.4518, longitude=22.2666)  # Turku
    assert region not in site.regions.all()
    site.latitude, site.longitude = 61.50, 21.80
    site.save()
    assert list(site.regions.all()) == [region]
    assert site.company in company_list_in_regions(regions=[region])


@pytest.mark.django_db
def test_a_site_belongs_to_every_region_that_holds_it():
    site = SiteFactory(latitude=61.4851, longitude=21.7974)
    a = RegionFactory(slug="a", name="A", boundary=TRIANGLE)
    b = RegionFactory(slug="b", name="B", towns=[{"name": "Pori", "latitude": 61.48,
                                                   "longitude": 21.79}], radius_km=10)
    assert set(site.regions.all()) == {a, b}
    assert set(site_list_in_regions(regions=[b]).values_list("pk", flat=True)) == {site.pk}


@pytest.mark.django_db
def test_region_clean_names_the_problem():
    region = RegionFactory.build(slug="bad", name="Bad", towns=[{"name": "X"}], radius_km=10)
    with pytest.raises(ValidationError) as err:
        region.full_clean()
    assert "latitude" in str(err.value.message_dict["towns"])
