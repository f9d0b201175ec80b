"""The agency's staff: who works there, invitations, roles, and what staff did."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth import login
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from accounts.forms import InvitationSignUpForm, add_service_errors
from accounts.models import AgencyMembership
from agency import selectors
from agency.forms import RoleForm, StaffInviteForm
from agency.models import StaffAction
from agency.services import staff as services
from agency.views.common import staff_agency, staff_context

ACTIONS_PER_PAGE = 50


def _staff_url(agency) -> str:
    return f"{reverse('agency:staff')}?agency={agency.pk}"


def _staff_page(request: HttpRequest, agency, *, invite_form: StaffInviteForm | None = None,
                status: int = 200) -> HttpResponse:
    context = staff_context(request, agency)
    context.update({
        "members": selectors.staff_membership_list_for_agency(agency=agency),
        "roles": AgencyMembership.Role.choices,
    })
    if context["is_manager"]:
        context["invitations"] = selectors.staff_invitation_list_open(agency=agency)
        context["invite_form"] = invite_form or StaffInviteForm()
    return render(request, "agency/staff.html", context, status=status)


@login_required
def staff(request: HttpRequest) -> HttpResponse:
    """Everyone on the agency's staff; managers also see and send invitations."""
    return _staff_page(request, staff_agency(request))


@login_required
@require_POST
def staff_invite(request: HttpRequest) -> HttpResponse:
    agency = staff_agency(request)
    if not selectors.is_manager(user=request.user, agency=agency):
        raise PermissionDenied(_("Only a manager of the agency can invite staff."))
    form = StaffInviteForm(request.POST)
    if form.is_valid():
        try:
            invitation = services.staff_invite(
                agency=agency, user=request.user, email=form.cleaned_data["email"],
                role=form.cleaned_data["role"], base_url=request.build_absolute_uri("/")[:-1])
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            messages.success(request, _("Invitation sent to %(email)s as %(role)s; the link "
                                        "works until %(date)s.")
                             % {"email": invitation.email,
                                "role": invitation.get_role_display().lower(),
                                "date": invitation.expires_at.strftime("%Y-%m-%d")})
            return redirect(_staff_url(agency))
    return _staff_page(request, agency, invite_form=form, status=400)


@login_required
@require_POST
def staff_invitation_revoke(request: HttpRequest, pk: int) -> HttpResponse:
    agency = staff_agency(request)
    invitation = get_object_or_404(selectors.staff_invitation_list_open(agency=agency), pk=pk)
    try:
        services.staff_invitation_revoke(invitation=invitation, user=request.user)
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    else:
        messages.success(request, _("The invitation to %(email)s is withdrawn.")
                         % {"email": invitation.email})
    return redirect(_staff_url(agency))


@login_required
@require_POST
def staff_role(request: HttpRequest, pk: int) -> HttpResponse:
    agency = staff_agency(request)
    membership = get_object_or_404(selectors.staff_membership_list_for_agency(agency=agency), pk=pk)
    form = RoleForm(request.POST)
    if form.is_valid():
        try:
            services.staff_role_set(agency=agency, user=request.user, membership=membership,
                                    role=form.cleaned_data["role"])
        except ValidationError as exc:
            messages.error(request, " ".join(exc.messages))
        else:
            messages.success(request, _("%(person)s is now %(role)s.")
                             % {"person": membership.user.get_full_name(),
                                "role": dict(AgencyMembership.Role.choices)[
                                    form.cleaned_data["role"]].lower()})
    return redirect(_staff_url(agency))


@login_required
def staff_activity(request: HttpRequest) -> HttpResponse:
    """Who did what and when (managers): verifications, on-behalf edits, invitations,
    region changes; filterable by person and kind."""
    agency = staff_agency(request)
    context = staff_context(request, agency)
    if not context["is_manager"]:
        raise PermissionDenied(_("Only a manager of the agency sees the staff's activity."))
    person = request.GET.get("user", "")
    kind = request.GET.get("kind", "")
    kinds = [*StaffAction.Kind.choices,
             *selectors.REVIEW_KINDS.items()]
    if kind not in dict(kinds):
        kind = ""
    rows = selectors.staff_activity(agency=agency, user_id=person if person.isdigit()
                                    else None, kind=kind)
    page = Paginator(rows, ACTIONS_PER_PAGE).get_page(request.GET.get("page"))
    return render(request, "agency/staff_activity.html", {
        **context, "page": page, "person": person, "kind": kind, "kinds": kinds,
        "members": selectors.staff_membership_list_for_agency(agency=agency),
    })


@require_http_methods(["GET", "POST"])
def staff_invitation(request: HttpRequest, token: str) -> HttpResponse:
    """The link in a staff invitation: accept it logged in as the invited address, or
    create an account with that address."""
    found = selectors.staff_invitation_for_token(token=token)
    if found is None:
        return render(request, "agency/staff_invitation.html",
                      {"problem": _("This invitation link is not valid.")}, status=404)
    problem = found.closed_message()
    if problem:
        return render(request, "agency/staff_invitation.html",
                      {"invitation": found, "problem": problem}, status=410)
    signup_form = None if request.user.is_authenticated else InvitationSignUpForm(
        request.POST or None)
    if request.method == "POST":
        if request.user.is_authenticated:
            try:
                services.staff_invitation_accept(token=token, user=request.user)
            except ValidationError as exc:
                messages.error(request, " ".join(exc.messages))
            else:
                return _joined(request, found)
        elif signup_form.is_valid():
            try:
                user = services.staff_invitation_register(
                    token=token, password=signup_form.cleaned_data["password1"],
                    full_name=signup_form.cleaned_data["full_name"])
            except ValidationError as exc:
                add_service_errors(signup_form, exc,
                                   field_map=InvitationSignUpForm.service_field_map)
            else:
                login(request, user, backend="django.contrib.auth.backends.ModelBackend")
                return _joined(request, found)
    wrong = (request.user.is_authenticated
             and request.user.email.lower() != found.email.lower())
    return render(request, "agency/staff_invitation.html", {
        "invitation": found, "signup_form": signup_form, "wrong_address": wrong})


def _joined(request: HttpRequest, invitation) -> HttpResponse:
    messages.success(request, _("Welcome to %(agency)s: you joined as %(role)s.")
                     % {"agency": invitation.agency.name,
                        "role": invitation.get_role_display().lower()})
    return redirect(f"{reverse('agency:firms')}?agency={invitation.agency_id}")
