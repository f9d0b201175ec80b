"""Writes for matching, one module per concern; callers use ``from matching import services``.

- ``listings``: create, update and close listings (validated by ``matching.rules``);
- ``records``: listings as the engine's records, and the model version they give;
- ``rematch``: the full rematch in one process, and one listing against the current model;
- ``distributed``: the full rematch spread over Celery tasks, one per geographic cell;
- ``dismissals``: a firm hides a match from itself;
- ``bulk``: many listings saved at once, matched by one task for the batch;
- ``labels``: what decisions say about pairs (``label_record``, called by higher apps too);
- ``ranker``: the learned ranker fitted on them, measured, activated.
"""

from __future__ import annotations

from matching.services.bulk import (
    BulkItem,
    BulkOutcome,
    listing_queue_rematch_many,
    listing_rematch_many,
    listing_save_many,
)
from matching.services.dismissals import match_dismiss
from matching.services.distributed import (
    DistributedRematch,
    match_rematch_assemble,
    match_rematch_cell,
    match_rematch_distributed,
    match_rematch_profiles,
    match_rematch_progress,
    match_rematch_write,
)
from matching.services.labels import label_record
from matching.services.listings import (
    LISTING_FIELDS,
    listing_create,
    listing_derive_amount,
    listing_queue_rematch,
    listing_set_status,
    listing_update,
)
from matching.services.ranker import (
    RankerOutcome,
    ranker_activate,
    ranker_evaluate_judged,
    ranker_retrain_due,
    ranker_train,
)
from matching.services.records import listing_to_record
from matching.services.rematch import (
    RematchReport,
    listing_rematch,
    match_pending,
    match_rematch_all,
    match_rematch_full,
)

__all__ = [
    "BulkItem",
    "BulkOutcome",
    "listing_queue_rematch_many",
    "listing_rematch_many",
    "listing_save_many",
    "LISTING_FIELDS",
    "DistributedRematch",
    "RankerOutcome",
    "RematchReport",
    "label_record",
    "ranker_activate",
    "ranker_evaluate_judged",
    "ranker_retrain_due",
    "ranker_train",
    "listing_create",
    "listing_derive_amount",
    "listing_queue_rematch",
    "listing_rematch",
    "listing_set_status",
    "listing_to_record",
    "listing_update",
    "match_dismiss",
    "match_pending",
    "match_rematch_all",
    "match_rematch_assemble",
    "match_rematch_cell",
    "match_rematch_distributed",
    "match_rematch_full",
    "match_rematch_profiles",
    "match_rematch_progress",
    "match_rematch_write",
]
