"""Claiming an unclaimed company profile: enter an address at the firm's domain, follow
the mailed link, become its owner. Thin: ``accounts.claims`` does the work."""

from __future__ import annotations

from django import forms
from django.contrib import messages
from django.contrib.auth import login
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_http_methods

from accounts import claims
from accounts.forms import InvitationSignUpForm, add_service_errors
from accounts.models import CompanyClaim


class ClaimRequestForm(forms.Form):
    email = forms.EmailField(
        label=gettext_lazy("Your work e-mail address"),
        help_text=gettext_lazy("An address at your firm's own domain: we mail it a link."),
        widget=forms.EmailInput(attrs={"autocomplete": "email", "autofocus": True}),
    )


def _base_url(request: HttpRequest) -> str:
    return request.build_absolute_uri("/").rstrip("/")


@require_http_methods(["GET", "POST"])
def claim_start(request: HttpRequest) -> HttpResponse:
    """Ask for a claim link. The page never names a company: only the mailbox learns it."""
    form = ClaimRequestForm(request.POST or None)
    sent_to = ""
    if request.method == "POST" and form.is_valid():
        try:
            sent = claims.company_claim_request(email=form.cleaned_data["email"],
                                                base_url=_base_url(request))
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            sent_to = sent[0].email
            form = ClaimRequestForm()
    return render(request, "accounts/claim_start.html", {"form": form, "sent_to": sent_to})


def _claim_for_token(token: str) -> CompanyClaim | None:
    return (CompanyClaim.objects.select_related("company")
            .filter(token_hash=CompanyClaim.hash_token(token), via=CompanyClaim.Via.EMAIL)
            .first())


def _claimed(request: HttpRequest, claim: CompanyClaim) -> HttpResponse:
    messages.success(request, _("%(company)s is yours: you are its owner. Check its profile "
                                "and its indicative listings.") % {"company": claim.company.name})
    return redirect("accounts:company")


@require_http_methods(["GET", "POST"])
def claim_link(request: HttpRequest, token: str) -> HttpResponse:
    """The mailed link: claim as the logged-in address, or open an account with it."""
    claim = _claim_for_token(token)
    problem = claims.claim_problem(claim)
    if problem:
        return render(request, "accounts/claim_link.html", {"problem": problem},
                      status=404 if claim is None else 410)
    signup_form = None if request.user.is_authenticated else InvitationSignUpForm(
        request.POST or None)
    if request.method == "POST":
        if request.user.is_authenticated:
            try:
                claims.company_claim_complete(token=token, user=request.user)
            except ValidationError as exc:
                messages.error(request, " ".join(exc.messages))
            else:
                return _claimed(request, claim)
        elif signup_form.is_valid():
            try:
                user = claims.company_claim_register(
                    token=token, password=signup_form.cleaned_data["password1"],
                    full_name=signup_form.cleaned_data["full_name"])
            except ValidationError as exc:
                add_service_errors(signup_form, exc,
                                   field_map=InvitationSignUpForm.service_field_map)
            else:
                login(request, user, backend="django.contrib.auth.backends.ModelBackend")
                return _claimed(request, claim)
    return render(request, "accounts/claim_link.html", {
        "claim": claim, "signup_form": signup_form,
        "wrong_address": (request.user.is_authenticated
                          and request.user.email.lower() != claim.email.lower()),
    })
