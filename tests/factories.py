"""factory_boy factories for the domain models."""

from __future__ import annotations

import factory

from accounts.models import Agency, AgencyMembership, Company, Membership, Region, Site, User
from matching.models import Listing

PASSWORD = "correct-horse-battery-staple"


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = User
        skip_postgeneration_save = True

    email = factory.Sequence(lambda n: f"user{n}@example.com")
    full_name = factory.Faker("name")
    password = factory.PostGenerationMethodCall("set_password", PASSWORD)

    @factory.post_generation
    def _save(obj, create, extracted, **kwargs):  # noqa: N805
        if create:
            obj.save()


class CompanyFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Company

    name = factory.Sequence(lambda n: f"Firm {n} Oy")
    nace_code = "23.51"


class MembershipFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Membership

    user = factory.SubFactory(UserFactory)
    company = factory.SubFactory(CompanyFactory)
    role = Membership.Role.OWNER


class SiteFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Site

    company = factory.SubFactory(CompanyFactory)
    name = factory.Sequence(lambda n: f"Works {n}")
    city = "Pori"
    country = "FI"
    latitude = 61.4851
    longitude = 21.7974


class ListingFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Listing

    kind = Listing.Kind.OFFER
    company = factory.SubFactory(CompanyFactory)
    site = factory.LazyAttribute(lambda o: SiteFactory(company=o.company))
    title = "Coal fly ash"
    description = "Dry fly ash from the electrostatic precipitators of a coal-fired boiler."
    category = "ash"
    ewc_code = "100102"
    quantity = 5000
    unit = Listing.Unit.TONNE
    frequency = Listing.Frequency.YEARLY
    amount_per_year = 5000.0
    canonical_unit = "t"
    max_distance_km = 50
    status = Listing.Status.ACTIVE


class RegionFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Region
        django_get_or_create = ("slug",)

    name = "Satakunta"
    slug = "satakunta"
    country = "FI"
    min_lat, max_lat, min_lon, max_lon = 60.8, 62.4, 20.9, 23.4


class AgencyFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Agency
        skip_postgeneration_save = True

    name = factory.Sequence(lambda n: f"Regional Agency {n}")

    @factory.post_generation
    def regions(obj, create, extracted, **kwargs):  # noqa: N805
        if create:
            obj.regions.set(extracted or [RegionFactory()])


class AgencyMembershipFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = AgencyMembership

    user = factory.SubFactory(UserFactory)
    agency = factory.SubFactory(AgencyFactory)
    role = AgencyMembership.Role.REVIEWER
