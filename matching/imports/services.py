"""Writes of the import machinery: preview an upload, confirm it, apply it in chunks.

``import_job_preview`` parses and validates every row (nothing is saved but the job;
a large file is validated by a task, ``import_job_check``),
``import_job_confirm`` queues the task after commit, ``import_job_run`` (the task's one
call) applies the rows chunk by chunk, each chunk in its own transaction with the job's
progress, so a page polling the job sees it move and a retried task resumes where the
last committed chunk ended.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from django.core.exceptions import ValidationError
from django.db import OperationalError, transaction
from django.utils import timezone

from accounts.models import Company, User
from matching.imports.parsing import ImportFileError, ParsedRow, parse_upload
from matching.imports.registry import (
    CREATE,
    CREATED,
    ERROR,
    UNCHANGED,
    UPDATE,
    UPDATED,
    Applied,
    Checked,
    ImportContext,
    Importer,
    get_importer,
)
from matching.models import ImportJob

PREVIEW_ROWS = 20
# Larger files are checked by a task, so the upload's request stays short.
INLINE_CHECK_ROWS = 500
CHUNK_ROWS = 200
# Row errors kept on the job (the counts stay exact beyond it).
MAX_STORED_ERRORS = 1000


def _messages(exc: ValidationError) -> dict[str, list[str]]:
    if hasattr(exc, "error_dict"):
        return {name: [m for e in errors for m in e.messages]
                for name, errors in exc.error_dict.items()}
    return {"row": exc.messages}


def _check(importer: Importer, row: ParsedRow, context: ImportContext) -> Checked:
    if row.errors:
        return Checked(errors={"row": list(row.errors)})
    try:
        checked = importer.validate(row.values, context=context)
    except ValidationError as exc:
        return Checked(errors=_messages(exc))
    return checked


def _parsed(stored: list[dict[str, Any]]) -> list[ParsedRow]:
    return [ParsedRow(number=r["row"], values=r["values"], errors=r.get("errors", []))
            for r in stored]


def _context(job: ImportJob | None, *, user: User | None, company: Company | None,
             agency_id: int | None) -> ImportContext:
    return ImportContext(job=job, user=user, company=company, agency_id=agency_id)


def import_job_preview(
    *, kind: str, user: User | None, file_name: str, data: bytes,
    company: Company | None = None, agency_id: int | None = None,
    background: bool | None = None,
) -> ImportJob:
    """Parse an upload, validate every row, and store it as a job waiting for confirmation.

    ``ValidationError`` on ``file`` when the file cannot be read or its columns do not fit
    the kind; row errors do not raise, they are on the job. A file of more than
    ``INLINE_CHECK_ROWS`` rows (or any, with ``background=True``) is stored as
    ``checking`` and validated by a task after commit (``import_job_check``, progress in
    ``processed``); the job becomes ``previewed`` when it is done.
    """
    try:
        importer = get_importer(kind)
    except LookupError as exc:
        raise ValidationError({"kind": str(exc)}, code="kind") from None
    if (company is None) == (agency_id is None):
        raise ValidationError("An import belongs to a company or to an agency.", code="owner")
    try:
        parsed = parse_upload(name=file_name, data=data, max_rows=importer.max_rows)
    except ImportFileError as exc:
        raise ValidationError({"file": str(exc)}, code="file") from None
    known = set(importer.column_names)
    unknown = [c for c in parsed.columns if c not in known]
    missing = [c.name for c in importer.columns if c.required and c not in parsed.columns
               and c.name not in parsed.columns]
    if unknown or missing:
        parts = []
        if missing:
            parts.append("Required column missing: " + ", ".join(missing) + ".")
        if unknown:
            parts.append("Unknown column: " + ", ".join(unknown) + ".")
        parts.append("The columns are: " + ", ".join(importer.column_names) + ".")
        raise ValidationError({"file": " ".join(parts)}, code="columns")

    job = ImportJob.objects.create(
        kind=kind, created_by=user, company=company, agency_id=agency_id,
        file_name=file_name[:255], file_format=parsed.format,
        sha256=hashlib.sha256(data).hexdigest(), columns=parsed.columns,
        rows=[{"row": r.number, "values": r.values, **({"errors": r.errors} if r.errors
                                                          else {})} for r in parsed.rows],
        total=len(parsed.rows), status=ImportJob.Status.CHECKING,
    )
    if background is None:
        background = len(parsed.rows) > INLINE_CHECK_ROWS
    if background:
        from matching.tasks import check_import

        check_import.delay_on_commit(job.pk)
        return job
    return _check_rows(job=job, rows=parsed.rows, report_progress=False)


def import_job_check(*, job_id: int) -> ImportJob | None:
    """Validate the rows of a job uploaded for checking in the background (the task's one
    call); a job already checked, or gone, is returned as it is."""
    job = ImportJob.objects.filter(pk=job_id).first()
    if job is None or job.status != ImportJob.Status.CHECKING:
        return job
    try:
        return _check_rows(job=job, rows=_parsed(job.rows), report_progress=True)
    except OperationalError:
        raise
    except Exception as exc:
        ImportJob.objects.filter(pk=job_id, status=ImportJob.Status.CHECKING).update(
            status=ImportJob.Status.FAILED, error=f"{type(exc).__name__}: {exc}"[:2000],
            finished_at=timezone.now())
        raise


def _check_rows(*, job: ImportJob, rows: list[ParsedRow], report_progress: bool
                ) -> ImportJob:
    """Every row through the kind's ``validate`` (nothing written), chunk by chunk as when
    applied; the counts, first rows and errors become the job's preview."""
    importer = get_importer(job.kind)
    context = _context(job, user=job.created_by, company=job.company, agency_id=job.agency_id)
    counts = {CREATE: 0, UPDATE: 0, UNCHANGED: 0, ERROR: 0}
    shown: list[dict[str, Any]] = []
    errors: list[dict[str, Any]] = []
    for start in range(0, len(rows), CHUNK_ROWS):
        chunk = rows[start:start + CHUNK_ROWS]
        importer.begin(rows=chunk, context=context)
        for row in chunk:
            checked = _check(importer, row, context)
            action = checked.action if checked.ok else ERROR
            counts[action] = counts.get(action, 0) + 1
            if not checked.ok and len(errors) < MAX_STORED_ERRORS:
                errors.append({"row": row.number, "errors": checked.errors})
            if len(shown) < PREVIEW_ROWS:
                shown.append({"row": row.number, "action": action, "values": row.values,
                              "errors": checked.errors})
        if report_progress:
            # Committed at once (no transaction here), so the page's poll sees it move.
            ImportJob.objects.filter(pk=job.pk).update(processed=start + len(chunk))
    job.preview = {"counts": counts, "rows": shown}
    job.row_errors = errors
    job.status, job.processed = ImportJob.Status.PREVIEWED, 0
    job.save(update_fields=["preview", "row_errors", "status", "processed", "updated_at"])
    return job


@transaction.atomic
def import_job_confirm(*, job: ImportJob) -> ImportJob:
    """Queue the job's rows to be applied (after commit). Confirming again does nothing."""
    locked = ImportJob.objects.select_for_update().defer("rows").get(pk=job.pk)
    if locked.status == ImportJob.Status.CHECKING:
        raise ValidationError({"status": "The rows are still being checked; confirm once "
                                         "the preview is ready."}, code="checking")
    if locked.status != ImportJob.Status.PREVIEWED:
        return locked
    locked.status = ImportJob.Status.QUEUED
    locked.save(update_fields=["status", "updated_at"])
    from matching.tasks import run_import

    run_import.delay_on_commit(locked.pk)
    return locked


@dataclass
class _Run:
    """One run of the task: the job's rows, read once, and the kind's context."""

    rows: list[ParsedRow]
    context: ImportContext


def import_job_run(*, job_id: int, chunk_rows: int = CHUNK_ROWS) -> ImportJob | None:
    """Apply a confirmed job's rows, one transaction per chunk; None if the job is gone.

    Idempotent: a finished job is returned as it is, a job cut off half-way resumes after
    its last committed chunk (and its rows are upserts anyway). A database outage is left
    to the task's retry; any other exception marks the job failed.
    """
    run: _Run | None = None
    try:
        while True:
            job, more, run = _run_chunk(job_id=job_id, chunk_rows=chunk_rows, run=run)
            if job is None or not more:
                return job
    except OperationalError:
        raise
    except Exception as exc:
        _fail(job_id=job_id, message=f"{type(exc).__name__}: {exc}")
        raise


_PROGRESS_FIELDS = ["status", "started_at", "finished_at", "summary", "row_errors",
                    "changed_ids", "processed", "updated_at"]


@transaction.atomic
def _run_chunk(*, job_id: int, chunk_rows: int, run: _Run | None
               ) -> tuple[ImportJob | None, bool, _Run | None]:
    # The lock makes a second delivery of the task wait, then carry on from the progress
    # the first one committed. The rows (megabytes) are read once per run, not per chunk.
    job = ImportJob.objects.select_for_update().defer("rows").filter(pk=job_id).first()
    if job is None or job.status not in (ImportJob.Status.QUEUED, ImportJob.Status.RUNNING):
        return job, False, run
    importer = get_importer(job.kind)
    if job.status == ImportJob.Status.QUEUED:
        job.status, job.started_at = ImportJob.Status.RUNNING, timezone.now()
        job.summary = {CREATED: 0, UPDATED: 0, UNCHANGED: 0, ERROR: 0}
        job.row_errors, job.changed_ids = [], []
    if run is None:
        stored = ImportJob.objects.values_list("rows", flat=True).get(pk=job_id)
        run = _Run(rows=_parsed(stored), context=_context(
            job, user=job.created_by, company=job.company, agency_id=job.agency_id))
        _mark_seen(importer, run.rows[: job.processed], run.context)
    context = run.context
    context.job = job
    rows = run.rows[job.processed: job.processed + chunk_rows]
    importer.begin(rows=rows, context=context)
    for row in rows:
        checked = _check(importer, row, context)
        if checked.ok and checked.action == UNCHANGED:
            # Nothing to write: validate compared the row with what is stored, just now.
            job.summary[UNCHANGED] += 1
            continue
        if checked.ok:
            try:
                with transaction.atomic():
                    applied: Applied = importer.apply(checked.payload, context=context)
            except ValidationError as exc:
                checked = Checked(errors=_messages(exc))
        if not checked.ok:
            job.summary[ERROR] += 1
            if len(job.row_errors) < MAX_STORED_ERRORS:
                job.row_errors.append({"row": row.number, "errors": checked.errors})
            continue
        job.summary[applied.result] = job.summary.get(applied.result, 0) + 1
        if applied.result in (CREATED, UPDATED) and applied.object_id is not None:
            job.changed_ids.append(applied.object_id)
    job.processed += len(rows)
    more = job.processed < job.total
    if not more:
        importer.finish(changed_ids=list(job.changed_ids), context=context)
        job.status, job.finished_at = ImportJob.Status.DONE, timezone.now()
    job.save(update_fields=_PROGRESS_FIELDS)
    return job, more, run


def _mark_seen(importer: Importer, earlier: list[ParsedRow], context: ImportContext) -> None:
    # A resumed run has no memory of the keys of the rows applied before it: the kind's
    # duplicate check gets them from one validation pass that writes nothing.
    if earlier:
        importer.begin(rows=earlier, context=context)
        for row in earlier:
            _check(importer, row, context)


def _fail(*, job_id: int, message: str) -> None:
    ImportJob.objects.filter(
        pk=job_id, status__in=[ImportJob.Status.QUEUED, ImportJob.Status.RUNNING]
    ).update(status=ImportJob.Status.FAILED, error=message[:2000], finished_at=timezone.now())


def import_job_rows_for_template(importer: Importer) -> Sequence[list[str]]:
    """Header and one example row of a kind's template."""
    return [importer.column_names, [c.example for c in importer.columns]]
