"""Listings as the engine's records, and the model version a set of records gives."""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Sequence
from functools import partial

from accounts.models import Site
from matching import catalogue
from matching.engine import (
    ENGINE_VERSION,
    MAX_DESCRIPTION_CHARS,
    MAX_TITLE_CHARS,
    Knowledge,
    ListingRecord,
    MatchIndex,
    ranker_version,
    record_problem,
)
from matching.models import Listing

logger = logging.getLogger(__name__)


def listing_to_record(listing: Listing, site: Site | None = None) -> ListingRecord:
    """The engine's record of one listing (its site's position, its firm's sector)."""
    site = site or listing.site
    return ListingRecord(
        id=listing.id,
        kind=listing.kind,
        title=listing.title[:MAX_TITLE_CHARS],
        description=listing.description[:MAX_DESCRIPTION_CHARS],
        lat=site.latitude,
        lon=site.longitude,
        max_km=listing.max_distance_km,
        category=listing.category,
        ewc_code=listing.ewc_code,
        amount_per_year=listing.amount_per_year,
        canonical_unit=listing.canonical_unit,
        density_t_per_m3=listing.density_t_per_m3,
        available_from=listing.available_from,
        available_until=listing.available_until,
        hazardous=listing.hazardous,
        accepts_hazardous=listing.accepts_hazardous,
        physical_state=listing.physical_state,
        temperature_c=listing.temperature_c,
        sector=listing.company.nace_code,
        company_id=listing.company_id,
        moisture_pct=listing.moisture_pct,
        calorific_mj_per_kg=listing.calorific_mj_per_kg,
        particle_size_mm=listing.particle_size_mm,
        contaminants=listing.contaminants,
        certificates=listing.certificates,
    )


# Listing columns an engine record is made of, read without building model objects.
RECORD_COLUMNS = (
    "id", "kind", "title", "description", "site__latitude", "site__longitude",
    "max_distance_km", "category", "ewc_code", "amount_per_year", "canonical_unit",
    "density_t_per_m3", "available_from", "available_until", "hazardous", "accepts_hazardous",
    "physical_state", "temperature_c", "company__nace_code", "company_id", "moisture_pct",
    "calorific_mj_per_kg", "particle_size_mm", "contaminants", "certificates",
)


def record_from_row(row: tuple) -> ListingRecord:
    """The record ``listing_to_record`` gives, from a row of ``RECORD_COLUMNS``."""
    (pk, kind, title, description, lat, lon, max_km, category, ewc_code, amount, unit, density,
     start, end, hazardous, accepts, state, temperature, sector, company_id, moisture,
     calorific, particle, contaminants, certificates) = row
    return ListingRecord(
        id=pk, kind=kind, title=title[:MAX_TITLE_CHARS],
        description=description[:MAX_DESCRIPTION_CHARS], lat=lat, lon=lon,
        max_km=max_km, category=category, ewc_code=ewc_code, amount_per_year=amount,
        canonical_unit=unit, density_t_per_m3=density, available_from=start,
        available_until=end, hazardous=hazardous, accepts_hazardous=accepts,
        physical_state=state, temperature_c=temperature, sector=sector,
        company_id=company_id, moisture_pct=moisture, calorific_mj_per_kg=calorific,
        particle_size_mm=particle, contaminants=contaminants, certificates=certificates,
    )


def listing_mark_skipped(*, listing_id: int, reason: str) -> None:
    """Note, and log, that the matcher cannot process the listing (it is left out)."""
    logger.warning("Listing %s is skipped by the matcher: %s", listing_id, reason,
                   extra={"listing_id": listing_id})
    # update(): no updated_at change, so no rematch of it is set off by the mark.
    Listing.objects.filter(pk=listing_id).update(match_skipped=reason[:300])


def active_records() -> list[ListingRecord]:
    """Records of every active listing the engine can process, by id (one query, no model
    instances); the others are marked skipped, with the reason, and logged."""
    rows = (
        Listing.objects.filter(status=Listing.Status.ACTIVE)
        .order_by("id")
        .values_list(*RECORD_COLUMNS)
    )
    records = [record_from_row(row) for row in rows.iterator(chunk_size=20_000)]
    problems = {record.id: problem for record in records
                if (problem := record_problem(record)) is not None}
    for listing_id, problem in problems.items():
        listing_mark_skipped(listing_id=listing_id, reason=problem)
    if not problems:
        return records
    return [record for record in records if record.id not in problems]


def model_version(records: Sequence[ListingRecord], knowledge: Knowledge) -> str:
    """Content hash: the same listings, knowledge and scoring configuration (the learned
    ranker's version among it) give the same version."""
    digest = hashlib.sha1(usedforsecurity=False)
    parts = (sorted(knowledge.config.components), knowledge.config.blocking,
             knowledge.fingerprint)
    if knowledge.config.ranker is not None:
        # Not for the hand-set weights: versions of models fitted before stay the same.
        parts += (ranker_version(knowledge.config.ranker),)
    digest.update(repr(parts).encode())
    for record in records:
        digest.update(repr(record).encode())
    return f"{ENGINE_VERSION}-{digest.hexdigest()[:12]}"


def build_index(
    records: Sequence[ListingRecord], *, knowledge: Knowledge | None = None, processes: int = 1
) -> MatchIndex:
    """An index of ``records`` scored by ``knowledge`` (default: the configured one, with
    the ranker in use)."""
    knowledge = knowledge or catalogue.scoring_knowledge()
    return MatchIndex.build(records, knowledge,
                            version=partial(model_version, records, knowledge),
                            processes=processes)
