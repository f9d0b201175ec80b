"""Cold start pages for agency staff: import a facility register (upload → preview with row
errors → confirm → progress → result, on matching's one import machinery and its job
template), and the region's profiles made from it with their claim state (enter the
claim domain, claim on the firm's behalf). Thin: services and selectors do the work."""

from __future__ import annotations

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from accounts.forms import add_service_errors
from accounts.models import Agency
from agency.facilities import selectors as facility_selectors
from agency.facilities import services as facility_services
from agency.facilities.importer import SKIPS
from agency.selectors import agency_for_staff, agency_list_for_staff
from matching.import_views import ImportUploadForm, job_context
from matching.imports import MAX_BYTES, get_importer
from matching.imports import selectors as import_selectors
from matching.imports import services as import_services
from matching.models import ImportJob

KIND = "facilities"
PER_PAGE = 25


def _agency(request: HttpRequest) -> Agency:
    agency = agency_for_staff(user=request.user,
                              agency_id=request.POST.get("agency") or request.GET.get("agency"))
    if agency is None:
        raise Http404
    return agency


def _job_or_404(request: HttpRequest, pk: int) -> tuple[Agency, ImportJob]:
    """The job and its agency, if the user works for that agency."""
    for agency in agency_list_for_staff(user=request.user):
        job = import_selectors.import_job_get(pk=pk, agency_id=agency.pk)
        if job is not None and job.kind == KIND:
            return agency, job
    raise Http404(_("No such import."))


@login_required
@require_http_methods(["GET", "POST"])
def facility_imports(request: HttpRequest) -> HttpResponse:
    """Upload a register file (to its preview), and the agency's earlier imports."""
    agency = _agency(request)
    form = ImportUploadForm()
    if request.method == "POST":
        form = ImportUploadForm(request.POST, request.FILES)
        if form.is_valid():
            upload = form.cleaned_data["file"]
            try:
                job = import_services.import_job_preview(
                    kind=KIND, user=request.user, agency_id=agency.pk, file_name=upload.name,
                    data=upload.read(MAX_BYTES + 1))
            except ValidationError as exc:
                add_service_errors(form, exc)
            else:
                return redirect("agency:facility_import", pk=job.pk)
    jobs = import_selectors.import_job_list(agency_id=agency.pk, kind=KIND).select_related(
        "created_by")
    return render(request, "agency/facilities_imports.html", {
        "agency": agency, "agencies": list(agency_list_for_staff(user=request.user)),
        "form": form, "page": Paginator(jobs, PER_PAGE).get_page(request.GET.get("page")),
        "importer": get_importer(KIND), "limit_mb": MAX_BYTES // 1024 // 1024,
    })


@login_required
@require_GET
def facility_import(request: HttpRequest, pk: int) -> HttpResponse:
    """Preview, progress or result of one register import."""
    agency, job = _job_or_404(request, pk)
    context = job_context(
        job, confirm_url=reverse("agency:facility_import_confirm", args=[job.pk]),
        status_url=reverse("agency:facility_import_status", args=[job.pk]),
        back_url=reverse("agency:facility_imports"), back_label=_("Register imports"))
    counts = job.summary if job.status == ImportJob.Status.DONE else context["counts"]
    context.update({
        "agency": agency,
        "skipped": [(SKIP_LABELS[key], counts.get(key, 0)) for key in SKIPS
                    if counts.get(key)],
    })
    return render(request, "agency/facilities_job.html", context)


SKIP_LABELS = {
    "earlier_year": gettext_lazy("earlier reporting years (the latest is imported)"),
    "outside_regions": gettext_lazy("sites outside your regions"),
    "not_operating": gettext_lazy("sites no longer operating"),
    "confidential": gettext_lazy("sites the register keeps confidential"),
}


@login_required
@require_POST
def facility_import_confirm(request: HttpRequest, pk: int) -> HttpResponse:
    _agency_of_job, job = _job_or_404(request, pk)
    job = import_services.import_job_confirm(job=job)
    messages.success(request, _("Import started: the profiles are being made."))
    return redirect("agency:facility_import", pk=job.pk)


@login_required
@require_GET
def facility_import_status(request: HttpRequest, pk: int) -> JsonResponse:
    """The job's progress as JSON, polled by the progress bar."""
    _agency_of_job, job = _job_or_404(request, pk)
    return JsonResponse(import_selectors.import_job_progress(job=job))


# --- the profiles ------------------------------------------------------------------------


STATES = {"unclaimed": False, "claimed": True, "all": None}


class ClaimDomainForm(forms.Form):
    claim_domain = forms.CharField(label=gettext_lazy("Claim e-mail domain"), max_length=253,
                                   required=False)


class ClaimForFirmForm(forms.Form):
    owner_email = forms.EmailField(
        label=gettext_lazy("Owner's e-mail address (optional)"), required=False,
        help_text=gettext_lazy("Invited as the profile's owner."))


@login_required
@require_GET
def facility_profiles(request: HttpRequest) -> HttpResponse:
    """The region's profiles made from the register, unclaimed first by default."""
    agency = _agency(request)
    state = request.GET.get("state", "unclaimed")
    if state not in STATES:
        state = "unclaimed"
    search = request.GET.get("q", "").strip()
    profiles = facility_selectors.facility_profile_list(agency=agency, claimed=STATES[state],
                                                       search=search)
    page = Paginator(profiles, PER_PAGE).get_page(request.GET.get("page"))
    return render(request, "agency/facilities.html", {
        "agency": agency, "agencies": list(agency_list_for_staff(user=request.user)),
        "page": page, "state": state, "search": search,
        "claim_url": request.build_absolute_uri(reverse("accounts:claim")),
    })


def _profile_or_404(agency: Agency, pk: int):
    company = facility_selectors.facility_profile_get(agency=agency, pk=pk)
    if company is None:
        raise Http404(_("No such profile in your regions."))
    return company


def _back(request: HttpRequest) -> HttpResponse:
    target = request.POST.get("next", "")
    if target.startswith("/agency/"):
        return redirect(target)
    return redirect("agency:facility_profiles")


@login_required
@require_POST
def facility_profile_domain(request: HttpRequest, pk: int) -> HttpResponse:
    """Enter (or clear) the e-mail domain that may claim the profile."""
    agency = _agency(request)
    company = _profile_or_404(agency, pk)
    form = ClaimDomainForm(request.POST)
    if form.is_valid():
        try:
            company = facility_services.facility_set_claim_domain(
                agency=agency, company=company, domain=form.cleaned_data["claim_domain"])
        except (ValidationError, PermissionDenied) as exc:
            messages.error(request, " ".join(getattr(exc, "messages", [str(exc)])))
        else:
            messages.success(request, _("%(company)s may be claimed from %(domain)s.") % {
                "company": company.name, "domain": company.claim_domain or "—"})
    return _back(request)


@login_required
@require_POST
def facility_profile_claim(request: HttpRequest, pk: int) -> HttpResponse:
    """Claim the profile on the firm's behalf (the firm asked the agency)."""
    agency = _agency(request)
    company = _profile_or_404(agency, pk)
    form = ClaimForFirmForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Enter a valid e-mail address, or none."))
        return _back(request)
    try:
        facility_services.facility_claim_for_firm(
            agency=agency, company=company, staff=request.user,
            owner_email=form.cleaned_data["owner_email"],
            base_url=request.build_absolute_uri("/").rstrip("/"))
    except (ValidationError, PermissionDenied) as exc:
        messages.error(request, " ".join(getattr(exc, "messages", [str(exc)])))
    else:
        messages.success(request, _("%(company)s is claimed on the firm's behalf.") % {
            "company": company.name})
    return _back(request)
