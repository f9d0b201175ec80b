"""The agency demo's firms part: manager, verified firms, consent with an on-behalf
listing, a pending invitation; a second run writes nothing."""

from __future__ import annotations

import pytest
from django.db import transaction
from django.test import override_settings

from accounts.models import AgencyConsent, AgencyMembership, Company, Region, Site, User
from agency.demo import firms as demo
from agency.models import StaffAction, StaffInvitation
from exchanges import demo as exchanges_demo
from matching.demo.services import demo_region_load
from matching.models import Listing

MD5 = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture(scope="module")
def loaded(django_db_setup, django_db_blocker):
    """Matching's and exchanges' demo, then the firms part twice; rolled back after."""
    with django_db_blocker.unblock(), override_settings(PASSWORD_HASHERS=MD5):
        with transaction.atomic():
            demo_region_load()
            exchanges_demo.load()
            first = demo.firms_part()
            counts = (StaffAction.objects.count(), Listing.objects.count(),
                      AgencyConsent.objects.count(), StaffInvitation.objects.count())
            demo.firms_part()
            again = (StaffAction.objects.count(), Listing.objects.count(),
                     AgencyConsent.objects.count(), StaffInvitation.objects.count())
            yield first, counts, again
            transaction.set_rollback(True)


def test_demo_manager_logs_in_and_manages_the_demo_agency(loaded, db):
    user = User.objects.get(email=demo.MANAGER_EMAIL)
    assert user.check_password(demo.DEMO_PASSWORD)
    assert AgencyMembership.objects.get(user=user).role == "manager"


def test_demo_firm_is_verified_and_consents_with_one_listing_entered_on_its_behalf(loaded, db):
    firm = Company.objects.get(memberships__user__email=demo.FIRM_EMAIL)
    assert firm.verified and firm.verified_by.name == demo.AGENCY_NAME
    assert AgencyConsent.objects.filter(company=firm, revoked_at__isnull=True).count() == 1
    entry = StaffAction.objects.get(kind="listing_created", company=firm)
    assert entry.listing.title == demo.ON_BEHALF_TITLE and entry.listing.company == firm


def test_demo_has_a_pending_staff_invitation(loaded, db):
    invitation = StaffInvitation.objects.get(email=demo.INVITED_EMAIL)
    assert invitation.is_open and not invitation.is_expired


def test_a_second_run_writes_nothing(loaded, db):
    _first, counts, again = loaded
    assert counts == again


def test_the_demo_region_is_towns_with_a_radius_holding_every_demo_site(loaded, db):
    region = Region.objects.get(slug="satakunta")
    assert region.shape == "towns"
    assert region.sites.count() == Site.objects.count()
