"""Managers shape their agency's regions; sites follow; reviewers and outsiders may not."""

from __future__ import annotations

import json

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from accounts.models import Region
from agency.models import StaffAction

pytestmark = pytest.mark.django_db

# Around Pori only (Rauma, 40 km south, stays out): [lon, lat] as GeoJSON has them.
PORI_POLYGON = {"type": "Polygon", "coordinates": [[
    [21.5, 61.35], [22.1, 61.35], [22.1, 61.65], [21.5, 61.65], [21.5, 61.35]]]}


def _post(region=None, **data):
    values = {"name": "Satakunta", "country": "FI", "shape": "towns", "towns": "",
              "radius_km": "", "boundary": ""}
    values.update(data)
    url = (reverse("agency:region_edit", args=[region.pk]) if region
           else reverse("agency:region_create"))
    return url, values


def test_manager_makes_the_region_towns_with_a_radius_and_sites_follow(
        client, manager, owner, partner):
    region = manager.agency.regions.get()
    client.force_login(manager.user)
    url, data = _post(region, towns="Pori", radius_km="15")
    response = client.post(url, data)
    assert response.status_code == 302, response.content.decode()[:3000]
    region.refresh_from_db()
    assert region.shape == "towns" and region.towns[0]["name"] == "Pori"
    # Pori's works lie inside 15 km; Rauma's (40 km away) no longer does.
    assert list(region.sites.values_list("pk", flat=True)) == [owner.site.pk]
    assert StaffAction.objects.filter(kind=StaffAction.Kind.REGION_CHANGED,
                                      region=region, user=manager.user).exists()
    # Scoping follows at once: the cement works drops out of the firms page.
    page = client.get(reverse("agency:firms")).content.decode()
    assert owner.company.name in page and partner.company.name not in page


def test_manager_uploads_a_geojson_boundary(client, manager, owner, partner):
    region = manager.agency.regions.get()
    client.force_login(manager.user)
    upload = SimpleUploadedFile("pori.geojson", json.dumps(
        {"type": "Feature", "properties": {}, "geometry": PORI_POLYGON}).encode(),
        content_type="application/geo+json")
    url, data = _post(region, shape="polygon", boundary_file=upload)
    assert client.post(url, data).status_code == 302
    region.refresh_from_db()
    assert region.shape == "polygon" and region.boundary["type"] == "MultiPolygon"
    assert set(region.sites.values_list("pk", flat=True)) == {owner.site.pk}


def test_broken_geojson_is_refused_with_a_clear_error(client, manager):
    region = manager.agency.regions.get()
    client.force_login(manager.user)
    url, data = _post(region, shape="polygon",
                      boundary='{"type": "Polygon", "coordinates": [[[21, 61], [22, 61]]]}')
    response = client.post(url, data)
    assert response.status_code == 200
    assert "Every ring needs at least four positions" in response.content.decode()
    url, data = _post(region, shape="polygon", boundary="{not json")
    assert "This is not valid JSON" in client.post(url, data).content.decode()


def test_an_unknown_town_is_named_in_the_error(client, manager):
    region = manager.agency.regions.get()
    client.force_login(manager.user)
    url, data = _post(region, towns="Pori\nNowheresville", radius_km="20")
    page = client.post(url, data).content.decode()
    assert "Not found in FI: Nowheresville" in page
    region.refresh_from_db()
    assert region.shape == "box"  # nothing saved


def test_towns_with_coordinates_need_no_geocoder(client, manager, owner):
    region = manager.agency.regions.get()
    client.force_login(manager.user)
    url, data = _post(region, towns="Works: 61.4851, 21.7974", radius_km="1")
    assert client.post(url, data).status_code == 302
    region.refresh_from_db()
    assert region.towns == [{"name": "Works", "latitude": 61.4851, "longitude": 21.7974}]


def test_preview_counts_the_firms_inside_without_saving(client, manager, owner, partner):
    region = manager.agency.regions.get()
    client.force_login(manager.user)
    url, data = _post(region, towns="Pori", radius_km="15", preview="1")
    page = client.post(url, data).content.decode()
    assert 'id="preview"' in page and owner.company.name in page
    assert "<strong>1</strong> site · <strong>1</strong> firm" in page
    region.refresh_from_db()
    assert region.shape == "box" and region.sites.count() == 2


def test_manager_adds_a_new_region_to_the_agency(client, manager, outsider):
    client.force_login(manager.user)
    url, data = _post(None, name="Turku area", towns="Turku", radius_km="10")
    assert client.post(url, data).status_code == 302
    region = Region.objects.get(name="Turku area")
    assert manager.agency.regions.filter(pk=region.pk).exists()
    assert region.slug == "turku-area"
    assert outsider.company.name in client.get(reverse("agency:firms")).content.decode()


def test_reviewer_sees_the_region_but_cannot_change_it(client, reviewer):
    region = reviewer.agency.regions.get()
    client.force_login(reviewer.user)
    assert client.get(reverse("agency:region_edit", args=[region.pk])).status_code == 200
    url, data = _post(region, towns="Pori", radius_km="15")
    assert client.post(url, data).status_code == 403
    assert client.get(reverse("agency:region_create")).status_code == 403
    region.refresh_from_db()
    assert region.shape == "box"


def test_staff_of_another_agency_cannot_open_or_change_the_region(client, reviewer,
                                                                   lapland_staff):
    region = reviewer.agency.regions.get()
    client.force_login(lapland_staff.user)
    assert client.get(reverse("agency:region_edit", args=[region.pk])).status_code == 404
    url, data = _post(region, towns="Pori", radius_km="15")
    assert client.post(url, data).status_code == 404


def test_regions_page_lists_sites_and_firms_per_region(client, reviewer, owner, partner):
    client.force_login(reviewer.user)
    page = client.get(reverse("agency:regions")).content.decode()
    assert "Satakunta" in page and '<td class="num">2</td>' in page
