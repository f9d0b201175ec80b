"""Reads of import jobs: each caller sees its own company's (or agency's) jobs only."""

from __future__ import annotations

from django.db.models import QuerySet

from accounts.models import Company
from matching.models import ImportJob

# The stored rows can be megabytes: lists and progress polls never load them.
_HEAVY = ("rows",)


def import_job_list(*, company: Company | None = None, agency_id: int | None = None,
                    kind: str | None = None) -> QuerySet[ImportJob]:
    """Jobs of one company or one agency, newest first (without their stored rows)."""
    if (company is None) == (agency_id is None):
        return ImportJob.objects.none()
    jobs = ImportJob.objects.defer(*_HEAVY)
    jobs = jobs.filter(company=company) if company is not None else jobs.filter(
        agency_id=agency_id)
    return jobs.filter(kind=kind) if kind else jobs


def import_job_get(*, pk: int, company: Company | None = None,
                   agency_id: int | None = None) -> ImportJob | None:
    """One job if it belongs to this company or agency, else None."""
    return import_job_list(company=company, agency_id=agency_id).filter(pk=pk).first()


def import_job_previous_same_file(*, job: ImportJob) -> ImportJob | None:
    """The latest earlier job of the same owner and kind with the same file content."""
    return (import_job_list(company=job.company, agency_id=job.agency_id, kind=job.kind)
            .filter(sha256=job.sha256, created_at__lt=job.created_at)
            .exclude(pk=job.pk).first())


def import_job_progress(*, job: ImportJob) -> dict:
    """What a progress bar polls, and the API's view of a job (no rows, no values)."""
    return {
        "id": job.pk,
        "kind": job.kind,
        "file_name": job.file_name,
        "status": job.status,
        "status_display": job.get_status_display(),
        "total": job.total,
        "processed": job.processed,
        "percent": job.percent,
        "finished": job.finished,
        "preview_counts": (job.preview or {}).get("counts", {}),
        "summary": job.summary or {},
        "error_count": ((job.summary or {}).get("error")
                        if job.status in (ImportJob.Status.RUNNING, ImportJob.Status.DONE)
                        else (job.preview or {}).get("counts", {}).get("error", 0)) or 0,
        "error": job.error,
        "created_at": job.created_at,
        "finished_at": job.finished_at,
    }
