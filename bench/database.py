"""The benchmark's PostgreSQL database: create it, set Django up on it, load a region.

The benchmarks always run against PostgreSQL (the production database), by default a
database of their own, ``symbiosis_bench``, created when missing.
"""

from __future__ import annotations

import os
from datetime import timedelta
from decimal import Decimal

DEFAULT_DATABASE_URL = "postgres://postgres@127.0.0.1:5432/symbiosis_bench"


def use_database(url: str | None = None) -> str:
    """Point Django at ``url`` (or ``DATABASE_URL``, or the bench default) and set it up.

    Creates the database when missing and applies migrations. Returns the URL used.
    """
    url = url or os.environ.get("DATABASE_URL") or DEFAULT_DATABASE_URL
    if not url.startswith(("postgres://", "postgresql://")):
        raise SystemExit(f"the benchmarks run on PostgreSQL; DATABASE_URL={url!r} is not")
    os.environ["DATABASE_URL"] = url
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "symbiosis.settings")
    _create_database(url)
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0, interactive=False)
    return url


def _create_database(url: str) -> None:
    import dj_database_url
    import psycopg
    from psycopg import sql

    db = dj_database_url.parse(url)
    params = {
        "host": db["HOST"] or "127.0.0.1",
        "port": db["PORT"] or 5432,
        "user": db["USER"] or "postgres",
        "password": db["PASSWORD"] or None,
        "dbname": "postgres",
        "autocommit": True,
    }
    with psycopg.connect(**{k: v for k, v in params.items() if v is not None}) as conn:
        found = conn.execute(
            "SELECT 1 FROM pg_database WHERE datname = %s", [db["NAME"]]
        ).fetchone()
        if not found:
            conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(db["NAME"])))


def server_version() -> str:
    """The PostgreSQL server's version, for the record of a benchmark."""
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("SHOW server_version")
        return cursor.fetchone()[0]


def load_region(region) -> None:
    """Replace every company, site, listing and match with those of ``region``.

    Listings keep the region's keys as ids, so engine records of the region and rows
    read back from the database name the same listings.
    """
    from django.db import connection, transaction
    from django.utils import timezone

    from accounts.models import Company, Site
    from matching.models import Listing, Match

    tables = [Match._meta.db_table, Listing._meta.db_table, Site._meta.db_table,
              Company._meta.db_table]
    with transaction.atomic():
        if connection.vendor == "postgresql":
            with connection.cursor() as cursor:
                cursor.execute(f"TRUNCATE {', '.join(tables)} RESTART IDENTITY CASCADE")
        else:  # tests on SQLite
            for model in (Match, Listing, Site, Company):
                model.objects.all().delete()
        Company.objects.bulk_create(
            (Company(id=c.key, name=c.name[:200], nace_code=c.nace) for c in region.companies),
            batch_size=5000,
        )
        Site.objects.bulk_create(
            (
                Site(id=s.key, company_id=s.company, name=s.name[:200], city=s.city[:120],
                     country=s.country, latitude=s.lat, longitude=s.lon)
                for s in region.sites
            ),
            batch_size=5000,
        )
        company_of = {s.key: s.company for s in region.sites}
        Listing.objects.bulk_create((_listing(item, company_of) for item in region.listings),
                                    batch_size=5000)
        # A region's listings were entered over the past months, not in the last minute
        # (single-listing matching treats listings saved since the last fit as new).
        Listing.objects.update(updated_at=timezone.now() - timedelta(days=30))
        with connection.cursor() as cursor:
            for sql in connection.ops.sequence_reset_sql(
                _NoStyle(), [Company, Site, Listing, Match]
            ):
                cursor.execute(sql)


def settle() -> None:
    """After ``load_region``: vacuum and analyse the loaded tables and write the load to
    disk, as a database is between bulk loads, so that the run measured next does not
    also pay for cleaning up after the load (autovacuum waking on 100k freshly updated
    rows in the middle of it, statistics missing, dirty pages flushed). Outside any
    transaction; a no-op on other databases."""
    from django.db import DatabaseError, connection

    from accounts.models import Company, Site
    from matching.models import Listing, Match

    if connection.vendor != "postgresql" or connection.in_atomic_block:
        return
    tables = ", ".join(m._meta.db_table for m in (Company, Site, Listing, Match))
    with connection.cursor() as cursor:
        cursor.execute(f"VACUUM (ANALYZE) {tables}")
        try:
            cursor.execute("CHECKPOINT")
        except DatabaseError:
            pass  # needs a superuser or pg_checkpoint: the vacuum is what matters


def _listing(item, company_of: dict[int, int]):
    from matching.models import Listing

    return Listing(
        id=item.key,
        company_id=company_of[item.site],
        site_id=item.site,
        quantity=None if item.quantity is None else Decimal(repr(item.quantity)),
        unit=item.unit,
        frequency=item.frequency,
        max_distance_km=item.max_distance_km,
        status=Listing.Status.ACTIVE,
        external_id=f"bench-{item.key}",
        benchmark=True,  # never labels for the learned ranker
        **item.shared_fields(),
    )


class _NoStyle:
    """The ``style`` argument of ``sequence_reset_sql``: plain SQL, no colours."""

    def __getattr__(self, name):
        return lambda text: text
