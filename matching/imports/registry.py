"""Importer kinds: what a spreadsheet's rows mean and how each one is saved.

One machinery (``matching.imports``: upload, preview, confirm, a task with progress,
result) serves every kind of import; a *kind* only says what its rows are.

Registering a kind from a higher app
------------------------------------
``matching`` never imports the apps above it, so they register their kinds themselves,
from their ``AppConfig.ready()``::

    # agency/apps.py
    class AgencyConfig(AppConfig):
        name = "agency"

        def ready(self):
            from agency.imports import FacilityImporter
            from matching.imports import register

            register(FacilityImporter())

A kind subclasses ``Importer`` and sets:

- ``kind``: a unique slug (``"listings"``, ``"facilities"``); stored on ``ImportJob.kind``.
- ``label``: what the pages call it ("Listings").
- ``scope``: ``"company"`` (a firm imports into its own company: ``context.company`` is
  set; the firm's portal and ``/api/v1/imports/`` offer it) or ``"agency"`` (staff import
  for their agency: ``context.agency_id`` is set; only the agency's own pages offer it,
  and they check who may).
- ``columns``: ``Column(name, required, help, example)`` in template order. Headers are
  matched after ``normalise_header`` ('External ID' → 'external_id'); a file missing a
  required column, or with a column not listed, is refused before any row is read.
- ``max_rows``: optional, default ``parsing.MAX_ROWS``.

and implements:

``begin(*, rows, context) -> None`` (optional)
    Called once before a batch of rows is validated (the whole file at preview, one chunk
    when applying), with the ``ParsedRow`` list: prefetch what the rows refer to into
    ``context.cache`` so validation does not query per row.

``validate(values, *, context) -> Checked``
    ``values`` maps every column of the file to its cell as a stripped string ('' when
    empty). Return ``Checked(action=CREATE|UPDATE|UNCHANGED, payload=...)`` for a good
    row, or ``Checked(errors={"column": ["message", ...]})`` for a bad one (or raise a
    Django ``ValidationError`` keyed by column: it is turned into the same). It must not
    write: the preview calls it for every row (in a task for a large file). It is called
    again for each row just before ``apply`` (the data may have changed since the
    preview).

``apply(payload, *, context) -> Applied``
    Save one row that ``validate`` just passed with ``CREATE`` or ``UPDATE`` (a row it
    marks ``UNCHANGED`` is counted as unchanged and not applied; ``payload`` is what it
    returned, handed over in the same transaction, never stored) and return
    ``Applied(result=CREATED|UPDATED|UNCHANGED, object_id=...)``. It must be idempotent:
    applying the same row again gives ``UNCHANGED`` and writes nothing (upsert by a key
    of the file, e.g. an external id). Each call runs in a savepoint; a Django
    ``ValidationError`` it raises becomes that row's error and undoes only that row.
    Defer slow follow-ups (matching) to ``finish``.

``finish(*, changed_ids, context) -> None`` (optional)
    Called once, in the transaction of the last chunk, with the ``object_id`` of every
    row created or updated by the whole import: queue one follow-up for all of them
    (the listings kind queues one rematch, not one per row).

``context`` is an ``ImportContext``: ``job`` (the ``ImportJob``), ``user``,
``company``, ``agency_id``, ``cache`` (a dict the kind may fill; it lives for one preview
or one run of the task) and ``seen`` (a set the kind may use to refuse a key appearing
twice in one file).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from matching.imports.parsing import MAX_ROWS, ParsedRow

if TYPE_CHECKING:
    from accounts.models import Company, User
    from matching.models import ImportJob

# What validate expects a row to do, and what apply did.
CREATE, UPDATE, UNCHANGED = "create", "update", "unchanged"
CREATED, UPDATED, ERROR = "created", "updated", "error"
COMPANY, AGENCY = "company", "agency"


@dataclass(frozen=True)
class Column:
    name: str
    required: bool = False
    help: str = ""
    example: str = ""


@dataclass
class Checked:
    """A validated row: an action and a payload, or errors by column."""

    action: str = ""
    payload: Any = None
    errors: dict[str, list[str]] = field(default_factory=dict)

    @property
    def ok(self) -> bool:
        return not self.errors


@dataclass
class Applied:
    result: str  # CREATED, UPDATED or UNCHANGED
    object_id: int | None = None


@dataclass
class ImportContext:
    job: ImportJob | None
    user: User | None
    company: Company | None = None
    agency_id: int | None = None
    cache: dict[str, Any] = field(default_factory=dict)
    seen: set[str] = field(default_factory=set)


class Importer:
    """One kind of import; see the module's docstring."""

    kind: str = ""
    label: str = ""
    scope: str = COMPANY
    columns: Sequence[Column] = ()
    max_rows: int = MAX_ROWS
    description: str = ""

    def begin(self, *, rows: Sequence[ParsedRow], context: ImportContext) -> None:
        """Prefetch for these rows (optional)."""

    def validate(self, values: Mapping[str, str], *, context: ImportContext) -> Checked:
        raise NotImplementedError

    def apply(self, payload: Any, *, context: ImportContext) -> Applied:
        raise NotImplementedError

    def finish(self, *, changed_ids: Sequence[int], context: ImportContext) -> None:
        """One follow-up for everything the import wrote (optional)."""

    @property
    def column_names(self) -> list[str]:
        return [c.name for c in self.columns]


_REGISTRY: dict[str, Importer] = {}


def register(importer: Importer) -> Importer:
    """Make a kind available (call from ``AppConfig.ready()``; registering the same kind
    again replaces it, so reloading is harmless)."""
    if not importer.kind or importer.scope not in (COMPANY, AGENCY):
        raise ValueError("An importer needs a kind and a scope of 'company' or 'agency'.")
    _REGISTRY[importer.kind] = importer
    return importer


def get_importer(kind: str) -> Importer:
    """The registered kind; ``LookupError`` when there is none."""
    try:
        return _REGISTRY[kind]
    except KeyError:
        raise LookupError(f"No importer of kind {kind!r}.") from None


def importers(*, scope: str | None = None) -> list[Importer]:
    return [i for i in _REGISTRY.values() if scope is None or i.scope == scope]
