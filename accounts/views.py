"""Accounts pages: sign-up, the company profile, its people and invitations, and its sites.
Thin: services do the work."""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps

from django.contrib import messages
from django.contrib.auth import login
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from accounts import services
from accounts.forms import (
    NACE_DATALIST_ID,
    CompanyForm,
    InvitationForm,
    InvitationSignUpForm,
    SignUpForm,
    SiteForm,
    add_service_errors,
)
from accounts.geocoding import countries
from accounts.models import Company, Invitation, Membership
from accounts.selectors import (
    agency_consent_list_for_company,
    agency_list_for_company,
    agency_list_for_user,
    company_for_user,
    invitation_for_token,
    invitation_list_open_for_company,
    membership_list_for_company,
    membership_role_for,
    site_list_for_company,
)
from symbiosis.reference import nace_options, nace_title


def company_required(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    """Log-in required, and the user must act for a company; passes it as ``company``."""

    @login_required
    @wraps(view)
    def wrapper(request: HttpRequest, *args, **kwargs) -> HttpResponse:
        company = company_for_user(user=request.user)
        if company is None and agency_list_for_user(user=request.user).exists():
            # Agency staff without a firm of their own work from the region's matches.
            return redirect("agency:matches")
        if company is None:
            messages.info(request, _("Tell us about your company first."))
            return redirect("accounts:company_create")
        return view(request, *args, company=company, **kwargs)

    return wrapper


def _safe_next(request: HttpRequest) -> str:
    target = request.POST.get("next") or request.GET.get("next") or ""
    allowed = url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    )
    return target if allowed else ""


def _is_owner(user, company: Company) -> bool:
    return membership_role_for(user=user, company=company) == Membership.Role.OWNER


def _nace_context() -> dict:
    return {"nace_options": nace_options(), "nace_datalist_id": NACE_DATALIST_ID}


@require_http_methods(["GET", "POST"])
def signup(request: HttpRequest) -> HttpResponse:
    """Open an account for a person and their company, then log them in."""
    if request.user.is_authenticated:
        return redirect("matching:dashboard")
    form = SignUpForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            # The same answer for a new address and one with an account (no probing which
            # addresses are customers): both are told to follow the link we mailed.
            services.signup_request(
                email=data["email"],
                password=data["password1"],
                company_name=data["company_name"],
                full_name=data["full_name"],
                nace_code=data["nace_code"],
                registration_number=data["registration_number"],
                base_url=request.build_absolute_uri("/")[:-1],
            )
        except ValidationError as exc:
            add_service_errors(
                form, exc, field_map=SignUpForm.service_field_map, fallback="password1"
            )
        else:
            return redirect("accounts:signup_done")
    return render(request, "accounts/signup.html", {"form": form, **_nace_context()})


@require_http_methods(["GET"])
def signup_done(request: HttpRequest) -> HttpResponse:
    """After sign-up: follow the link we mailed, then log in."""
    return render(request, "accounts/signup_done.html")


@login_required
@require_http_methods(["GET", "POST"])
def company_create(request: HttpRequest) -> HttpResponse:
    """For a user who has an account but no company yet (e.g. made by an administrator)."""
    if company_for_user(user=request.user) is not None:
        return redirect("accounts:company")
    form = CompanyForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            services.company_create(user=request.user, data=form.cleaned_data)
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            messages.success(request, _("Company created. Now add your first site."))
            return redirect("accounts:site_create")
    return render(
        request, "accounts/company_form.html", {"form": form, "creating": True, **_nace_context()}
    )


@company_required
@require_http_methods(["GET", "POST"])
def company_profile(request: HttpRequest, *, company: Company) -> HttpResponse:
    """The company profile; every member reads it, owners edit it."""
    can_edit = _is_owner(request.user, company)
    form = None
    if can_edit:
        form = CompanyForm(request.POST or None, instance=company)
        if request.method == "POST" and form.is_valid():
            try:
                services.company_update(company=company, user=request.user,
                                        data=form.cleaned_data)
            except ValidationError as exc:
                add_service_errors(form, exc)
            else:
                messages.success(request, _("Company profile saved."))
                return redirect("accounts:company")
        if form.is_bound:
            # The form wrote the rejected input onto the instance; the page shows the stored one.
            company.refresh_from_db()
    elif request.method == "POST":
        messages.error(request, _("Only an owner of the company can change its profile."))
        return redirect("accounts:company")
    return _company_page(request, company, form=form, can_edit=can_edit)


def _company_page(request: HttpRequest, company: Company, *, form: CompanyForm | None,
                  can_edit: bool, invite_form: InvitationForm | None = None,
                  status: int = 200) -> HttpResponse:
    context = {
        "company": company,
        "form": form,
        "can_edit": can_edit,
        "sector": nace_title(company.nace_code) if company.nace_code else "",
        "members": membership_list_for_company(company=company),
        "sites": site_list_for_company(company=company),
        "agency_consents": _agency_consents(company),
        **_nace_context(),
    }
    if can_edit:
        # Only owners see who is invited: the addresses are the owners' business.
        context["invitations"] = invitation_list_open_for_company(company=company)
        context["invite_form"] = invite_form or InvitationForm()
    return render(request, "accounts/company_detail.html", context, status=status)


def _agency_consents(company: Company) -> list[dict]:
    """Each agency covering the firm's sites, with its open consent (if any)."""
    consents = list(agency_consent_list_for_company(company=company))
    return [
        {"agency": agency,
         "consent": next((c for c in consents if c.agency_id == agency.pk and c.is_open), None)}
        for agency in agency_list_for_company(company=company)
    ]


@company_required
@require_POST
def agency_consent(request: HttpRequest, agency_id: int, *, company: Company) -> HttpResponse:
    """An owner grants (``action=grant``) or revokes the agency's consent to edit listings."""
    agency = get_object_or_404(agency_list_for_company(company=company), pk=agency_id)
    try:
        if request.POST.get("action") == "grant":
            services.agency_consent_grant(company=company, agency=agency, user=request.user)
            messages.success(request, _("%(agency)s may now enter and edit your listings on "
                                        "your behalf.") % {"agency": agency.name})
        else:
            services.agency_consent_revoke(company=company, agency=agency, user=request.user)
            messages.success(request, _("%(agency)s can no longer edit your listings.")
                             % {"agency": agency.name})
    except (PermissionDenied, ValidationError) as exc:
        messages.error(request, " ".join(getattr(exc, "messages", [str(exc)])))
    return redirect("accounts:company")


def _base_url(request: HttpRequest) -> str:
    return request.build_absolute_uri("/")[:-1]


@company_required
@require_POST
def invitation_create(request: HttpRequest, *, company: Company) -> HttpResponse:
    """An owner invites a colleague; the link goes out by e-mail."""
    if not _is_owner(request.user, company):
        messages.error(request, _("Only an owner of the company can invite colleagues."))
        return redirect("accounts:company")
    form = InvitationForm(request.POST)
    if form.is_valid():
        try:
            invitation = services.invitation_create(
                company=company, user=request.user, email=form.cleaned_data["email"],
                role=form.cleaned_data["role"], base_url=_base_url(request),
            )
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            messages.success(
                request,
                _("Invitation sent to %(email)s as %(role)s; the link works until %(date)s.")
                % {"email": invitation.email, "role": invitation.get_role_display().lower(),
                   "date": invitation.expires_at.strftime("%Y-%m-%d")},
            )
            return redirect("accounts:company")
    company_form = CompanyForm(instance=company)
    return _company_page(request, company, form=company_form, can_edit=True, invite_form=form,
                         status=400)


@company_required
@require_POST
def invitation_revoke(request: HttpRequest, pk: int, *, company: Company) -> HttpResponse:
    """An owner withdraws an open invitation of their company."""
    invitation = get_object_or_404(invitation_list_open_for_company(company=company), pk=pk)
    try:
        services.invitation_revoke(invitation=invitation, user=request.user)
    except (PermissionDenied, ValidationError) as exc:
        messages.error(request, " ".join(getattr(exc, "messages", [str(exc)])))
    else:
        messages.success(request, _("The invitation to %(email)s is withdrawn; its link no "
                                    "longer works.") % {"email": invitation.email})
    return redirect("accounts:company")


def _joined(request: HttpRequest, invitation: Invitation) -> HttpResponse:
    messages.success(request, _("Welcome to %(company)s: you joined as %(role)s.")
                     % {"company": invitation.company.name,
                        "role": invitation.get_role_display().lower()})
    return redirect("accounts:company")


@require_http_methods(["GET", "POST"])
def invitation(request: HttpRequest, token: str) -> HttpResponse:
    """The link in an invitation: accept it (logged in as the invited address), or sign up
    with that address into the inviting company, or log in and come back."""
    found = invitation_for_token(token=token)
    if found is None:
        return render(request, "accounts/invitation.html",
                      {"problem": _("This invitation link is not valid.")}, status=404)
    problem = found.closed_message()
    if problem:
        return render(request, "accounts/invitation.html",
                      {"invitation": found, "problem": problem}, status=410)
    signup_form = None
    if not request.user.is_authenticated:
        signup_form = InvitationSignUpForm(request.POST or None)
    if request.method == "POST":
        if request.user.is_authenticated:
            try:
                services.invitation_accept(token=token, user=request.user)
            except ValidationError as exc:
                messages.error(request, " ".join(exc.messages))
            else:
                return _joined(request, found)
        elif signup_form.is_valid():
            try:
                user = services.invitation_register(
                    token=token, password=signup_form.cleaned_data["password1"],
                    full_name=signup_form.cleaned_data["full_name"],
                )
            except ValidationError as exc:
                add_service_errors(signup_form, exc,
                                   field_map=InvitationSignUpForm.service_field_map)
            else:
                login(request, user, backend="django.contrib.auth.backends.ModelBackend")
                return _joined(request, found)
    context = {
        "invitation": found,
        "signup_form": signup_form,
        "wrong_address": (request.user.is_authenticated
                          and request.user.email.lower() != found.email.lower()),
    }
    return render(request, "accounts/invitation.html", context)


@company_required
def site_list(request: HttpRequest, *, company: Company) -> HttpResponse:
    sites = site_list_for_company(company=company)
    country_names = dict(countries())
    rows = [(site, country_names.get(site.country, site.country)) for site in sites]
    return render(request, "accounts/site_list.html", {"rows": rows})


def _site_args(form: SiteForm) -> dict:
    data = form.cleaned_data
    return {
        "name": data["name"],
        "address": data["address"],
        "city": data["city"],
        "country": data["country"],
        "latitude": data["latitude"],
        "longitude": data["longitude"],
    }


def _located_message(site) -> str:
    return _("Site “%(name)s” saved at %(lat).4f, %(lon).4f (%(city)s).") % {
        "name": site.name, "lat": site.latitude, "lon": site.longitude, "city": site.city,
    }


@company_required
@require_http_methods(["GET", "POST"])
def site_create(request: HttpRequest, *, company: Company) -> HttpResponse:
    form = SiteForm(request.POST or None)
    next_url = _safe_next(request)
    if request.method == "POST" and form.is_valid():
        try:
            site = services.site_create(company=company, **_site_args(form))
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            messages.success(request, _located_message(site))
            return redirect(next_url or "accounts:sites")
    context = {"form": form, "site": None, "next": next_url}
    return render(request, "accounts/site_form.html", context)


@company_required
@require_http_methods(["GET", "POST"])
def site_edit(request: HttpRequest, pk: int, *, company: Company) -> HttpResponse:
    site = get_object_or_404(site_list_for_company(company=company), pk=pk)
    initial = {
        "name": site.name, "address": site.address, "city": site.city, "country": site.country,
    }
    # Coordinates are left empty on purpose: empty means "locate from the town" again.
    form = SiteForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            site = services.site_update(site=site, **_site_args(form))
        except ValidationError as exc:
            add_service_errors(form, exc)
            # The service changed the object before it refused; show what is stored.
            site.refresh_from_db()
        else:
            messages.success(request, _located_message(site))
            return redirect("accounts:sites")
    return render(request, "accounts/site_form.html", {"form": form, "site": site, "next": ""})


@require_http_methods(["GET"])
def verify_email(request: HttpRequest, token: str) -> HttpResponse:
    """Follow the signed link mailed at sign-up: the address is verified."""
    try:
        services.email_verify(token=token)
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    else:
        messages.success(request, _("Your e-mail address is verified."))
    return redirect("matching:dashboard" if request.user.is_authenticated else "accounts:login")


@login_required
@require_http_methods(["POST"])
def verify_email_resend(request: HttpRequest) -> HttpResponse:
    """Mail the verification link again."""
    if not request.user.email_verified:
        services.email_verification_send(user=request.user,
                                         base_url=request.build_absolute_uri("/")[:-1])
        messages.success(request, _("We sent the link again to %(email)s.")
                         % {"email": request.user.email})
    return redirect("accounts:company")
