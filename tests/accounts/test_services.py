"""Registration and sites."""

from __future__ import annotations

import pytest
from django.core.exceptions import ValidationError

from accounts import services
from accounts.models import Company, Membership, Site, User

pytestmark = pytest.mark.django_db


def test_register_creates_user_company_and_owner_membership():
    user = services.company_register(
        email="Anna@Example.com", password="a-long-enough-pass-2026",
        company_name="Satama Biogas Oy", nace_code="35.21",
    )
    assert user.email == "anna@example.com"
    membership = Membership.objects.get(user=user)
    assert membership.role == Membership.Role.OWNER
    assert membership.company.name == "Satama Biogas Oy"


def test_register_with_weak_password_saves_nothing():
    with pytest.raises(ValidationError):
        services.company_register(email="b@example.com", password="123", company_name="X Oy")
    assert not User.objects.exists() and not Company.objects.exists()


def test_register_with_bad_nace_saves_nothing():
    with pytest.raises(ValidationError) as caught:
        services.company_register(email="c@example.com", password="a-long-enough-pass-2026",
                                  company_name="X Oy", nace_code="cement")
    assert "nace_code" in caught.value.message_dict
    assert not User.objects.exists()


def test_register_twice_with_same_email_is_refused(owner):
    with pytest.raises(ValidationError) as caught:
        services.company_register(email="OWNER@power.example", password="a-long-enough-pass-2026",
                                  company_name="Copy Oy")
    assert "email" in caught.value.message_dict


def test_site_is_located_from_its_town(owner):
    site = services.site_create(company=owner.company, name="Harbour", city="harjavalta",
                                country="fi")
    assert site.country == "FI"
    assert site.latitude == pytest.approx(61.31, abs=0.05)
    assert site.longitude == pytest.approx(22.14, abs=0.05)


def test_site_accepts_town_without_accents(owner):
    site = services.site_create(company=owner.company, name="Lab", city="Jyvaskyla", country="FI")
    assert site.latitude == pytest.approx(62.24, abs=0.05)


def test_unknown_town_is_an_error_on_city_and_saves_nothing(owner):
    before = Site.objects.count()
    with pytest.raises(ValidationError) as caught:
        services.site_create(company=owner.company, name="X", city="Atlantis", country="FI")
    assert "city" in caught.value.message_dict
    assert Site.objects.count() == before


def test_given_coordinates_are_kept(owner):
    site = services.site_create(company=owner.company, name="Pier", city="Nowhere-in-atlas",
                                country="FI", latitude=61.6, longitude=21.45)
    assert (site.latitude, site.longitude) == (61.6, 21.45)


def test_moving_a_site_relocates_it_and_rematches_its_listings(owner, partner,
                                                              django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        services.site_update(site=owner.site, name=owner.site.name, city="Rovaniemi",
                             country="FI")
    owner.site.refresh_from_db()
    assert owner.site.latitude == pytest.approx(66.5, abs=0.1)
    # 600 km away now: the cement works is out of reach.
    assert not owner.listing.matches_as_offer.exists()


def _site_moved_receiver():
    from accounts import events

    received: list[int] = []

    def receiver(*, site_id, **kwargs):
        received.append(site_id)

    events.site_moved.connect(receiver, weak=False)
    return events, receiver, received


def test_a_site_that_moves_announces_it_on_commit(owner, django_capture_on_commit_callbacks):
    events, receiver, received = _site_moved_receiver()
    try:
        with django_capture_on_commit_callbacks(execute=False) as callbacks:
            services.site_update(site=owner.site, name=owner.site.name, city="Rovaniemi",
                                 country="FI")
        assert received == []  # not before the commit
        for callback in callbacks:
            callback()
        assert received == [owner.site.id]
    finally:
        events.site_moved.disconnect(receiver)


def test_a_site_that_keeps_its_coordinates_announces_nothing(
    owner, django_capture_on_commit_callbacks
):
    events, receiver, received = _site_moved_receiver()
    try:
        with django_capture_on_commit_callbacks(execute=True):
            # A new name, and the town given again with the same coordinates.
            services.site_update(site=owner.site, name="Renamed works", city=owner.site.city,
                                 country="FI", latitude=owner.site.latitude,
                                 longitude=owner.site.longitude)
            services.site_update(site=owner.site, name="Renamed again", city=owner.site.city,
                                 country="FI")
        assert received == []
        with django_capture_on_commit_callbacks(execute=True):
            services.site_update(site=owner.site, name="Pier", city=owner.site.city,
                                 country="FI", latitude=61.6, longitude=21.45)
        assert received == [owner.site.id]
    finally:
        events.site_moved.disconnect(receiver)
