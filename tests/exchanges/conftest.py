"""Exchanges fixtures: a match between the owner and partner personas, contacts on it."""

from __future__ import annotations

import pytest

from exchanges import services
from tests.exchanges.factories import MatchFactory, terms


@pytest.fixture(autouse=True)
def _media(settings, tmp_path):
    """Attachments go to a per-test folder."""
    settings.MEDIA_ROOT = str(tmp_path / "media")


@pytest.fixture
def match(owner, partner):
    return MatchFactory(offer=owner.listing, want=partner.listing)


@pytest.fixture
def contact(match, partner):
    """The partner (the want side) asked the owner about the match."""
    return services.contact_request(user=partner.user, company=partner.company,
                                    match_id=match.pk, message="We could take your fly ash.")


@pytest.fixture
def accepted(contact, owner):
    return services.contact_accept(contact=contact, user=owner.user)


@pytest.fixture
def agreement(accepted, partner):
    return services.agreement_create(contact=accepted, user=partner.user, terms=terms())


@pytest.fixture
def signed(agreement, owner, partner):
    services.agreement_propose(agreement=agreement, user=partner.user)
    services.agreement_sign(agreement=agreement, user=partner.user, version=1)
    services.agreement_sign(agreement=agreement, user=owner.user, version=1)
    agreement.refresh_from_db()
    return agreement


@pytest.fixture
def active(signed, owner, partner):
    services.agreement_activate(agreement=signed, user=partner.user)
    services.agreement_activate(agreement=signed, user=owner.user)
    signed.refresh_from_db()
    return signed
