"""The register part of the agency demo: unclaimed profiles with indicative listings."""

from __future__ import annotations

import pytest
from django.db import transaction
from django.db.models import Q
from django.test import override_settings

from accounts.models import Company
from agency.demo import facilities as facilities_demo
from agency.models import Facility
from matching.demo.services import demo_region_load
from matching.models import ImportJob, Listing, Match

MD5 = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture(scope="module")
def loaded(django_db_setup, django_db_blocker):
    """Matching's demo region then the register part, rolled back after the module."""
    with django_db_blocker.unblock(), override_settings(PASSWORD_HASHERS=MD5):
        with transaction.atomic():
            demo_region_load()
            yield facilities_demo.facilities_demo()
            transaction.set_rollback(True)


def test_the_demo_region_has_unclaimed_profiles_with_matched_indicative_listings(loaded, db):
    assert "12 profiles" in loaded[0]
    profiles = Company.objects.filter(claimed=False, register_facility__isnull=False)
    assert profiles.count() == facilities_demo.FACILITIES
    for facility in Facility.objects.select_related("site"):
        box = facilities_demo.BOX
        assert box["min_lat"] <= facility.site.latitude <= box["max_lat"]
        assert facility.site.regions.filter(slug="satakunta").exists()
    indicative = Listing.objects.filter(indicative=True, company__in=profiles)
    assert indicative.count() >= facilities_demo.FACILITIES
    # The estimates meet the demo firms' listings.
    assert Match.objects.filter(Q(offer__in=indicative) & Q(want__indicative=False)
                                | Q(want__in=indicative) & Q(offer__indicative=False)).exists()
    assert profiles.filter(claim_domain=facilities_demo.CLAIM_DOMAIN).count() == 1


def test_a_second_run_writes_nothing(loaded, db):
    before = (ImportJob.objects.count(), Company.objects.count(), Listing.objects.count(),
              sorted(Listing.objects.values_list("pk", "updated_at")))
    facilities_demo.facilities_demo()
    after = (ImportJob.objects.count(), Company.objects.count(), Listing.objects.count(),
             sorted(Listing.objects.values_list("pk", "updated_at")))
    assert after == before
