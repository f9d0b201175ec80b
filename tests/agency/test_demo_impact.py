"""The impact demo part: active agreements with confirmed deliveries in the demo region
(tonnes, MWh and m³), so the dashboard and its map are populated; a second run writes
nothing."""

from __future__ import annotations

import pytest
from django.db import transaction
from django.test import override_settings

from accounts.models import Agency
from agency.demo.impact import NOTE, REVIEWER_EMAIL, impact_part
from agency.impact.summary import map_features, period_from, summary
from exchanges import demo as exchanges_demo
from exchanges.models import Agreement, Delivery
from matching.demo.services import demo_region_load

MD5 = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture(scope="module")
def loaded(django_db_setup, django_db_blocker):
    """Matching's and exchanges' demo, then the impact part twice; rolled back after."""
    with django_db_blocker.unblock(), override_settings(PASSWORD_HASHERS=MD5):
        with transaction.atomic():
            demo_region_load()
            exchanges_demo.load()
            first = impact_part()
            counts = (Agreement.objects.count(), Delivery.objects.count())
            second = impact_part()
            yield first, second, counts
            transaction.set_rollback(True)


def test_demo_region_has_active_agreements_with_confirmed_deliveries(loaded, db):
    first, _second, _counts = loaded
    assert "Impact demo: 7 active agreements" in first[0]
    demo = Agreement.objects.filter(deliveries__note=NOTE).distinct()
    assert demo.count() == 7
    assert set(demo.values_list("state", flat=True)) == {"active"}
    units = set(Delivery.objects.filter(note=NOTE).values_list("canonical_unit", flat=True))
    assert units == {"t", "MWh", "m3"}
    assert not Delivery.objects.filter(note=NOTE).exclude(state="confirmed").exists()


def test_demo_dashboard_and_map_are_populated(loaded, db):
    agency = Agency.objects.get(memberships__user__email=REVIEWER_EMAIL)
    regions = list(agency.regions.all())
    data = summary(agency=agency, regions=regions, period=period_from())
    assert data.agreements_active >= 7
    assert data.totals.quantity_t > 0 and data.totals.quantity_mwh > 0
    assert data.totals.co2e_net_t > 0
    kinds = [f["properties"]["kind"] for f in map_features(regions=regions,
                                                           impacts=data.impacts)["features"]]
    assert kinds.count("exchange") >= 7 and kinds.count("site") > 50


def test_a_second_run_writes_nothing(loaded, db):
    _first, second, counts = loaded
    assert (Agreement.objects.count(), Delivery.objects.count()) == counts
    assert "in place" in second[0]
