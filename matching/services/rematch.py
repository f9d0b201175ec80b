"""Rematching on one process: the full rematch, and one listing against the current model.

See docs/performance.md for where the time of a full rematch goes.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import timedelta

import numpy as np
from django.conf import settings
from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from matching import events, modelstore
from matching.bulkwrite import MatchRows, record_values, save_values, sync_matches
from matching.engine import (
    OFFER,
    WANT,
    Knowledge,
    ListingRecord,
    MatchColumns,
    MatchIndex,
    MatchRecord,
    Selection,
    collector_paused,
    ranker_version,
    record_problem,
)
from matching.models import Listing, Match
from matching.modelstore import StoredModel
from matching.services.records import (
    RECORD_COLUMNS,
    active_records,
    build_index,
    listing_mark_skipped,
    listing_to_record,
    record_from_row,
)

log = logging.getLogger(__name__)


@dataclass
class RematchReport:
    """What a full rematch did, and where its time went (seconds per part)."""

    version: str
    listings: int
    matches: int = 0
    candidates: int = 0
    written: int = 0
    deleted: int = 0
    seconds: dict[str, float] = field(default_factory=dict)
    # How the profiles were inferred: processes, helpers' memory (InferenceModel.inferring).
    fit: dict[str, float] = field(default_factory=dict)


class _Clock:
    def __init__(self, seconds: dict[str, float]) -> None:
        self.seconds, self.last = seconds, time.perf_counter()

    def lap(self, name: str) -> None:
        now = time.perf_counter()
        self.seconds[name] = self.seconds.get(name, 0.0) + now - self.last
        self.last = now


def _refit(clock: _Clock | None = None) -> StoredModel:
    """Read the active listings, fit a model on them and make it the current version.

    Switching at once is safe even if the surrounding transaction rolls back: a model
    naming listings the database does not have is noticed and refitted (``_query_current``).
    """
    model = _fit(clock)
    modelstore.save(model)
    modelstore.set_current(model.version)
    return model


def _fit(clock: _Clock | None = None, *, knowledge: Knowledge | None = None) -> StoredModel:
    """A model fitted on the active listings (not saved yet)."""
    snapshot_at = timezone.now()
    records = active_records()
    if clock:
        clock.lap("read_s")
    index = build_index(records, knowledge=knowledge, processes=settings.MATCH_PROCESSES)
    model = StoredModel(index=index, snapshot_at=snapshot_at)
    if clock:
        clock.lap("fit_s")
    return model


def material_fit_floor(value: float | None = None) -> float:
    """The quality floor in force: ``value``, else ``settings.MATCH_MIN_MATERIAL_FIT``."""
    return float(settings.MATCH_MIN_MATERIAL_FIT if value is None else value)


def columns_above_floor(columns: MatchColumns, floor: float) -> MatchColumns:
    """The pairs whose material fit (the ``material`` component) reaches ``floor``.

    Applied where matches are stored, after the engine, so its fast path and the naive
    baseline stay comparable pair for pair; a listing left with fewer keeps fewer.
    """
    material = columns.components.get("material")
    if floor <= 0 or material is None or not len(columns):
        return columns
    keep = np.asarray(material) >= floor
    if keep.all():
        return columns
    return MatchColumns(
        offer_id=columns.offer_id[keep], want_id=columns.want_id[keep],
        score=columns.score[keep], distance_km=columns.distance_km[keep],
        components={name: np.asarray(value)[keep] for name, value in columns.components.items()},
        explanation=[text for text, kept in zip(columns.explanation, keep.tolist(), strict=True)
                     if kept],
    )


def records_above_floor(found: list[MatchRecord], floor: float) -> list[MatchRecord]:
    """``columns_above_floor`` for one listing's match records."""
    if floor <= 0:
        return found
    return [m for m in found if m.components.get("material", 1.0) >= floor]


def match_rows(index: MatchIndex, selection: Selection, *, placed: bool = False,
               floor: float | None = None) -> Iterator[MatchRows]:
    """Rows of the selected pairs above the quality floor (``material_fit_floor``), a chunk
    at a time (explanations are built per chunk), nearby listings' pairs together
    (``MatchIndex.by_place``; ``placed``: the selection is in that order already)."""
    floor = material_fit_floor(floor)
    for columns in index.iter_match_columns(selection if placed else index.by_place(selection)):
        columns = columns_above_floor(columns, floor)
        if len(columns):
            yield MatchRows.from_columns(columns)


def snapshot_ids(index: MatchIndex, kind: str) -> np.ndarray:
    """Ids of the listings of one side that a model was fitted on."""
    return index.side(kind).arrays.ids


@transaction.atomic
@collector_paused()
def match_rematch_full(
    *, k: int | None = None, knowledge: Knowledge | None = None, store: bool = True,
    floor: float | None = None,
) -> RematchReport:
    """Refit on all active listings (a new version) and recompute every match in-process.

    Matches of listings saved after the snapshot was read are left for their own rematch.
    ``knowledge`` scores with another configuration than the project's (the evaluation
    harness's ablations); ``store=False`` keeps the fitted model out of the model store, so
    it never becomes the version single listings are matched with. ``floor`` is the
    quality floor (default ``MATCH_MIN_MATERIAL_FIT``; the harness sweeps it).
    """
    # Before the transaction's first statement: PostgreSQL stamps the rows it writes with
    # that statement's time, so every match written here has updated_at after this.
    written_from = timezone.now()
    seconds: dict[str, float] = {}
    clock = _Clock(seconds)
    model = _fit(clock, knowledge=knowledge)
    index = model.index
    # The model is written to disk while the pairs are scored: pickling holds the GIL
    # for a second or two, the scoring threads mostly run without it.
    with ThreadPoolExecutor(1, thread_name_prefix="model-save") as saver:
        saved = saver.submit(modelstore.save, model) if store else None
        selection = index.select(settings.MATCH_TOP_K if k is None else k,
                                 timings=seconds, threads=settings.MATCH_THREADS,
                                 placed=True)
        started = time.perf_counter()
        if saved is not None:
            saved.result()
        seconds["save_wait_s"] = time.perf_counter() - started
    if store:
        modelstore.set_current(model.version)
    clock.last = time.perf_counter()
    rows_s = 0.0
    kept = 0

    def rows() -> Iterator[MatchRows]:
        # Records and their explanations are built while COPY streams: timed apart.
        nonlocal rows_s, kept
        chunks = match_rows(index, selection, placed=True, floor=floor)
        while True:
            started = time.perf_counter()
            chunk = next(chunks, None)
            rows_s += time.perf_counter() - started
            if chunk is None:
                return
            kept += len(chunk.offer_id)
            yield chunk

    started = time.perf_counter()
    written, deleted = sync_matches(
        rows(),
        version=model.version,
        offers=snapshot_ids(index, OFFER),
        wants=snapshot_ids(index, WANT),
        exclusive=True,
        ranker=ranker_version(index.knowledge.config.ranker),
    )
    total = time.perf_counter() - started
    seconds["rows_s"] = rows_s
    seconds["write_s"] = total - rows_s
    report = RematchReport(
        version=model.version,
        listings=len(index),
        matches=kept,
        candidates=selection.candidates,
        written=written,
        deleted=deleted,
        seconds=seconds,
        fit=dict(getattr(index, "fit_info", {})),
    )
    if written:
        pairs = Match.objects.filter(updated_at__gte=written_from).values_list("offer_id",
                                                                               "want_id")
        events.matches_changed_announce(listing_ids=sorted({pk for pair in pairs for pk in pair}))
    log.info("rematched %d listings: %d matches, %d written, %d deleted (%s, fitted on %s "
             "processes)", report.listings, report.matches, written, deleted, model.version,
             report.fit.get("processes", "?"))
    return report


def match_rematch_all(
    *, k: int | None = None, knowledge: Knowledge | None = None, store: bool = True,
    floor: float | None = None,
) -> int:
    """Rebuild the model on all active listings and recompute every match.

    ``k`` is how many counterparts each listing keeps at most (default ``MATCH_TOP_K``);
    ``knowledge``, ``store`` and ``floor`` as for ``match_rematch_full``.
    """
    return match_rematch_full(k=k, knowledge=knowledge, store=store, floor=floor).matches


# Single listings: the current model, plus the listings saved since it was fitted.

_delta_cache: dict[str, tuple[str, MatchIndex | None, frozenset[int]]] = {}


def _changed_since(model: StoredModel) -> tuple[MatchIndex | None, frozenset[int]]:
    """Listings saved since the model's snapshot: an index of the active ones, and all ids.

    Rows saved shortly before the snapshot are taken too: their transaction may have
    committed after the snapshot was read.
    """
    cutoff = model.snapshot_at - timedelta(seconds=settings.MATCH_DELTA_MARGIN_S)
    rows = list(
        Listing.objects.filter(updated_at__gte=cutoff)
        .order_by("id")
        .values_list(*RECORD_COLUMNS, "status", "updated_at")
    )
    key = f"{model.version}:{[(row[0], row[-1]) for row in rows]}"
    cached = _delta_cache.get(model.version)
    if cached is not None and cached[0] == key:
        return cached[1], cached[2]
    active = [record_from_row(row[:-2]) for row in rows if row[-2] == Listing.Status.ACTIVE]
    extra = model.index.with_records(active) if active else None
    changed = frozenset(row[0] for row in rows)
    _delta_cache.clear()
    _delta_cache[model.version] = (key, extra, changed)
    return extra, changed


def _query_current(model: StoredModel, record: ListingRecord) -> list[MatchRecord] | None:
    """The listing's matches against ``model``; ``None`` when the model is out of date."""
    extra, changed = _changed_since(model)
    found = records_above_floor(
        model.index.query(record, k=settings.MATCH_TOP_K, exclude=changed, extra=extra),
        material_fit_floor())
    others = {m.want_id if record.kind == OFFER else m.offer_id for m in found}
    alive = Listing.objects.filter(id__in=others, status=Listing.Status.ACTIVE).count()
    # A counterpart that is gone without a trace in updated_at (deleted, or a rolled-back
    # snapshot): the model no longer describes the database.
    return found if alive == len(others) else None


@transaction.atomic
def listing_rematch(*, listing_id: int) -> int | None:
    """Recompute the matches of one listing. Returns how many it has, None if it is gone.

    Uses the current model version (fitting one when there is none), so the listing is
    scored like the full rematch that produced the version. Idempotent: the same listings
    and version give the same stored rows, never duplicates.
    """
    listing = Listing.objects.select_related("site", "company").filter(pk=listing_id).first()
    if listing is None:
        return None
    side = Q(offer_id=listing_id) | Q(want_id=listing_id)
    if listing.status != Listing.Status.ACTIVE:
        Match.objects.filter(side).delete()
        return 0
    record = listing_to_record(listing)
    problem = record_problem(record)
    if problem is not None:
        listing_mark_skipped(listing_id=listing_id, reason=problem)
        Match.objects.filter(side).delete()
        return 0
    if listing.match_skipped:
        Listing.objects.filter(pk=listing_id).update(match_skipped="")
    model = modelstore.current()
    found = _query_current(model, record) if model is not None else None
    if found is None:
        model = _refit()
        found = _query_current(model, record) or []
    before = set(Match.objects.filter(side).values_list("id", flat=True))
    started = timezone.now()
    save_values(record_values(found), version=model.version, scope=side,
                ranker=ranker_version(model.index.knowledge.config.ranker))
    touched = Match.objects.filter(side, updated_at__gte=started).values_list("id", flat=True)
    events.matches_saved_announce(
        created=[pk for pk in touched if pk not in before],
        updated=[pk for pk in touched if pk in before],
    )
    return len(found)


def match_pending(*, limit: int = 1000) -> int:
    """Match the listings whose rematch could not be queued (``needs_match``: the broker
    was down when they were saved). The periodic sweep calls it; returns how many."""
    ids = list(Listing.objects.filter(needs_match=True).order_by("id")
               .values_list("id", flat=True)[:limit])
    for listing_id in ids:
        Listing.objects.filter(pk=listing_id).update(needs_match=False)
        listing_rematch(listing_id=listing_id)
    return len(ids)
