"""Portal pages of integrations: a company's API keys (under the company settings)."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from accounts.forms import add_service_errors
from accounts.models import Company, Membership
from accounts.selectors import membership_role_for
from accounts.views import company_required
from integrations import selectors, services
from integrations.forms import ApiKeyForm, WebhookEndpointForm


@company_required
@require_http_methods(["GET", "POST"])
def api_keys(request: HttpRequest, *, company: Company) -> HttpResponse:
    """List the company's keys; owners create them (the key is shown once, on this answer)."""
    is_owner = membership_role_for(user=request.user, company=company) == Membership.Role.OWNER
    form = ApiKeyForm(request.POST or None) if is_owner else None
    created = None
    if request.method == "POST":
        if not is_owner:
            raise PermissionDenied
        if form.is_valid():
            try:
                key, created = services.api_key_create(
                    company=company, user=request.user, name=form.cleaned_data["name"],
                    scopes=form.cleaned_data["scopes"],
                )
            except ValidationError as exc:
                add_service_errors(form, exc)
            else:
                form = ApiKeyForm()
    response = render(request, "integrations/api_keys.html", {
        "company": company, "keys": selectors.api_key_list_for_company(company=company),
        "form": form, "is_owner": is_owner, "created": created,
    })
    if created:
        # The one answer that holds the secret must not be kept by any cache.
        response["Cache-Control"] = "no-store"
    return response


@company_required
@require_POST
def api_key_revoke(request: HttpRequest, pk: int, *, company: Company) -> HttpResponse:
    key = get_object_or_404(selectors.api_key_list_for_company(company=company), pk=pk)
    services.api_key_revoke(key=key, user=request.user)
    messages.success(request, _("The key “%s” is revoked.") % key.name)
    return redirect("integrations:api_keys")


@company_required
@require_http_methods(["GET", "POST"])
def webhooks(request: HttpRequest, *, company: Company) -> HttpResponse:
    """The company's webhook endpoints (owners add them) and the latest deliveries."""
    is_owner = membership_role_for(user=request.user, company=company) == Membership.Role.OWNER
    form = WebhookEndpointForm(request.POST or None) if is_owner else None
    if request.method == "POST":
        if not is_owner:
            raise PermissionDenied
        if form.is_valid():
            try:
                services.webhook_endpoint_create(company=company, user=request.user,
                                                 **form.cleaned_data)
            except ValidationError as exc:
                add_service_errors(form, exc)
            else:
                messages.success(request, _("Endpoint added."))
                return redirect("integrations:webhooks")
    return render(request, "integrations/webhooks.html", {
        "company": company, "form": form, "is_owner": is_owner,
        "endpoints": selectors.webhook_endpoint_list_for_company(company=company),
        "deliveries": selectors.webhook_delivery_list_for_company(company=company),
    })


@company_required
@require_POST
def webhook_replay(request: HttpRequest, pk: int, *, company: Company) -> HttpResponse:
    delivery = get_object_or_404(
        selectors.webhook_delivery_list_for_company(company=company, limit=None), pk=pk
    )
    services.webhook_delivery_replay(delivery=delivery, user=request.user)
    messages.success(request, _("Sent again."))
    return redirect("integrations:webhooks")


@company_required
@require_POST
def webhook_enable(request: HttpRequest, pk: int, *, company: Company) -> HttpResponse:
    endpoint = get_object_or_404(
        selectors.webhook_endpoint_list_for_company(company=company), pk=pk
    )
    services.webhook_endpoint_enable(endpoint=endpoint, user=request.user)
    messages.success(request, _("The endpoint is enabled again."))
    return redirect("integrations:webhooks")
