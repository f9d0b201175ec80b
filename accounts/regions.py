"""Which sites lie in which regions: ``Site.regions``, kept current on every save.

A site belongs to every region whose shape contains it. Saving a site refreshes its
regions; saving a region refreshes its sites (its bounding box first narrows the
candidates, then the exact shape decides). Both run from ``post_save`` so that sites
written by services, the demo loader, imports and tests alike are placed.
"""

from __future__ import annotations

from typing import Any

from django.db import transaction
from django.db.models.signals import post_save

from accounts.models import Region, Site


def site_regions_refresh(*, site: Site) -> list[int]:
    """Set the regions holding ``site``; returns their ids."""
    if site.latitude is None or site.longitude is None:
        ids: list[int] = []
    else:
        boxed = Region.objects.filter(
            min_lat__lte=site.latitude, max_lat__gte=site.latitude,
            min_lon__lte=site.longitude, max_lon__gte=site.longitude,
        )
        ids = [r.pk for r in boxed if r.contains(site.latitude, site.longitude)]
    site.regions.set(ids)
    return ids


@transaction.atomic
def region_sites_refresh(*, region: Region) -> int:
    """Set the sites inside ``region``; returns how many there are."""
    boxed = Site.objects.filter(
        latitude__gte=region.min_lat, latitude__lte=region.max_lat,
        longitude__gte=region.min_lon, longitude__lte=region.max_lon,
    ).only("pk", "latitude", "longitude")
    inside = [s.pk for s in boxed.iterator(chunk_size=2000)
              if region.contains(s.latitude, s.longitude)]
    through = Site.regions.through
    through.objects.filter(region=region).exclude(site_id__in=inside).delete()
    have = set(through.objects.filter(region=region).values_list("site_id", flat=True))
    through.objects.bulk_create(
        [through(site_id=pk, region=region) for pk in inside if pk not in have],
        batch_size=2000,
    )
    return len(inside)


def _site_saved(sender: Any, instance: Site, raw: bool = False, **kwargs: Any) -> None:
    if not raw:
        site_regions_refresh(site=instance)


def _region_saved(sender: Any, instance: Region, raw: bool = False, **kwargs: Any) -> None:
    if not raw:
        region_sites_refresh(region=instance)


def connect() -> None:
    """Keep memberships current (called once from AccountsConfig.ready)."""
    post_save.connect(_site_saved, sender=Site, dispatch_uid="accounts.site_regions")
    post_save.connect(_region_saved, sender=Region, dispatch_uid="accounts.region_sites")
