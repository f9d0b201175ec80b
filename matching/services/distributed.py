"""The distributed full rematch: one task per geographic cell, then one writer per cell.

Each step is a Celery task (``matching.tasks``) that calls one function here; the steps
hand their work to each other through files under the version's work folder
(``modelstore.work_dir``).
"""

from __future__ import annotations

import os
import pickle
import shutil
from dataclasses import dataclass
from functools import partial
from pathlib import Path
from typing import Any

import numpy as np
from django.conf import settings
from django.db import transaction
from django.utils import timezone

from matching import catalogue, modelstore
from matching.bulkwrite import sync_matches
from matching.engine import (
    OFFER,
    WANT,
    CellPlan,
    MatchIndex,
    Profiles,
    collector_paused,
    pack_records,
    plan_cells,
    ranker_version,
    unpack_records,
)
from matching.modelstore import StoredModel
from matching.services.records import active_records, model_version
from matching.services.rematch import match_rows, snapshot_ids


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
    records = active_records()
    version = model_version(records, catalogue.scoring_knowledge())
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
    knowledge = catalogue.scoring_knowledge()
    # The version is found again while the text model is fitted (``build``).
    index = MatchIndex.build(records, knowledge, profiles=profiles,
                             version=partial(model_version, records, knowledge),
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
        match_rows(index, selection), version=model.version,
        offers=snapshot_ids(index, OFFER), wants=mine,
        ranker=ranker_version(index.knowledge.config.ranker),
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
