"""Agency personas: a region match between the owner and partner personas, the reviewer's
agency, a colleague and a manager of it, and staff of an agency of another region.

The ``reviewer`` fixture (tests/conftest.py) works for the agency covering Satakunta;
``lapland`` and ``lapland_staff`` work for another agency whose region (Lapland) holds
none of the Satakunta firms.
"""

from __future__ import annotations

import pytest

from accounts.models import AgencyMembership
from accounts.services import agency_consent_grant
from tests.exchanges.factories import MatchFactory
from tests.factories import (
    AgencyFactory,
    AgencyMembershipFactory,
    RegionFactory,
    UserFactory,
)


@pytest.fixture
def match(owner, partner):
    """Fly ash (Pori) for blended cement (Rauma): both in Satakunta."""
    return MatchFactory(offer=owner.listing, want=partner.listing)


@pytest.fixture
def agency(reviewer):
    return reviewer.agency


@pytest.fixture
def colleague(agency):
    """Another reviewer of the same agency."""
    return AgencyMembershipFactory(agency=agency,
                                   user=UserFactory(email="colleague@agency.example",
                                                    full_name="Cai Colleague")).user


@pytest.fixture
def lapland(db):
    """Staff of an agency whose only region is Lapland (nothing of Satakunta)."""
    region = RegionFactory(name="Lapland", slug="lapland", min_lat=66, max_lat=69,
                           min_lon=20, max_lon=30)
    return AgencyMembershipFactory(agency=AgencyFactory(name="Lapland Agency",
                                                        regions=[region]),
                                   user=UserFactory(email="staff@lapland.example"))


@pytest.fixture
def manager(reviewer):
    """A manager of the reviewer's agency."""
    return AgencyMembershipFactory(user=UserFactory(email="manager@agency.example",
                                                    full_name="Maija Manager"),
                                   agency=reviewer.agency, role=AgencyMembership.Role.MANAGER)


@pytest.fixture
def lapland_staff(db):
    """A manager of an agency covering Lapland only."""
    lapland = RegionFactory(name="Lapland", slug="lapland", min_lat=66, max_lat=69,
                            min_lon=20, max_lon=30)
    agency = AgencyFactory(name="Lapland Agency", regions=[lapland])
    return AgencyMembershipFactory(user=UserFactory(email="staff@lapland.example"),
                                   agency=agency, role=AgencyMembership.Role.MANAGER)


@pytest.fixture
def consenting(owner, reviewer):
    """The owner's firm lets the reviewer's agency keep its listings."""
    agency_consent_grant(company=owner.company, agency=reviewer.agency, user=owner.user)
    return owner
