"""``GET /api/v1/agency/impact/?year=YYYY[&region=ID]``: the impact totals of the
caller's regions (default: all of them) for agency staff; the same figures as the
dashboard (``agency.impact.summary``). Anyone who is not staff, or asks for a region
that is not theirs, gets 404. Company API keys cannot use it: a person has to."""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import serializers, viewsets
from rest_framework.exceptions import NotFound, PermissionDenied, ValidationError
from rest_framework.permissions import BasePermission, IsAuthenticated
from rest_framework.response import Response

from accounts.selectors import region_list_for_user
from agency.impact.summary import PeriodError, impact_api_totals, period_from
from matching.api.serializers import ErrorSerializer
from symbiosis.api.params import KnownQueryParamsMixin
from symbiosis.api.scopes import is_api_key


class ImpactSerializer(serializers.Serializer):
    year = serializers.IntegerField()
    regions = serializers.ListField(child=serializers.IntegerField(),
                                    help_text=_("The regions counted (ids)."))
    quantity_t = serializers.FloatField(help_text=_("Tonnes delivered (confirmed)."))
    quantity_mwh = serializers.FloatField(help_text=_("MWh delivered (confirmed)."))
    quantity_m3 = serializers.FloatField(help_text=_("m³ delivered (confirmed)."))
    co2e_avoided_t = serializers.FloatField(help_text=_(
        "t CO2e avoided: quantity × the avoided factor of the material (docs/impact.md)."))
    co2e_transport_t = serializers.FloatField(help_text=_(
        "t CO2e of road transport: tonnes × great-circle km × the freight factor."))
    co2e_net_t = serializers.FloatField(help_text=_("Avoided minus transport."))
    agreements_active = serializers.IntegerField(help_text=_(
        "Agreements active at any time in the year."))
    deliveries = serializers.IntegerField(help_text=_("Confirmed deliveries dated in the year."))


class PersonOnly(BasePermission):
    """A company API key is refused: agency figures are for agency staff."""

    def has_permission(self, request, view) -> bool:
        if is_api_key(request):
            raise PermissionDenied(_("API keys cannot do this; a person has to."),
                                   code="scope")
        return True


class ImpactViewSet(KnownQueryParamsMixin, viewsets.ViewSet):
    permission_classes = [IsAuthenticated, PersonOnly]
    action_query_params = {"list": ("year", "region")}

    @extend_schema(
        parameters=[
            OpenApiParameter("year", int, description=_("Calendar year (default: this one).")),
            OpenApiParameter("region", int, description=_(
                "One of your regions (default: all of them).")),
        ],
        responses={
            200: ImpactSerializer,
            400: OpenApiResponse(ErrorSerializer, description=_(
                "A bad year, or an unknown query parameter.")),
            401: OpenApiResponse(ErrorSerializer, description=_("Not authenticated.")),
            403: OpenApiResponse(ErrorSerializer, description=_("API keys cannot use this.")),
            404: OpenApiResponse(ErrorSerializer, description=_(
                "Not agency staff, or not one of your regions.")),
        },
    )
    def list(self, request):
        regions = list(region_list_for_user(user=request.user).order_by("id"))
        if not regions:
            raise NotFound(_("Not found."))
        region_id = request.query_params.get("region")
        if region_id not in (None, ""):
            regions = [r for r in regions if str(r.pk) == region_id]
            if not regions:
                raise NotFound(_("Not found."))
        try:
            period = period_from(year=request.query_params.get("year"))
        except PeriodError as exc:
            raise ValidationError({"year": [str(exc)]}) from exc
        totals = impact_api_totals(regions=regions, period=period)
        body = {"year": period.year, "regions": [r.pk for r in regions], **totals}
        return Response(ImpactSerializer(body).data)
