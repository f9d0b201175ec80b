"""API v1 for the agency's firms and its regions' exchanges (read-only but for verifying).

Same rules as the pages: only staff of an agency see anything (others get 404), and they
see only what lies in the agency's regions; contacts, agreements and deliveries carry the
parties and the stage, never messages, attachments, terms or prices. ``?agency=ID`` picks
one of the caller's agencies (default: the first).
"""

from __future__ import annotations

from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_view
from rest_framework import mixins, serializers, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import NotFound, PermissionDenied
from rest_framework.permissions import IsAuthenticated
from rest_framework.response import Response

from accounts.models import Agency, Company
from agency import selectors
from agency.services import firms as firm_services
from exchanges.models import Agreement, Contact, Delivery
from matching.models import Listing
from symbiosis.api.pagination import PageNumberPagination
from symbiosis.api.params import KnownQueryParamsMixin
from symbiosis.api.scopes import KeyScope

AGENCY_PARAM = OpenApiParameter(
    "agency", int, description="One of the caller's agencies (default: the first).")


class AgencyParty(serializers.Serializer):
    id = serializers.IntegerField()
    name = serializers.CharField()


class AgencyFirmSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    name = serializers.CharField()
    nace_code = serializers.CharField()
    verified = serializers.BooleanField()
    verified_by = serializers.CharField(source="verified_by.name", allow_null=True,
                                        default=None)
    verified_at = serializers.DateTimeField(allow_null=True)
    site_count = serializers.IntegerField(help_text="Sites inside the agency's regions.")
    offer_count = serializers.IntegerField(help_text="Active offers.")
    want_count = serializers.IntegerField(help_text="Active wants.")


class AgencyListingSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    kind = serializers.CharField()
    title = serializers.CharField()
    status = serializers.CharField()
    company = AgencyParty()
    city = serializers.CharField(source="site.city")
    updated_at = serializers.DateTimeField()


class AgencyListingRef(serializers.Serializer):
    id = serializers.IntegerField()
    title = serializers.CharField()


class AgencyContactSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    offer = AgencyListingRef()
    want = AgencyListingRef()
    requester = AgencyParty()
    recipient = AgencyParty()
    state = serializers.CharField()
    stage = serializers.CharField()
    introduced_by = serializers.CharField(source="introduced_by.name", allow_null=True,
                                          default=None)
    created_at = serializers.DateTimeField()
    updated_at = serializers.DateTimeField()


class AgencyAgreementSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    contact = serializers.IntegerField(source="contact_id")
    requester = AgencyParty(source="contact.requester")
    recipient = AgencyParty(source="contact.recipient")
    state = serializers.CharField()
    signed_at = serializers.DateTimeField(allow_null=True)
    activated_at = serializers.DateTimeField(allow_null=True)
    closed_at = serializers.DateTimeField(allow_null=True)


class AgencyDeliverySerializer(serializers.Serializer):
    id = serializers.IntegerField()
    agreement = serializers.IntegerField(source="agreement_id")
    date = serializers.DateField()
    state = serializers.CharField()
    recorded_by = AgencyParty(source="company")


class _AgencyBase(KnownQueryParamsMixin, viewsets.GenericViewSet):
    """Staff only (anyone else: 404, as the pages); read needs the ``read`` key scope."""

    permission_classes = [IsAuthenticated, KeyScope]
    pagination_class = PageNumberPagination
    action_query_params = {"list": ("agency",), "retrieve": ("agency",)}

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):  # schema generation: no caller
            return self.queryset
        return self.scoped(self.agency())

    def scoped(self, agency: Agency):
        raise NotImplementedError

    def agency(self) -> Agency:
        found = selectors.agency_for_staff(user=self.request.user,
                                           agency_id=self.request.query_params.get("agency"))
        if found is None:
            raise NotFound()
        return found


@extend_schema_view(list=extend_schema(parameters=[
    AGENCY_PARAM, OpenApiParameter("q", str, description="Name or town contains."),
    OpenApiParameter("sector", str, description="NACE code prefix, e.g. 24."),
    OpenApiParameter("verified", str, enum=["yes", "no"]),
]), retrieve=extend_schema(parameters=[AGENCY_PARAM]))
class FirmViewSet(_AgencyBase, mixins.ListModelMixin, mixins.RetrieveModelMixin):
    """The firms with a site in the agency's regions; staff verify them."""

    serializer_class = AgencyFirmSerializer
    queryset = Company.objects.none()
    action_query_params = {"list": ("agency", "q", "sector", "verified"),
                           "retrieve": ("agency",), "verify": ("agency",),
                           "unverify": ("agency",)}
    # People verify; an API key cannot (no key scope for agency writes).
    key_scope = None

    def scoped(self, agency: Agency):
        params = self.request.query_params
        return selectors.firm_list_for_agency(
            agency=agency, search=params.get("q", "")[:100],
            sector=params.get("sector", "")[:5], verified=params.get("verified", ""))

    def _verify(self, *, verified: bool) -> Response:
        agency = self.agency()
        firm = self.get_object()
        service = firm_services.firm_verify if verified else firm_services.firm_unverify
        try:
            service(agency=agency, user=self.request.user, company=firm)
        except DjangoPermissionDenied as exc:
            raise PermissionDenied(str(exc)) from exc
        return Response(AgencyFirmSerializer(selectors.firm_get_for_agency(agency=agency,
                                                                     pk=firm.pk)).data)

    @extend_schema(request=None, responses=AgencyFirmSerializer, parameters=[AGENCY_PARAM])
    @action(detail=True, methods=["post"])
    def verify(self, request, pk=None) -> Response:
        """Mark the firm verified by the agency."""
        return self._verify(verified=True)

    @extend_schema(request=None, responses=AgencyFirmSerializer, parameters=[AGENCY_PARAM])
    @action(detail=True, methods=["post"])
    def unverify(self, request, pk=None) -> Response:
        """Withdraw the agency's verification."""
        return self._verify(verified=False)


def _read_only(serializer, selector, model, doc: str):
    @extend_schema_view(list=extend_schema(parameters=[AGENCY_PARAM]),
                        retrieve=extend_schema(parameters=[AGENCY_PARAM]))
    class ViewSet(_AgencyBase, mixins.ListModelMixin, mixins.RetrieveModelMixin):
        serializer_class = serializer
        queryset = model.objects.none()

        def scoped(self, agency: Agency):
            return selector(agency=agency)

    ViewSet.__doc__ = doc
    return ViewSet


ListingViewSet = _read_only(
    AgencyListingSerializer, selectors.listing_list_for_agency, Listing,
    "Listings at sites in the agency's regions.")
ListingViewSet.__name__ = ListingViewSet.__qualname__ = "AgencyListingViewSet"
ContactViewSet = _read_only(
    AgencyContactSerializer, selectors.contact_list_for_agency, Contact,
    "Contacts about pairs with a site in the agency's regions: parties and stage only.")
ContactViewSet.__name__ = ContactViewSet.__qualname__ = "AgencyContactViewSet"
AgreementViewSet = _read_only(
    AgencyAgreementSerializer, selectors.agreement_list_for_agency, Agreement,
    "Agreements of the region's contacts: parties and state only, never terms or prices.")
AgreementViewSet.__name__ = AgreementViewSet.__qualname__ = "AgencyAgreementViewSet"
DeliveryViewSet = _read_only(
    AgencyDeliverySerializer, selectors.delivery_list_for_agency, Delivery,
    "Deliveries under the region's agreements: date, state and who recorded it.")
DeliveryViewSet.__name__ = DeliveryViewSet.__qualname__ = "AgencyDeliveryViewSet"
