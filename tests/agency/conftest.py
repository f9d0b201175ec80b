"""Agency fixtures: a region match between the owner and partner personas, the reviewer's
agency and a colleague, and an agency of another region."""

from __future__ import annotations

import pytest

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
