"""``/api/v1/agency/facilities/`` and ``/api/v1/agency/facility-imports/``: the cold start
for agency staff, with the permissions of the pages (staff of the agency, its regions
only; company API keys never). Thin over ``agency.facilities`` and ``matching.imports``.
"""

from __future__ import annotations

from typing import Any

from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.core.exceptions import ValidationError as DjangoValidationError
from django.http import Http404
from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_view
from rest_framework import mixins, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import PermissionDenied
from rest_framework.parsers import FormParser, MultiPartParser
from rest_framework.permissions import BasePermission, IsAuthenticated
from rest_framework.response import Response

from accounts.models import Agency, Company
from agency.facilities import selectors as facility_selectors
from agency.facilities import services as facility_services
from agency.selectors import agency_for_staff
from matching.models import ImportJob
from symbiosis.api.params import KnownQueryParamsMixin
from symbiosis.api.scopes import is_api_key

KIND = "facilities"


class IsAgencyStaff(BasePermission):
    """A person who works for an agency (a company's API key is not)."""

    def has_permission(self, request, view) -> bool:
        if is_api_key(request):
            raise PermissionDenied(_("Agency endpoints take a person's token, not an API key."))
        return agency_for_staff(user=request.user) is not None


class AgencyScopedMixin(KnownQueryParamsMixin):
    permission_classes = [IsAuthenticated, IsAgencyStaff]

    @property
    def agency(self) -> Agency:
        found = agency_for_staff(user=self.request.user,
                                 agency_id=self.request.query_params.get("agency"))
        if found is None:
            raise Http404
        return found


# --- profiles -----------------------------------------------------------------------------


class ClaimSerializer(serializers.Serializer):
    via = serializers.CharField(help_text=_("email (a verified address) or agency."))
    email = serializers.CharField(allow_blank=True)
    created_at = serializers.DateTimeField()
    completed_at = serializers.DateTimeField(allow_null=True)


class FacilityProfileSerializer(serializers.Serializer):
    """A profile made from the register, as its region's agency staff see it."""

    id = serializers.IntegerField()
    name = serializers.CharField()
    nace_code = serializers.CharField()
    claimed = serializers.BooleanField()
    claimed_at = serializers.DateTimeField(allow_null=True)
    claim_domain = serializers.CharField()
    facility_id = serializers.CharField(source="register_facility.facility_id")
    activity_code = serializers.CharField(source="register_facility.activity_code")
    year = serializers.IntegerField(source="register_facility.year",
                                    help_text=_("The reporting year the profile is from."))
    town = serializers.CharField(source="register_facility.site.city")
    latitude = serializers.FloatField(source="register_facility.site.latitude")
    longitude = serializers.FloatField(source="register_facility.site.longitude")
    active_listings = serializers.IntegerField(
        help_text=_("Active indicative listings."))
    claims = serializers.SerializerMethodField()

    def get_claims(self, company: Company) -> list[dict[str, Any]]:
        return ClaimSerializer(getattr(company, "claim_list", []), many=True).data


class ClaimDomainSerializer(serializers.Serializer):
    claim_domain = serializers.CharField(
        max_length=253, allow_blank=True,
        help_text=_("Addresses at this domain may claim the profile (blank: none)."))


class ClaimForFirmSerializer(serializers.Serializer):
    owner_email = serializers.EmailField(
        required=False, allow_blank=True, default="",
        help_text=_("Invited as the profile's owner (optional)."))


STATES = {"unclaimed": False, "claimed": True, "all": None}
_AGENCY = OpenApiParameter("agency", int, description="The agency to act for (default: "
                           "your first).")


@extend_schema_view(
    list=extend_schema(
        summary=_("Register profiles of your regions"),
        description=_("Companies made from the facility register in your agency's regions, "
                      "with their claim state. Unclaimed ones are never named to firms."),
        parameters=[_AGENCY,
                    OpenApiParameter("state", str, enum=list(STATES),
                                     description="unclaimed (default), claimed or all."),
                    OpenApiParameter("q", str, description="Name or town contains.")]),
    retrieve=extend_schema(summary=_("A register profile"), parameters=[_AGENCY]),
)
class FacilityProfileViewSet(AgencyScopedMixin, mixins.ListModelMixin,
                             mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    serializer_class = FacilityProfileSerializer
    queryset = Company.objects.none()
    action_query_params = {"list": ("agency", "state", "q"), "retrieve": ("agency",),
                           "domain": ("agency",), "claim": ("agency",)}

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):
            return Company.objects.none()
        if self.action == "list":
            state = self.request.query_params.get("state", "unclaimed")
            if state not in STATES:
                raise DjangoValidationError({"state": _("unclaimed, claimed or all.")})
            return facility_selectors.facility_profile_list(
                agency=self.agency, claimed=STATES[state],
                search=self.request.query_params.get("q", "").strip())
        return facility_selectors.facility_profile_list(agency=self.agency)

    def _act(self, call) -> Response:
        company = self.get_object()
        try:
            call(company)
        except DjangoPermissionDenied as exc:
            raise PermissionDenied(str(exc)) from exc
        fresh = facility_selectors.facility_profile_get(agency=self.agency, pk=company.pk)
        return Response(FacilityProfileSerializer(fresh).data)

    @extend_schema(summary=_("Enter the claim e-mail domain"), request=ClaimDomainSerializer,
                   responses={200: FacilityProfileSerializer}, parameters=[_AGENCY])
    @action(detail=True, methods=["post"])
    def domain(self, request, pk=None) -> Response:
        body = ClaimDomainSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        return self._act(lambda company: facility_services.facility_set_claim_domain(
            agency=self.agency, company=company, domain=body.validated_data["claim_domain"]))

    @extend_schema(summary=_("Claim the profile on the firm's behalf"),
                   request=ClaimForFirmSerializer, responses={200: FacilityProfileSerializer},
                   parameters=[_AGENCY])
    @action(detail=True, methods=["post"])
    def claim(self, request, pk=None) -> Response:
        body = ClaimForFirmSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        base_url = request.build_absolute_uri("/").rstrip("/")
        return self._act(lambda company: facility_services.facility_claim_for_firm(
            agency=self.agency, company=company, staff=request.user,
            owner_email=body.validated_data["owner_email"], base_url=base_url))


# --- imports ------------------------------------------------------------------------------


class FacilityImportUploadSerializer(serializers.Serializer):
    file = serializers.FileField(help_text=_("The E-PRTR facility list, CSV or .xlsx, at "
                                             "most 10 MB."))


class FacilityImportSerializer(serializers.Serializer):
    """A register import: its preview, then its progress and result."""

    id = serializers.IntegerField()
    file_name = serializers.CharField()
    status = serializers.CharField(help_text=_("previewed, queued, running, done or failed."))
    total = serializers.IntegerField()
    processed = serializers.IntegerField()
    percent = serializers.IntegerField()
    finished = serializers.BooleanField()
    preview_counts = serializers.DictField(
        child=serializers.IntegerField(),
        help_text=_("create, update, unchanged, error, and the rows left out on purpose: "
                    "earlier_year, outside_regions, not_operating, confidential."))
    summary = serializers.DictField(child=serializers.IntegerField(),
                                    help_text=_("The same, as applied."))
    row_errors = serializers.ListField(child=serializers.DictField(), required=False)
    error = serializers.CharField(allow_blank=True)
    created_at = serializers.DateTimeField()
    finished_at = serializers.DateTimeField(allow_null=True)


def _job_data(job: ImportJob, *, detail: bool) -> dict[str, Any]:
    from matching.imports import selectors as import_selectors

    data = import_selectors.import_job_progress(job=job)
    if detail:
        data["row_errors"] = job.row_errors
    return FacilityImportSerializer(data).data


@extend_schema_view(
    list=extend_schema(summary=_("Your agency's register imports"), parameters=[_AGENCY]),
    retrieve=extend_schema(summary=_("A register import: preview, progress, result"),
                           parameters=[_AGENCY]),
    create=extend_schema(
        summary=_("Upload a register (preview)"),
        description=_("Checks every row and stores a preview; nothing is imported until "
                      "`confirm`."),
        request={"multipart/form-data": FacilityImportUploadSerializer},
        responses={201: FacilityImportSerializer}, parameters=[_AGENCY]),
)
class FacilityImportViewSet(AgencyScopedMixin, mixins.ListModelMixin,
                            mixins.RetrieveModelMixin, mixins.CreateModelMixin,
                            viewsets.GenericViewSet):
    serializer_class = FacilityImportSerializer
    parser_classes = [MultiPartParser, FormParser]
    queryset = ImportJob.objects.none()
    action_query_params = {"list": ("agency",), "retrieve": ("agency",),
                           "create": ("agency",), "confirm": ("agency",)}

    def get_queryset(self):
        from matching.imports import selectors as import_selectors

        if getattr(self, "swagger_fake_view", False):
            return ImportJob.objects.none()
        return import_selectors.import_job_list(agency_id=self.agency.pk, kind=KIND)

    def list(self, request, *args, **kwargs) -> Response:
        page = self.paginate_queryset(self.get_queryset())
        return self.get_paginated_response([_job_data(job, detail=False) for job in page])

    def retrieve(self, request, *args, **kwargs) -> Response:
        return Response(_job_data(self.get_object(), detail=True))

    def create(self, request, *args, **kwargs) -> Response:
        from matching.imports import MAX_BYTES
        from matching.imports import services as import_services

        body = FacilityImportUploadSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        upload = body.validated_data["file"]
        if upload.size > MAX_BYTES:
            raise DjangoValidationError({"file": _("The file is larger than 10 MB.")})
        job = import_services.import_job_preview(
            kind=KIND, user=request.user, agency_id=self.agency.pk, file_name=upload.name,
            data=upload.read(MAX_BYTES + 1))
        return Response(_job_data(job, detail=True), status=status.HTTP_201_CREATED)

    @extend_schema(summary=_("Confirm a register import"), request=None,
                   responses={202: FacilityImportSerializer}, parameters=[_AGENCY])
    @action(detail=True, methods=["post"])
    def confirm(self, request, pk=None) -> Response:
        from matching.imports import services as import_services

        job = import_services.import_job_confirm(job=self.get_object())
        return Response(_job_data(job, detail=True), status=status.HTTP_202_ACCEPTED)
