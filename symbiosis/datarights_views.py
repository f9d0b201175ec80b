"""Pages and API of a firm's data rights (``symbiosis.datarights``): export and erasure.

Owner only, on pages and API alike; an API key cannot do either (a person decides). The
page is ``/accounts/company/data/``; the API is ``GET /api/v1/company/export/`` and
``POST /api/v1/company/delete/`` with ``{"confirm_name": "<the company's name>"}``.
"""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth import logout
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.serializers.json import DjangoJSONEncoder
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema
from rest_framework import exceptions, serializers
from rest_framework.permissions import IsAuthenticated
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts.models import Company, Membership
from accounts.selectors import company_for_user, membership_role_for
from accounts.views import company_required
from integrations.models import ApiKey
from symbiosis import datarights


def _owner_or_403(request: HttpRequest, company: Company) -> None:
    if membership_role_for(user=request.user, company=company) != Membership.Role.OWNER:
        raise PermissionDenied(_("Only an owner of the company can do this."))


@company_required
@require_http_methods(["GET", "POST"])
def company_data(request: HttpRequest, *, company: Company) -> HttpResponse:
    """Download everything, or delete the account after typing the company's name."""
    _owner_or_403(request, company)
    error = ""
    if request.method == "POST":
        try:
            datarights.company_erase(company=company, user=request.user,
                                     confirm_name=request.POST.get("confirm_name", ""))
        except ValidationError as exc:
            error = " ".join(exc.messages)
        else:
            logout(request)
            messages.success(request, _("The company's account is deleted. Thank you for "
                                        "the exchanges you made here."))
            return redirect("home")
    context = {"company": company, "error": error,
               "typed": request.POST.get("confirm_name", "")}
    return render(request, "company_data.html", context, status=400 if error else 200)


@company_required
@require_http_methods(["GET"])
def company_data_export(request: HttpRequest, *, company: Company) -> HttpResponse:
    document = datarights.company_export(company=company, user=request.user)
    response = JsonResponse(document, encoder=DjangoJSONEncoder, json_dumps_params={"indent": 2})
    response["Content-Disposition"] = (
        f'attachment; filename="symbiosis-export-company-{company.pk}.json"')
    return response


class _OwnerMixin:
    permission_classes = [IsAuthenticated]

    def _company(self, request) -> Company:
        if isinstance(request.auth, ApiKey):
            raise exceptions.PermissionDenied(_("A person must do this, not an API key."))
        company = company_for_user(user=request.user)
        if company is None:
            raise exceptions.PermissionDenied(_("You act for no company."))
        return company


class CompanyExportView(_OwnerMixin, APIView):
    @extend_schema(summary=_("Export all of your company's data"),
                   description=_("Owner only. The same JSON document as the page's download: "
                                 "company, sites, members, listings, matches as you see "
                                 "them, contacts and their messages, agreements, deliveries "
                                 "and audit trail, keys and webhooks (never their secrets)."),
                   responses={200: OpenApiTypes.OBJECT}, tags=["company"])
    def get(self, request):
        document = datarights.company_export(company=self._company(request), user=request.user)
        return Response(document)


class CompanyDeleteSerializer(serializers.Serializer):
    confirm_name = serializers.CharField(
        max_length=200, help_text=_("The company's name, exactly as shown, to confirm."))


class CompanyDeleteView(_OwnerMixin, APIView):
    @extend_schema(summary=_("Delete your company's account"),
                   description=_("Owner only, in one transaction: open listings close, the "
                                 "people's personal data goes, agreements and deliveries stay "
                                 "in the other party's records under a pseudonym."),
                   request=CompanyDeleteSerializer, responses={200: OpenApiTypes.OBJECT},
                   tags=["company"])
    def post(self, request):
        company = self._company(request)
        body = CompanyDeleteSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        report = datarights.company_erase(company=company, user=request.user,
                                          confirm_name=body.validated_data["confirm_name"])
        return Response(report)
