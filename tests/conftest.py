"""Shared fixtures: personas, fast hashing, in-process tasks, a model store and clean caches
per test, and the skip rules.

Personas: ``owner`` (a firm with a fly-ash offer), ``partner`` (a cement works nearby
that wants it), ``outsider`` (an unrelated firm) and ``reviewer`` (agency staff).
"""

from __future__ import annotations

import os
from dataclasses import dataclass

import pytest

from tests.browser.fixtures import browser  # noqa: F401 - one Chromium per session
from tests.factories import (
    PASSWORD,
    AgencyMembershipFactory,
    CompanyFactory,
    ListingFactory,
    MembershipFactory,
    SiteFactory,
    UserFactory,
)


def pytest_collection_modifyitems(config, items):
    from django.conf import settings

    on_postgres = settings.DATABASES["default"]["ENGINE"].endswith("postgresql")
    has_redis = bool(os.environ.get("REDIS_URL") or os.environ.get("CELERY_BROKER_URL"))
    skip_pg = pytest.mark.skip(reason="needs PostgreSQL: set DATABASE_URL=postgres://...")
    skip_redis = pytest.mark.skip(reason="needs Redis and a real worker: set REDIS_URL=redis://...")
    for item in items:
        if "postgres" in item.keywords and not on_postgres:
            item.add_marker(skip_pg)
        if "redis" in item.keywords and not has_redis:
            item.add_marker(skip_redis)


@pytest.fixture(autouse=True)
def _fast_and_in_process(settings):
    """Cheap password hashing; Celery tasks run in-process unless a test starts a worker."""
    from symbiosis.celery import app

    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    previous = app.conf.task_always_eager
    app.conf.task_always_eager = True
    yield
    app.conf.task_always_eager = previous


def _clear_per_test_caches() -> None:
    """Forget what one test may leave in this process for the next.

    The model store's cache and the single-listing delta follow the database and the model
    folder, which change per test; NACE titles follow ``settings.DATA_DIR``; Django's
    local-memory caches hold whatever a test put there. The engine's caches stay: the
    knowledge base and the EWC suggester are keyed by their data folder and read-only, and
    the rest (stems, token lists) are pure functions of their arguments, so none can carry
    one test's state into another, and refitting them would cost seconds per test.
    """
    from django.core.cache import caches
    from django.core.cache.backends.locmem import LocMemCache

    from matching import catalogue, modelstore
    from matching.services import rematch

    modelstore.clear_cache()
    rematch._delta_cache.clear()
    catalogue.nace_titles.cache_clear()
    # Django's in-process caches (throttle counts, say); a shared cache server is left alone:
    # clearing it would also empty what other processes keep there.
    for cache in caches.all(initialized_only=True):
        if isinstance(cache, LocMemCache):
            cache.clear()


@pytest.fixture(autouse=True)
def _cache_of_its_own(settings, request):
    """Each test gets a local-memory cache of its own (throttle counts, say).

    Local memory even where REDIS_URL points the cache at Redis: clearing that would flush
    the broker's database too. tests/api/test_throttles.py checks the Redis cache itself.
    """
    settings.CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.locmem.LocMemCache",
            "LOCATION": request.node.nodeid,
        }
    }


@pytest.fixture(autouse=True)
def model_store(settings, tmp_path):
    """A model folder of this test's own (``settings.MATCH_MODEL_DIR``), and clean caches.

    Without it tests would share ``var/models`` with each other and with ``make run``, and
    a model fitted by one test could answer the next.
    """
    settings.MATCH_MODEL_DIR = str(tmp_path / "models")
    _clear_per_test_caches()
    yield tmp_path / "models"
    _clear_per_test_caches()


@dataclass
class Persona:
    user: object
    company: object
    site: object
    password: str = PASSWORD


def _persona(*, email: str, company_name: str, nace: str, city: str, lat: float, lon: float):
    user = UserFactory(email=email)
    company = CompanyFactory(name=company_name, nace_code=nace)
    MembershipFactory(user=user, company=company)
    site = SiteFactory(company=company, name=f"{company_name} works", city=city,
                       latitude=lat, longitude=lon)
    return Persona(user=user, company=company, site=site)


@pytest.fixture
def owner(db):
    """A power plant offering coal fly ash in Pori."""
    persona = _persona(email="owner@power.example", company_name="Harbour Power Oy",
                       nace="35.11", city="Pori", lat=61.4851, lon=21.7974)
    persona.listing = ListingFactory(company=persona.company, site=persona.site)
    return persona


@pytest.fixture
def partner(db):
    """A cement works 30 km away that wants a clinker substitute."""
    persona = _persona(email="buyer@cement.example", company_name="Kallio Cement Oy",
                       nace="23.51", city="Rauma", lat=61.1272, lon=21.5112)
    persona.listing = ListingFactory(
        company=persona.company, site=persona.site, kind="want",
        title="Fly ash for blended cement",
        description="We take pozzolanic fly ash to replace part of the clinker in CEM II.",
        quantity=3000, amount_per_year=3000.0,
    )
    return persona


@pytest.fixture
def outsider(db):
    """A firm with no part in the match."""
    return _persona(email="other@bakery.example", company_name="Leipomo Outsider Oy",
                    nace="10.71", city="Turku", lat=60.4518, lon=22.2666)


@pytest.fixture
def reviewer(db):
    """Staff of the regional agency covering Satakunta."""
    membership = AgencyMembershipFactory(user=UserFactory(email="reviewer@agency.example"))
    return membership
