"""Writes for matching: listings, rematching and dismissals.

Every write runs in one transaction and validates before it saves; matching work is
queued only after the transaction commits, so a worker never sees a half-written row.
"""

from __future__ import annotations

import hashlib
import logging
import os
import pickle
import shutil
import time
from collections.abc import Iterator, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import timedelta
from functools import partial
from pathlib import Path
from typing import Any

import numpy as np
from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.models import Company, Site, User
from matching import catalogue, modelstore
from matching.bulkwrite import MatchRows, record_values, save_values, sync_matches
from matching.engine import (
    ENGINE_VERSION,
    OFFER,
    WANT,
    CellPlan,
    Knowledge,
    ListingRecord,
    MatchIndex,
    MatchRecord,
    Profiles,
    Selection,
    canonical_amount,
    collector_paused,
    pack_records,
    plan_cells,
    unpack_records,
)
from matching.models import Listing, Match, MatchDismissal
from matching.modelstore import StoredModel

log = logging.getLogger(__name__)

LISTING_FIELDS = (
    "kind", "site", "title", "description", "category", "ewc_code", "quantity", "unit",
    "frequency", "density_t_per_m3", "available_from", "available_until", "hazardous",
    "accepts_hazardous", "physical_state", "temperature_c", "pressure_bar", "max_distance_km",
    "status", "external_id",
)


def _apply(listing: Listing, data: Mapping[str, Any]) -> None:
    unknown = set(data) - set(LISTING_FIELDS)
    if unknown:
        raise ValidationError(_("Unknown fields: %s") % ", ".join(sorted(unknown)))
    for name, value in data.items():
        setattr(listing, name, value)
    listing.ewc_code = catalogue.normalise_ewc(listing.ewc_code)
    if listing.ewc_code and listing.ewc_code in catalogue.knowledge().ewc:
        entry = catalogue.knowledge().ewc[listing.ewc_code]
        # A starred code is a declaration: choosing the hazardous side of a mirror pair says
        # the waste is hazardous, as the engine also assumes.
        if entry.hazardous and listing.is_offer:
            listing.hazardous = True


def _check_window(listing: Listing) -> None:
    # The database constraint guards the same rule; this puts the message on the field.
    start, end = listing.available_from, listing.available_until
    if start and end and end < start:
        raise ValidationError(
            {"available_until": _("“Available until” must not be before “available from”.")}
        )


def listing_derive_amount(*, listing: Listing) -> None:
    """Set the canonical amount per year from quantity, unit and frequency."""
    errors: dict[str, str] = {}
    if listing.quantity is None:
        listing.amount_per_year, listing.canonical_unit = None, ""
        return
    if not listing.unit:
        errors["unit"] = _("Give a unit for the quantity.")
    else:
        try:
            amount, unit = canonical_amount(
                quantity=float(listing.quantity), unit=listing.unit, frequency=listing.frequency
            )
        except ValueError as exc:
            errors["unit"] = str(exc)
        else:
            listing.amount_per_year, listing.canonical_unit = amount, unit
    if errors:
        raise ValidationError(errors)


def _check_site(listing: Listing, company: Company) -> None:
    if listing.site_id is None or listing.site.company_id != company.id:
        raise ValidationError({"site": _("Choose one of your company's sites.")})


@transaction.atomic
def listing_create(
    *,
    company: Company,
    user: User | None,
    data: Mapping[str, Any],
    queue_rematch: bool = True,
) -> Listing:
    """Validate and save a new listing; match it after commit if it is active.

    Bulk loaders pass ``queue_rematch=False`` and rematch everything once at the end.
    """
    listing = Listing(company=company, created_by=user)
    _apply(listing, data)
    _check_site(listing, company)
    _check_window(listing)
    listing.full_clean()
    listing_derive_amount(listing=listing)
    listing.save()
    if queue_rematch:
        listing_queue_rematch(listing_id=listing.id)
    return listing


@transaction.atomic
def listing_update(
    *, listing: Listing, data: Mapping[str, Any], queue_rematch: bool = True
) -> Listing:
    """Validate and save changes; its matches are recomputed after commit."""
    locked = Listing.objects.select_for_update().get(pk=listing.pk)
    if "kind" in data and data["kind"] != locked.kind:
        raise ValidationError({"kind": _("An offer cannot become a want; create a new listing.")})
    _apply(locked, data)
    _check_site(locked, locked.company)
    _check_window(locked)
    locked.full_clean()
    listing_derive_amount(listing=locked)
    locked.save()
    if queue_rematch:
        listing_queue_rematch(listing_id=locked.id)
    return locked


def listing_set_status(*, listing: Listing, status: str) -> Listing:
    """Pause, close or reactivate a listing."""
    if status not in Listing.Status.values:
        raise ValidationError({"status": _("Unknown status.")})
    return listing_update(listing=listing, data={"status": status})


def listing_queue_rematch(*, listing_id: int) -> None:
    """Queue matching of one listing once the current transaction commits."""
    from matching.tasks import match_listing

    match_listing.delay_on_commit(listing_id)


# --- matching -------------------------------------------------------------------------


def listing_to_record(listing: Listing, site: Site | None = None) -> ListingRecord:
    site = site or listing.site
    return ListingRecord(
        id=listing.id,
        kind=listing.kind,
        title=listing.title,
        description=listing.description,
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
    )


# --- rematching (docs/performance.md) ---------------------------------------------------

# Listing columns an engine record is made of, read without building model objects.
_RECORD_COLUMNS = (
    "id", "kind", "title", "description", "site__latitude", "site__longitude",
    "max_distance_km", "category", "ewc_code", "amount_per_year", "canonical_unit",
    "density_t_per_m3", "available_from", "available_until", "hazardous", "accepts_hazardous",
    "physical_state", "temperature_c", "company__nace_code", "company_id",
)


def _record_from_row(row: tuple) -> ListingRecord:
    """The record ``listing_to_record`` gives, from a row of ``_RECORD_COLUMNS``."""
    (pk, kind, title, description, lat, lon, max_km, category, ewc_code, amount, unit, density,
     start, end, hazardous, accepts, state, temperature, sector, company_id) = row
    return ListingRecord(
        id=pk, kind=kind, title=title, description=description, lat=lat, lon=lon,
        max_km=max_km, category=category, ewc_code=ewc_code, amount_per_year=amount,
        canonical_unit=unit, density_t_per_m3=density, available_from=start,
        available_until=end, hazardous=hazardous, accepts_hazardous=accepts,
        physical_state=state, temperature_c=temperature, sector=sector,
        company_id=company_id,
    )


def _active_records() -> list[ListingRecord]:
    """Records of every active listing, by id (one query, no model instances)."""
    rows = (
        Listing.objects.filter(status=Listing.Status.ACTIVE)
        .order_by("id")
        .values_list(*_RECORD_COLUMNS)
    )
    return [_record_from_row(row) for row in rows.iterator(chunk_size=20_000)]


def _model_version(records: Sequence[ListingRecord], knowledge: Knowledge) -> str:
    """Content hash: the same listings, knowledge and scoring configuration give the same
    version."""
    digest = hashlib.sha1(usedforsecurity=False)
    digest.update(repr((sorted(knowledge.config.components), knowledge.config.blocking,
                        knowledge.fingerprint)).encode())
    for record in records:
        digest.update(repr(record).encode())
    return f"{ENGINE_VERSION}-{digest.hexdigest()[:12]}"


def _build_index(records: Sequence[ListingRecord], *, processes: int = 1) -> MatchIndex:
    knowledge = catalogue.knowledge()
    return MatchIndex.build(records, knowledge,
                            version=partial(_model_version, records, knowledge),
                            processes=processes)


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


def _fit(clock: _Clock | None = None) -> StoredModel:
    """A model fitted on the active listings (not saved yet)."""
    snapshot_at = timezone.now()
    records = _active_records()
    if clock:
        clock.lap("read_s")
    model = StoredModel(index=_build_index(records, processes=settings.MATCH_PROCESSES),
                        snapshot_at=snapshot_at)
    if clock:
        clock.lap("fit_s")
    return model


def _rows(index: MatchIndex, selection: Selection, *, placed: bool = False
          ) -> Iterator[MatchRows]:
    """Rows of the selected pairs, a chunk at a time (explanations are built per chunk),
    nearby listings' pairs together (``MatchIndex.by_place``; ``placed``: the selection
    is in that order already)."""
    for columns in index.iter_match_columns(selection if placed else index.by_place(selection)):
        yield MatchRows.from_columns(columns)


def _snapshot_ids(index: MatchIndex, kind: str) -> np.ndarray:
    return index.side(kind).arrays.ids


@transaction.atomic
@collector_paused()
def match_rematch_full(*, k: int | None = None) -> RematchReport:
    """Refit on all active listings (a new version) and recompute every match in-process.

    Matches of listings saved after the snapshot was read are left for their own rematch.
    """
    seconds: dict[str, float] = {}
    clock = _Clock(seconds)
    model = _fit(clock)
    index = model.index
    # The model is written to disk while the pairs are scored: pickling holds the GIL
    # for a second or two, the scoring threads mostly run without it.
    with ThreadPoolExecutor(1, thread_name_prefix="model-save") as saver:
        saved = saver.submit(modelstore.save, model)
        selection = index.select(settings.MATCH_TOP_K if k is None else k,
                                 timings=seconds, threads=settings.MATCH_THREADS,
                                 placed=True)
        started = time.perf_counter()
        saved.result()
        seconds["save_wait_s"] = time.perf_counter() - started
    modelstore.set_current(model.version)
    clock.last = time.perf_counter()
    rows_s = 0.0

    def rows() -> Iterator[MatchRows]:
        # Records and their explanations are built while COPY streams: timed apart.
        nonlocal rows_s
        chunks = _rows(index, selection, placed=True)
        while True:
            started = time.perf_counter()
            chunk = next(chunks, None)
            rows_s += time.perf_counter() - started
            if chunk is None:
                return
            yield chunk

    started = time.perf_counter()
    written, deleted = sync_matches(
        rows(),
        version=model.version,
        offers=_snapshot_ids(index, OFFER),
        wants=_snapshot_ids(index, WANT),
        exclusive=True,
    )
    total = time.perf_counter() - started
    seconds["rows_s"] = rows_s
    seconds["write_s"] = total - rows_s
    report = RematchReport(
        version=model.version,
        listings=len(index),
        matches=len(selection),
        candidates=selection.candidates,
        written=written,
        deleted=deleted,
        seconds=seconds,
        fit=dict(getattr(index, "fit_info", {})),
    )
    log.info("rematched %d listings: %d matches, %d written, %d deleted (%s, fitted on %s "
             "processes)", report.listings, report.matches, written, deleted, model.version,
             report.fit.get("processes", "?"))
    return report


def match_rematch_all(*, k: int | None = None) -> int:
    """Rebuild the model on all active listings and recompute every match.

    ``k`` is how many counterparts each listing keeps (default ``MATCH_TOP_K``).
    """
    return match_rematch_full(k=k).matches


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
        .values_list(*_RECORD_COLUMNS, "status", "updated_at")
    )
    key = f"{model.version}:{[(row[0], row[-1]) for row in rows]}"
    cached = _delta_cache.get(model.version)
    if cached is not None and cached[0] == key:
        return cached[1], cached[2]
    active = [_record_from_row(row[:-2]) for row in rows if row[-2] == Listing.Status.ACTIVE]
    extra = model.index.with_records(active) if active else None
    changed = frozenset(row[0] for row in rows)
    _delta_cache.clear()
    _delta_cache[model.version] = (key, extra, changed)
    return extra, changed


def _query_current(model: StoredModel, record: ListingRecord) -> list[MatchRecord] | None:
    """The listing's matches against ``model``; ``None`` when the model is out of date."""
    extra, changed = _changed_since(model)
    found = model.index.query(record, k=settings.MATCH_TOP_K, exclude=changed, extra=extra)
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
    model = modelstore.current()
    found = _query_current(model, record) if model is not None else None
    if found is None:
        model = _refit()
        found = _query_current(model, record) or []
    save_values(record_values(found), version=model.version, scope=side)
    return len(found)


# Distributed full rematch: one task per geographic cell, then one writer per cell.


def _plan_path(version: str) -> Path:
    return modelstore.work_dir(version) / "plan.pkl"


def _marker(version: str, stage: str, cell: int | str) -> Path:
    return modelstore.work_dir(version) / stage / str(cell)


def _touch(path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.touch()


@dataclass(frozen=True)
class DistributedRematch:
    """A distributed rematch under way: the version it makes and its cells."""

    version: str
    plan: CellPlan

    def __len__(self) -> int:
        return len(self.plan)


@collector_paused()
def match_rematch_distributed(
    *, k: int | None = None, cells: int | None = None
) -> DistributedRematch:
    """Read a snapshot and spread its whole rematch, fit included, over Celery tasks.

    Each step is one task per part, idempotent, and the last task of a step queues the
    next (``match_rematch_progress`` tells when all is done):

    1. ``rematch_profiles``: the material and use profiles of one part of the snapshot
       (the inference, most of a fit, is per listing: it splits without changing a bit);
    2. ``rematch_assemble``: the text model on the whole snapshot, the version stored and
       made current, one ``rematch_cell`` per cell queued;
    3. ``rematch_cell`` scores the pairs whose offer lies in the cell (every pair is scored
       in exactly one cell) and keeps the offers' top ``k`` and the wants' top ``k`` among
       its pairs; ``rematch_write`` merges what all cells kept for the wants inside one
       cell and stores those matches.
    """
    from matching.tasks import rematch_profiles

    snapshot_at = timezone.now()
    records = _active_records()
    version = _model_version(records, catalogue.knowledge())
    # The index's order (offers, then wants), so the plan is the one its arrays give.
    ordered = [r for r in records if r.kind == OFFER] + [r for r in records if r.kind == WANT]
    plan = plan_cells(
        np.array([r.lat for r in ordered], dtype=np.float64),
        np.array([r.lon for r in ordered], dtype=np.float64),
        np.array([r.max_km for r in ordered], dtype=np.float64),
        cells=cells or settings.MATCH_REMATCH_CELLS,
    )
    work = modelstore.work_dir(version)
    for stage in ("fit", "profiled", "selected", "written", "queued", "parts"):
        shutil.rmtree(work / stage, ignore_errors=True)
    _plan_path(version).write_bytes(
        pickle.dumps((plan, settings.MATCH_TOP_K if k is None else k))
    )
    bounds = np.linspace(0, len(records), len(plan) + 1).astype(int).tolist()
    for part in range(len(plan)):
        _write_work(_fit_path(version, part, "records"),
                    (snapshot_at, pack_records(records[bounds[part] : bounds[part + 1]])))
    for part in range(len(plan)):
        rematch_profiles.delay(version, part)
    return DistributedRematch(version=version, plan=plan)


@collector_paused()
def match_rematch_profiles(*, version: str, part: int) -> int:
    """Infer the profiles of one part of a distributed rematch's snapshot; the last part
    to finish queues the assembly."""
    from matching.tasks import rematch_assemble

    _snapshot_at, packed = _read_work(_fit_path(version, part, "records"))
    records = unpack_records(packed)
    _write_work(_fit_path(version, part, "profiles"),
                catalogue.knowledge().inference.profiles(records))
    plan, _k = _load_plan(version)
    if _last_to_finish(version, "profiled", part, len(plan)):
        rematch_assemble.delay(version)
    return len(records)


@collector_paused()
def match_rematch_assemble(*, version: str) -> int:
    """Fit the text model on the whole snapshot, build the index from the parts' profiles,
    store the version and make it current, and queue the cells."""
    from matching.tasks import rematch_cell

    plan, _k = _load_plan(version)
    parts = [_read_work(_fit_path(version, p, "records")) for p in range(len(plan))]
    profiles = Profiles.stack([_read_work(_fit_path(version, p, "profiles"))
                               for p in range(len(plan))])
    records = [record for _snapshot_at, part in parts for record in unpack_records(part)]
    knowledge = catalogue.knowledge()
    # The version is found again while the text model is fitted (``build``).
    index = MatchIndex.build(records, knowledge, profiles=profiles,
                             version=partial(_model_version, records, knowledge),
                             processes=settings.MATCH_PROCESSES)
    if index.version != version:
        # The knowledge base changed since the snapshot was read (a deploy): start over.
        raise LookupError(f"the snapshot of {version} no longer reads as that version")
    model = StoredModel(index=index, snapshot_at=parts[0][0])
    modelstore.save(model)
    modelstore.set_current(model.version)
    for cell in range(len(plan)):
        rematch_cell.delay(version, cell)
    return len(records)


def _fit_path(version: str, part: int, what: str) -> Path:
    return modelstore.work_dir(version) / "fit" / f"{part}.{what}.pkl"


def _write_work(path: Path, value: Any) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".tmp")
    tmp.write_bytes(pickle.dumps(value, protocol=5))
    os.replace(tmp, path)


def _read_work(path: Path) -> Any:
    return pickle.loads(path.read_bytes())  # noqa: S301 - our own work file


def _last_to_finish(version: str, stage: str, part: int, parts: int) -> bool:
    """Mark ``part`` done at ``stage``; True for exactly one caller once all are done."""
    _touch(_marker(version, stage, part))
    if len(list((modelstore.work_dir(version) / stage).iterdir())) < parts:
        return False
    queued = _marker(version, "queued", stage)
    queued.parent.mkdir(parents=True, exist_ok=True)
    try:
        # Of the parts that see all done, exactly one goes on.
        os.close(os.open(queued, os.O_CREAT | os.O_EXCL | os.O_WRONLY))
    except FileExistsError:
        return False
    return True


def _load_plan(version: str) -> tuple[CellPlan, int]:
    return pickle.loads(_plan_path(version).read_bytes())  # noqa: S301 - our own file


def _part_path(version: str, target: int, cell: int) -> Path:
    return modelstore.work_dir(version) / "parts" / str(target) / f"{cell}.pkl"


@collector_paused()
def match_rematch_cell(*, version: str, cell: int) -> int:
    """Score the pairs whose offer lies in ``cell`` under model ``version``.

    What it keeps goes to files under the version's work folder, one per cell of the want;
    the last cell to finish queues the writers.
    """
    from matching.tasks import rematch_write

    model = modelstore.load(version)
    plan, k = _load_plan(version)
    index = model.index
    selection = index.select_cell(plan, cell, k)
    wants = index.side(WANT).arrays
    target = plan.assign(wants.lat[selection.want], wants.lon[selection.want])
    for other in range(len(plan)):
        _write_work(_part_path(version, other, cell), selection.take(target == other))
    if _last_to_finish(version, "selected", cell, len(plan)):
        for other in range(len(plan)):
            rematch_write.delay(version, other)
    return len(selection)


@transaction.atomic
@collector_paused()
def match_rematch_write(*, version: str, cell: int) -> tuple[int, int]:
    """Merge every cell's pairs for the wants inside ``cell`` and store those matches."""
    model = modelstore.load(version)
    plan, k = _load_plan(version)
    index = model.index
    folder = modelstore.work_dir(version) / "parts" / str(cell)
    parts = [_read_work(path) for path in sorted(folder.glob("*.pkl"))]
    if len(parts) != len(plan):
        raise LookupError(f"cell {cell} of {version}: {len(parts)} of {len(plan)} parts")
    selection = index.merge_cell(plan, cell, parts, k)
    wants = index.side(WANT).arrays
    mine = wants.ids[plan.assign(wants.lat, wants.lon) == cell]
    result = sync_matches(
        _rows(index, selection), version=model.version,
        offers=_snapshot_ids(index, OFFER), wants=mine,
    )
    transaction.on_commit(lambda: _touch(_marker(version, "written", cell)))
    return result


def match_rematch_progress(*, version: str) -> tuple[int, int, int]:
    """(cells selected, cells written, cells) of a distributed rematch."""
    plan, _k = _load_plan(version)
    work = modelstore.work_dir(version)

    def count(stage: str) -> int:
        folder = work / stage
        return len(list(folder.iterdir())) if folder.is_dir() else 0

    return count("selected"), count("written"), len(plan)


@transaction.atomic
def match_dismiss(
    *, match: Match, company: Company, user: User | None, reason: str, note: str = ""
) -> MatchDismissal:
    """Hide a match from one side for good; the pair is kept as a negative label."""
    if reason not in MatchDismissal.Reason.values:
        raise ValidationError({"reason": _("Choose a reason from the list.")})
    if company.id not in (match.offer.company_id, match.want.company_id):
        raise ValidationError(_("Only a party to this match can dismiss it."))
    dismissal, _created = MatchDismissal.objects.update_or_create(
        offer=match.offer,
        want=match.want,
        company=company,
        defaults={
            "user": user,
            "reason": reason,
            "note": note[:500],
            "components": match.components,
            "score": match.score,
        },
    )
    return dismissal
