"""Integrations API: bulk submission and listings by the client's own external id."""

from __future__ import annotations

from collections.abc import Mapping

from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.db import transaction
from django.http import Http404
from django.utils.translation import gettext as _
from drf_spectacular.utils import OpenApiExample, OpenApiParameter, extend_schema
from rest_framework import mixins, status, viewsets
from rest_framework.exceptions import PermissionDenied, ValidationError
from rest_framework.response import Response
from rest_framework.settings import api_settings
from rest_framework.views import APIView

from accounts.selectors import site_list_for_company
from integrations import selectors as integration_selectors
from integrations import services as integration_services
from integrations.api.serializers import (
    BulkRequestSerializer,
    BulkResponseSerializer,
    WebhookEndpointCreatedSerializer,
    WebhookEndpointSerializer,
)
from integrations.models import WebhookEndpoint
from matching import selectors, services
from matching.api.permissions import HasCompany, request_company
from matching.api.serializers import ErrorSerializer, ListingInputSerializer, ListingSerializer
from matching.api.views import ERRORS
from matching.models import Listing
from symbiosis.api.params import KnownQueryParamsMixin
from symbiosis.api.scopes import KeyScope

EXAMPLE_ITEM = {
    "external_id": "ERP-4711", "kind": "offer", "site": 12, "title": "Coal fly ash",
    "ewc_code": "10 01 02", "quantity": "400", "unit": "t/month",
}


class _CompanyView(KnownQueryParamsMixin, APIView):
    permission_classes = [HasCompany, KeyScope]
    key_scope = "listings"

    @property
    def company(self):
        return request_company(self.request)


def _flat(errors) -> dict[str, list[str]]:
    return {name: [str(m) for m in (msgs if isinstance(msgs, list) else [msgs])]
            for name, msgs in errors.items()}


class BulkListingView(_CompanyView):
    """Create or update up to 1,000 listings by external id in one request."""

    def accepted_query_params(self) -> set[str]:
        return {"atomic"}

    @extend_schema(
        operation_id="listings_bulk",
        summary="Create or update many listings by external id",
        description=(
            "Each item is a listing with your own `external_id` (1–100 letters, digits and "
            "`._:-`): a new id creates a listing, a known one updates it, an identical one "
            "is left `unchanged`, so re-sending a batch never duplicates. Valid items are "
            "saved even when others fail (200). With `atomic=true` nothing is saved if any "
            "item fails (400, same `results`). Matching runs once for the batch, in the "
            "background."
        ),
        parameters=[OpenApiParameter("atomic", bool, description="All or nothing.")],
        request=BulkRequestSerializer,
        responses={200: BulkResponseSerializer, 400: ErrorSerializer, 401: ERRORS[401],
                   403: ERRORS[403]},
        examples=[
            OpenApiExample("Two listings", value={"listings": [EXAMPLE_ITEM]},
                           request_only=True),
            OpenApiExample("Results", response_only=True, value={"results": [
                {"external_id": "ERP-4711", "id": 301, "result": "created", "errors": {}},
                {"external_id": "ERP-4712", "id": None, "result": "error",
                 "errors": {"unit": ["Unknown unit 'tons/mo'. …"]}},
            ]}),
        ],
    )
    def post(self, request) -> Response:
        atomic = request.query_params.get("atomic", "false").lower() in ("true", "1")
        body = BulkRequestSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        items = body.validated_data["listings"]
        ids = [str(item.get("external_id") or "") for item in items]
        existing = {
            listing.external_id: listing
            for listing in Listing.objects.filter(company=self.company, external_id__in=ids)
        }
        results: list[dict] = []
        valid: list[tuple[int, services.BulkItem]] = []
        seen: set[str] = set()
        sites = {site.pk: site for site in site_list_for_company(company=self.company)}
        context = {"company": self.company, "request": request, "sites": sites,
                   "external_ids_checked": True}
        # Items share two serializers: building fields from the model costs more than
        # validating an item. ``instance`` is what the update one validates against.
        creating = ListingInputSerializer(context=context)
        updating = ListingInputSerializer(instance=None, context=context)
        for index, item in enumerate(items):
            external_id = ids[index]
            row = {"external_id": external_id or None, "id": None, "result": "error",
                   "errors": {}}
            results.append(row)
            if not external_id:
                row["errors"] = {"external_id": [_("Every item needs its external_id.")]}
                continue
            if external_id in seen:
                row["errors"] = {"external_id": [_("Sent twice in this batch.")]}
                continue
            seen.add(external_id)
            instance = existing.get(external_id)
            try:
                if instance is None:
                    data = creating.run_validation(item)
                else:
                    updating.instance = instance
                    data = updating.run_validation(item)
            except ValidationError as exc:
                row["errors"] = _flat(exc.detail if isinstance(exc.detail, dict)
                                      else {"non_field_errors": exc.detail})
                if instance is not None:
                    row["id"] = instance.pk
                continue
            valid.append((index, services.BulkItem(instance, data)))
        failed = any(row["errors"] for row in results)
        with transaction.atomic():
            outcomes = services.listing_save_many(
                company=self.company, user=request.user, items=[i for _, i in valid],
                atomic=atomic, sites=sites,
            )
            failed = failed or any(o.result == services.bulk.ERROR for o in outcomes)
            if atomic and failed:
                transaction.set_rollback(True)
        for (index, _item), outcome in zip(valid, outcomes, strict=True):
            row = results[index]
            row["result"], row["errors"] = outcome.result, outcome.errors
            kept = outcome.listing is not None and not (atomic and failed
                                                        and outcome.result == "created")
            row["id"] = outcome.listing.pk if kept else None
        if atomic and failed:
            return Response({
                "error": {"status": 400, "code": "batch_invalid", "fields": {},
                          "message": _("Nothing was saved: some items are not valid (see "
                                       "results).")},
                "results": results,
            }, status=status.HTTP_400_BAD_REQUEST)
        return Response({"results": results})


class ExternalListingView(_CompanyView):
    """One listing by your own external id: read, replace (or create), close."""

    def accepted_query_params(self) -> set[str]:
        return set()

    def _get(self, external_id: str) -> Listing | None:
        return Listing.objects.filter(company=self.company, external_id=external_id).first()

    def _out(self, listing: Listing) -> dict:
        row = selectors.listing_with_match_count(
            selectors.listing_list_for_company(company=self.company), viewer=self.company
        ).get(pk=listing.pk)
        return ListingSerializer(row).data

    @extend_schema(operation_id="listings_external_retrieve",
                   summary="One of your listings, by external id",
                   responses={200: ListingSerializer, 401: ERRORS[401], 403: ERRORS[403],
                              404: ERRORS[404]})
    def get(self, request, external_id: str) -> Response:
        listing = self._get(external_id)
        if listing is None:
            raise Http404
        return Response(self._out(listing))

    @extend_schema(operation_id="listings_external_replace",
                   summary="Replace (or create) a listing by external id",
                   description="Creates the listing (201) when no listing has this external "
                               "id yet. The path's external id is the listing's: an "
                               "`external_id` in the body is ignored.",
                   request=ListingInputSerializer,
                   responses={200: ListingSerializer, 201: ListingSerializer,
                              400: ERRORS[400], 401: ERRORS[401], 403: ERRORS[403]})
    def put(self, request, external_id: str) -> Response:
        if not isinstance(request.data, Mapping):
            raise ValidationError({api_settings.NON_FIELD_ERRORS_KEY: [
                _("Send one listing as a JSON object.")]})
        listing = self._get(external_id)
        # A copy keeps a form's QueryDict a QueryDict (one value per field).
        data = request.data.copy()
        data["external_id"] = external_id
        serializer = ListingInputSerializer(
            instance=listing, data=data, context={"company": self.company, "request": request}
        )
        serializer.is_valid(raise_exception=True)
        if listing is None:
            listing = services.listing_create(
                company=self.company, user=request.user, data=serializer.validated_data
            )
            return Response(self._out(listing), status=status.HTTP_201_CREATED)
        listing = services.listing_update(listing=listing, data=serializer.validated_data)
        return Response(self._out(listing))

    @extend_schema(operation_id="listings_external_close",
                   summary="Close a listing by external id",
                   responses={204: None, 401: ERRORS[401], 403: ERRORS[403], 404: ERRORS[404]})
    def delete(self, request, external_id: str) -> Response:
        listing = self._get(external_id)
        if listing is None:
            raise Http404
        services.listing_set_status(listing=listing, status=Listing.Status.CLOSED)
        return Response(status=status.HTTP_204_NO_CONTENT)


class WebhookEndpointViewSet(KnownQueryParamsMixin, mixins.ListModelMixin,
                             mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    """Your webhook endpoints (add them here or in the portal)."""

    permission_classes = [HasCompany, KeyScope]
    key_scope = "webhooks"
    serializer_class = WebhookEndpointSerializer
    filter_backends: list = []
    queryset = WebhookEndpoint.objects.none()

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):
            return WebhookEndpoint.objects.none()
        return integration_selectors.webhook_endpoint_list_for_company(
            company=request_company(self.request)
        )

    @extend_schema(
        summary="Your webhook endpoints",
        responses={200: WebhookEndpointSerializer(many=True), 401: ERRORS[401],
                   403: ERRORS[403]},
    )
    def list(self, request, *args, **kwargs):
        return super().list(request, *args, **kwargs)

    @extend_schema(summary="One webhook endpoint",
                   responses={200: WebhookEndpointSerializer, 401: ERRORS[401],
                              403: ERRORS[403], 404: ERRORS[404]})
    def retrieve(self, request, *args, **kwargs):
        return super().retrieve(request, *args, **kwargs)

    @extend_schema(
        summary="Add a webhook endpoint",
        description="Needs an owner's key (or an owner) with the `webhooks` scope. The "
                    "answer carries the signing secret.",
        request=WebhookEndpointSerializer,
        responses={201: WebhookEndpointCreatedSerializer, 400: ERRORS[400], 401: ERRORS[401],
                   403: ERRORS[403]},
        examples=[OpenApiExample("Match events", request_only=True, value={
            "url": "https://erp.example.com/symbiosis/hooks",
            "events": ["match.created", "matches.changed"]})],
    )
    def create(self, request, *args, **kwargs):
        serializer = WebhookEndpointSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        try:
            endpoint = integration_services.webhook_endpoint_create(
                company=request_company(request), user=request.user,
                **serializer.validated_data,
            )
        except DjangoPermissionDenied as exc:
            raise PermissionDenied(str(exc)) from None
        return Response(WebhookEndpointCreatedSerializer(endpoint).data,
                        status=status.HTTP_201_CREATED)
