"""What a fitted ``MatchIndex`` keeps when pickled into a model file, and how it is read back.

The app stores models (``matching.modelstore``); the engine decides their contents: the
records once, as columns (each side names its own by position), no reference data (the
loader gives it back with ``attach``, which refuses an index fitted with another
configuration, by an older engine or with another knowledge base), nothing derived.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from matching.engine.config import DEFAULT_TUNING
from matching.engine.index.geometry import _Side
from matching.engine.knowledge import Knowledge
from matching.engine.records import OFFER, ListingRecord, pack_records, unpack_records

if TYPE_CHECKING:
    from matching.engine.index import MatchIndex


def index_state(index: MatchIndex) -> dict:
    """The pickled state of an index (``MatchIndex.__getstate__``)."""
    state = index.__dict__.copy()
    del state["_where"]  # rebuilt on load: cheaper than pickling 100k tuples
    state.pop("_codes", None)  # derived on first use
    # How bulk work is cut up belongs to the process that loads the model, not to it.
    state.pop("tuning", None)
    # Reference data is loaded by whoever unpickles (``attach``), not stored per model.
    state["knowledge"] = None
    # The records once, as columns; each side names its own by position.
    state["records"] = pack_records(index.records)
    position = {id(record): i for i, record in enumerate(index.records)}
    state["_sides"] = {
        kind: (np.array([position[id(r)] for r in side.records], dtype=np.int64),
               side.arrays, side.matrix, side.xyz, side.reach, side.blocks,
               side.block_flags)
        for kind, side in index._sides.items()
    }
    return state


def restore_index(index: MatchIndex, state: dict) -> None:
    """Fill an unpickled index from ``index_state`` (``MatchIndex.__setstate__``)."""
    if isinstance(state["records"], tuple) and all(
            isinstance(record, ListingRecord) for record in state["records"]):
        # Pickled before the records were packed: the sides hold their own records.
        state["_sides"] = {kind: _Side(*parts) for kind, parts in state["_sides"].items()}
    else:
        records = state["records"] = unpack_records(state["records"])
        state["_sides"] = {
            kind: _Side(tuple(records[i] for i in rows.tolist()), *parts)
            for kind, (rows, *parts) in state["_sides"].items()
        }
    state.setdefault("tuning", DEFAULT_TUNING)
    index.__dict__.update(state)
    index._where = positions(index._sides)


def positions(sides: dict[str, _Side]) -> dict[int, tuple[str, int]]:
    """Listing id → (kind, position within its side)."""
    return {
        record.id: (kind, pos)
        for kind, side in sides.items()
        for pos, record in enumerate(side.records)
    }


def check_attachable(index: MatchIndex, knowledge: Knowledge) -> None:
    """``ValueError`` unless ``knowledge`` is what the index was fitted with."""
    config = index._sides[OFFER].arrays.config
    if knowledge.config != config:
        raise ValueError("the index was fitted with another scoring configuration")
    if not all(side.arrays.complete for side in index._sides.values()):
        raise ValueError("the index was fitted by an older engine")
    if getattr(index, "fingerprint", None) != knowledge.fingerprint:
        # Profiles read with other data would not line up with new listings' rows.
        raise ValueError("the index was fitted with another knowledge base")
