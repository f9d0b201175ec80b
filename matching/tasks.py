"""Celery tasks: ids in, one service call, quiet when the row is gone."""

from __future__ import annotations

from celery import shared_task
from django.conf import settings
from django.db import OperationalError

from matching import services

_RETRY = {
    "autoretry_for": (OperationalError,),
    "retry_backoff": True,
    "max_retries": 5,
    "acks_late": True,
}


@shared_task(name="matching.tasks.match_listing", **_RETRY)
def match_listing(listing_id: int) -> int | None:
    """Match one listing after it was saved (idempotent)."""
    return services.listing_rematch(listing_id=listing_id)


@shared_task(name="matching.tasks.match_listings", **_RETRY)
def match_listings(listing_ids: list[int], queued_at: float | None = None) -> int:
    """Match the listings of one bulk submission, as one task (idempotent); ``queued_at``:
    when the batch committed (a later full rematch covers it)."""
    return services.listing_rematch_many(listing_ids=listing_ids, queued_at=queued_at)


@shared_task(name="matching.tasks.match_pending", **_RETRY)
def match_pending() -> int:
    """Periodic sweep: match the listings whose rematch could not be queued."""
    return services.match_pending()


@shared_task(name="matching.tasks.rematch_all", **_RETRY)
def rematch_all() -> int:
    """Periodic full rematch (Celery beat): in-process, or over cells when configured."""
    if settings.MATCH_REMATCH_CELLS > 1:
        return len(services.match_rematch_distributed())
    return services.match_rematch_all()


@shared_task(name="matching.tasks.rematch_profiles", **_RETRY)
def rematch_profiles(version: str, part: int) -> int:
    """Profiles of one part of a distributed rematch's snapshot (idempotent)."""
    return services.match_rematch_profiles(version=version, part=part)


@shared_task(name="matching.tasks.rematch_assemble", **_RETRY)
def rematch_assemble(version: str) -> int:
    """Text model, index and version of a distributed rematch; queues its cells."""
    return services.match_rematch_assemble(version=version)


@shared_task(name="matching.tasks.rematch_cell", **_RETRY)
def rematch_cell(version: str, cell: int) -> int:
    """Top k of one geographic cell's listings under one model version (idempotent)."""
    return services.match_rematch_cell(version=version, cell=cell)


@shared_task(name="matching.tasks.rematch_write", **_RETRY)
def rematch_write(version: str, cell: int) -> list[int]:
    """Store the matches whose offer lies in one cell (idempotent)."""
    return list(services.match_rematch_write(version=version, cell=cell))


@shared_task(name="matching.tasks.retrain_ranker", **_RETRY)
def retrain_ranker() -> str:
    """Periodic: retrain the learned ranker when enough pairs were labelled since the last
    model (``RANKER_RETRAIN_NEW_LABELS``)."""
    outcome = services.ranker_retrain_due()
    return outcome.message if outcome is not None else ""


@shared_task(name="matching.tasks.run_import", **_RETRY)
def run_import(job_id: int) -> str | None:
    """Apply a confirmed import job's rows (idempotent: resumes, or leaves a done job)."""
    from matching.imports.services import import_job_run

    job = import_job_run(job_id=job_id)
    return job.status if job is not None else None


@shared_task(name="matching.tasks.check_import", **_RETRY)
def check_import(job_id: int) -> str | None:
    """Validate the rows of a large upload for its preview (idempotent)."""
    from matching.imports.services import import_job_check

    job = import_job_check(job_id=job_id)
    return job.status if job is not None else None
