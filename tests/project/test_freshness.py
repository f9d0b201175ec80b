"""Pages and API reads are served again from the cache only while no write has happened."""

from __future__ import annotations

import numpy as np
import pytest
from django.db import transaction
from django.middleware.csrf import _unmask_cipher_token
from django.urls import reverse

from accounts.models import Company
from matching import services
from matching.models import Listing
from symbiosis import freshness
from tests.api.conftest import client_for
from tests.factories import ListingFactory

# Committed writes, as in production: a test's own transaction would never commit.
committing = pytest.mark.django_db(transaction=True)


@pytest.fixture(autouse=True)
def _response_cache_on(settings):  # noqa: PT004
    settings.RESPONSE_CACHE = True


@committing
def test_a_committed_write_replaces_the_stamp():
    before = freshness.stamp()
    Company.objects.create(name="Stamp Oy", nace_code="38.32")
    assert freshness.stamp() != before


@committing
def test_reads_and_session_writes_keep_the_stamp(client, owner):
    before = freshness.stamp()
    list(Company.objects.all())
    client.force_login(owner.user)  # writes a session row (and the user's last log-in)
    after_login = freshness.stamp()
    session = client.session
    session["seen"] = True
    session.save()
    list(Listing.objects.filter(company=owner.company))
    assert before != after_login  # last_login is data; the session row alone is not
    assert freshness.stamp() == after_login


@committing
def test_the_stamp_moves_when_the_transaction_commits():
    before = freshness.stamp()
    with transaction.atomic():
        Company.objects.create(name="Inside Oy", nace_code="38.32")
        Company.objects.create(name="Inside Two Oy", nace_code="38.32")
        during = freshness.stamp()
    assert during == before  # other processes still read the committed data
    assert freshness.stamp() != during


@committing
def test_a_rolled_back_write_leaves_the_stamp_and_the_cache_usable(rf):
    before = freshness.stamp()
    with pytest.raises(RuntimeError), transaction.atomic():
        Company.objects.create(name="Never Oy", nace_code="38.32")
        raise RuntimeError
    assert freshness.stamp() == before
    calls = []
    request = rf.get("/x/")
    for _ in range(2):
        freshness.cached_data("t", request, lambda: calls.append(1) or len(calls), who="x")
    assert len(calls) == 1


@committing
def test_nothing_is_stored_from_a_transaction_that_wrote(rf):
    request = rf.get("/api/v1/listings/")
    calls = []

    def compute():
        calls.append(1)
        return {"n": len(calls)}

    with transaction.atomic():
        Company.objects.create(name="Pending Oy", nace_code="38.32")
        freshness.cached_data("t", request, compute, who="x")
        freshness.cached_data("t", request, compute, who="x")
    assert len(calls) == 2
    # Outside it (nothing pending), the second read is served again.
    freshness.cached_data("t", request, compute, who="x")
    freshness.cached_data("t", request, compute, who="x")
    assert len(calls) == 3


@committing
def test_dashboard_is_served_again_until_a_listing_is_saved(client, owner):
    client.force_login(owner.user)
    first = client.get(reverse("matching:dashboard"))
    again = client.get(reverse("matching:dashboard"))
    assert first.status_code == again.status_code == 200
    assert first.get("X-Cache") is None and again.get("X-Cache") == "hit"

    services.listing_create(
        company=owner.company, user=owner.user,
        data={"kind": "offer", "site": owner.site, "title": "Spent foundry sand",
              "description": "Green sand from the iron foundry's moulding line."},
    )
    fresh = client.get(reverse("matching:dashboard"))
    assert fresh.get("X-Cache") is None
    assert "Spent foundry sand" in fresh.content.decode()


@committing
def test_a_cached_page_carries_the_visitors_own_csrf_token(client, owner):
    client.force_login(owner.user)
    url = reverse("matching:listing_detail", args=[owner.listing.pk])
    client.get(url)
    page = client.get(url)
    assert page.get("X-Cache") == "hit"
    body = page.content.decode()
    assert "placeholder" not in body
    tokens = [part.split('"', 1)[0]
              for part in body.split('name="csrfmiddlewaretoken" value="')[1:]]
    secret = client.cookies["csrftoken"].value
    assert tokens and all(_unmask_cipher_token(t) == secret for t in tokens)


@committing
def test_another_member_never_gets_a_colleagues_cached_page(client, owner):
    from tests.factories import MembershipFactory, UserFactory

    colleague = UserFactory(email="colleague@power.example")
    MembershipFactory(user=colleague, company=owner.company)
    client.force_login(owner.user)
    client.get(reverse("matching:dashboard"))
    client.force_login(colleague)  # a write (last_login): the stamp moves anyway
    stamp = freshness.stamp()
    page = client.get(reverse("matching:dashboard"))
    assert page.get("X-Cache") is None
    assert freshness.stamp() == stamp


@committing
def test_api_reads_follow_the_listing_they_show(owner):
    api = client_for(owner.user)
    url = f"/api/v1/listings/{owner.listing.pk}/"
    assert api.get(url).json()["title"] == owner.listing.title
    Listing.objects.filter(pk=owner.listing.pk).update(title="Renamed bottom ash")
    assert api.get(url).json()["title"] == "Renamed bottom ash"


@committing
def test_the_company_shares_api_reads_but_outsiders_do_not(owner, outsider):
    url = "/api/v1/listings/"
    mine = client_for(owner.user).get(url).json()
    theirs = client_for(outsider.user).get(url).json()
    assert [r["id"] for r in mine["results"]] == [owner.listing.pk]
    assert theirs["results"] == []


@committing
def test_a_cache_outage_serves_fresh_answers(settings, client, owner):
    settings.CACHES = {"default": {
        "BACKEND": "django.core.cache.backends.redis.RedisCache",
        "LOCATION": "redis://127.0.0.1:1/0",  # nothing listens there
    }}
    assert freshness.stamp() is None
    client.force_login(owner.user)
    page = client.get(reverse("matching:listing_detail", args=[owner.listing.pk]))
    assert page.status_code == 200 and page.get("X-Cache") is None
    ListingFactory(company=owner.company, site=owner.site)  # writes still succeed


@pytest.mark.postgres
@committing
def test_the_matchers_copy_path_replaces_the_stamp(owner, partner, monkeypatch):
    # Only the raw COPY path may write: the ORM's own writes would move the stamp anyway.
    from matching import bulkwrite

    replaced = []
    monkeypatch.setattr(freshness, "_replace_stamp", lambda: replaced.append(1))
    rows = bulkwrite.MatchRows.from_records([])
    with transaction.atomic():
        bulkwrite.sync_matches([rows], version="v-test",
                               offers=np.array([owner.listing.pk], dtype=np.int64))
        assert replaced == []  # not before the commit
    assert replaced


@pytest.mark.parametrize(("sql", "writes"), [
    ('SELECT "matching_listing"."id" FROM "matching_listing"', False),
    ("SAVEPOINT s1", False),
    ('WITH x AS (SELECT 1) SELECT * FROM x', False),
    ('INSERT INTO "matching_listing" ("title") VALUES (%s)', True),
    ('UPDATE "matching_match" SET "score" = %s', True),
    ('DELETE FROM "accounts_site" WHERE id = %s', True),
    ('WITH gone AS (DELETE FROM "matching_match" RETURNING id) SELECT count(*) FROM gone', True),
    ('INSERT INTO "django_session" ("session_key") VALUES (%s)', False),
    ('UPDATE "axes_accessattempt" SET "failures_since_start" = 2', False),
    ("TRUNCATE matching_match, matching_listing", True),
])
def test_which_statements_count_as_writes(sql, writes):
    assert freshness._writes(sql) is writes
