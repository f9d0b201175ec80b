"""Agency personas for the firms, regions and staff tests.

The ``reviewer`` fixture (tests/conftest.py) works for the agency covering Satakunta;
``manager`` manages that same agency; ``lapland_staff`` works for another agency whose
region (Lapland) holds none of the Satakunta firms.
"""

from __future__ import annotations

import pytest

from accounts.models import AgencyMembership
from accounts.services import agency_consent_grant
from tests.factories import AgencyFactory, AgencyMembershipFactory, RegionFactory, UserFactory


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
