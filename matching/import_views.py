"""Portal pages of a firm's listing imports: upload, preview, confirm, progress, result.

The pages call ``matching.imports`` (services write, selectors read); the templates
(``matching/import_job.html``) take their URLs from the context so the agency's pages can
show their own kinds' jobs with them.
"""

from __future__ import annotations

from django import forms
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from accounts.forms import add_service_errors
from accounts.models import Company
from accounts.views import company_required
from matching.imports import MAX_BYTES, get_importer
from matching.imports import selectors as import_selectors
from matching.imports import services as import_services
from matching.imports.template_files import template_csv, template_xlsx
from matching.models import ImportJob

KIND = "listings"
JOBS_PER_PAGE = 20


class ImportUploadForm(forms.Form):
    file = forms.FileField(
        label=gettext_lazy("CSV or Excel file"),
        help_text=gettext_lazy("UTF-8 CSV (separated by ; or ,) or .xlsx, at most 10 MB."),
        widget=forms.ClearableFileInput(attrs={"accept": ".csv,.xlsx,text/csv"}),
    )

    def clean_file(self):
        upload = self.cleaned_data["file"]
        if upload.size > MAX_BYTES:
            raise ValidationError(
                _("The file is %(size).1f MB; the limit is %(limit)d MB. Split it into "
                  "smaller files.") % {"size": upload.size / 1024 / 1024,
                                       "limit": MAX_BYTES // 1024 // 1024})
        return upload


def _job_or_404(company: Company, pk: int) -> ImportJob:
    job = import_selectors.import_job_get(pk=pk, company=company)
    if job is None or job.kind != KIND:
        raise Http404(_("No such import."))
    return job


def job_context(job: ImportJob, *, confirm_url: str, status_url: str, back_url: str,
                back_label: str, done_url: str = "", done_label: str = "") -> dict:
    """What ``matching/import_job.html`` shows of any kind's job (reused by other apps)."""
    importer = get_importer(job.kind)
    preview = job.preview or {}
    columns = list(job.columns)
    return {
        "job": job,
        "importer": importer,
        "columns": columns,
        "counts": preview.get("counts", {}),
        "preview_rows": [
            {**row, "cells": [row["values"].get(c, "") for c in columns]}
            for row in preview.get("rows", [])
        ],
        "row_errors": job.row_errors,
        "progress": import_selectors.import_job_progress(job=job),
        "previous": import_selectors.import_job_previous_same_file(job=job),
        "confirm_url": confirm_url,
        "status_url": status_url,
        "back_url": back_url,
        "back_label": back_label,
        "done_url": done_url,
        "done_label": done_label,
    }


@company_required
@require_http_methods(["GET", "POST"])
def import_list(request: HttpRequest, *, company: Company) -> HttpResponse:
    """The upload form and the company's earlier imports."""
    form = ImportUploadForm()
    if request.method == "POST":
        form = ImportUploadForm(request.POST, request.FILES)
        if form.is_valid():
            upload = form.cleaned_data["file"]
            try:
                job = import_services.import_job_preview(
                    kind=KIND, user=request.user, company=company, file_name=upload.name,
                    data=upload.read(MAX_BYTES + 1),
                )
            except ValidationError as exc:
                add_service_errors(form, exc)
            else:
                return redirect("matching:import_detail", pk=job.pk)
    jobs = import_selectors.import_job_list(company=company, kind=KIND).select_related(
        "created_by")
    page = Paginator(jobs, JOBS_PER_PAGE).get_page(request.GET.get("page"))
    return render(request, "matching/import_list.html", {
        "form": form, "page": page, "importer": get_importer(KIND),
        "limit_mb": MAX_BYTES // 1024 // 1024,
    })


@company_required
@require_GET
def import_detail(request: HttpRequest, pk: int, *, company: Company) -> HttpResponse:
    """Preview (before confirming), progress (while running) or result of one import."""
    job = _job_or_404(company, pk)
    return render(request, "matching/import_job.html", job_context(
        job,
        confirm_url=reverse("matching:import_confirm", args=[job.pk]),
        status_url=reverse("matching:import_status", args=[job.pk]),
        back_url=reverse("matching:import_list"), back_label=_("Imports"),
        done_url=reverse("matching:dashboard"), done_label=_("See your listings"),
    ))


@company_required
@require_POST
def import_confirm(request: HttpRequest, pk: int, *, company: Company) -> HttpResponse:
    job = _job_or_404(company, pk)
    try:
        job = import_services.import_job_confirm(job=job)
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    else:
        messages.success(request, _("Import started: the rows are being saved."))
    return redirect("matching:import_detail", pk=job.pk)


@company_required
@require_GET
def import_status(request: HttpRequest, pk: int, *, company: Company) -> JsonResponse:
    """The job's progress as JSON, polled by the progress bar."""
    job = _job_or_404(company, pk)
    return JsonResponse(import_selectors.import_job_progress(job=job))


@company_required
@require_GET
def import_template(request: HttpRequest, fmt: str, *, company: Company) -> HttpResponse:
    """The blank file to fill in, with the columns explained."""
    if fmt not in ("csv", "xlsx"):
        raise Http404(_("Templates are CSV or XLSX."))
    importer = get_importer(KIND)
    if fmt == "xlsx":
        response = HttpResponse(
            template_xlsx(importer),
            content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")
    else:
        response = HttpResponse(template_csv(importer), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{KIND}-template.{fmt}"'
    return response
