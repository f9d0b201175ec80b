"""API v1 views: thin wrappers over the selectors (reads) and services (writes)."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from django.core.exceptions import ValidationError as DjangoValidationError
from django.db.models import QuerySet
from django.http import Http404
from django.utils.translation import gettext_lazy as _
from django_filters.rest_framework import DjangoFilterBackend
from drf_spectacular.utils import (
    OpenApiParameter,
    OpenApiResponse,
    extend_schema,
    extend_schema_view,
)
from rest_framework import exceptions, mixins, status, viewsets
from rest_framework.decorators import action
from rest_framework.filters import OrderingFilter
from rest_framework.parsers import FormParser, MultiPartParser
from rest_framework.permissions import AllowAny, IsAuthenticated
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts import services as account_services
from accounts.models import Site
from accounts.selectors import site_list_for_company
from matching import catalogue, selectors, services, suggestions
from matching.api.filters import ListingFilter, MatchFilter
from matching.api.permissions import HasCompany, request_company
from matching.api.serializers import (
    CategorySerializer,
    DismissalSerializer,
    DismissSerializer,
    ErrorSerializer,
    EwcEntrySerializer,
    EwcSuggestQuerySerializer,
    EwcSuggestResponseSerializer,
    ImportJobDetailSerializer,
    ImportJobSerializer,
    ImportUploadSerializer,
    ListingInputSerializer,
    ListingSerializer,
    MatchSerializer,
    SiteSerializer,
    TokenObtainSerializer,
    TokenSerializer,
)
from matching.models import ImportJob, Listing, Match
from symbiosis.api.pagination import PageNumberPagination, SyncPagination
from symbiosis.api.params import KnownQueryParamsMixin
from symbiosis.api.scopes import KeyScope
from symbiosis.api.throttles import AnonScopedThrottle
from symbiosis.freshness import CachedReadsMixin

ERRORS = {
    400: OpenApiResponse(
        ErrorSerializer,
        description=_(
            "Invalid input (see error.fields), or a query parameter the endpoint does not "
            "accept (error.message names the accepted ones)."
        ),
    ),
    401: OpenApiResponse(ErrorSerializer, description=_("Not authenticated.")),
    403: OpenApiResponse(ErrorSerializer, description=_("Your account has no company.")),
    404: OpenApiResponse(ErrorSerializer, description=_("Not found (or not yours).")),
}


def _errors(*codes: int) -> dict[int, OpenApiResponse]:
    # Every endpoint may answer 400: an unknown query parameter is refused everywhere.
    return {code: ERRORS[code] for code in sorted({400, *codes})}


# --- auth -----------------------------------------------------------------------------


class ListingMatchesPagination(PageNumberPagination):
    """The pages of one listing's matches, with the quality floor's note."""

    def get_paginated_response_schema(self, schema: dict[str, Any]) -> dict[str, Any]:
        described = super().get_paginated_response_schema(schema)
        described["properties"]["quality_note"] = {
            "type": "string",
            "description": str(_(
                "Set when the listing has fewer matches than the most kept per listing: "
                "only partners above the quality floor (a material fit, "
                "MATCH_MIN_MATERIAL_FIT) are shown, and weaker pairings are not; empty "
                "otherwise."
            )),
        }
        return described

class TokenObtainView(KnownQueryParamsMixin, APIView):
    """Exchange an e-mail and password for the user's API token."""

    authentication_classes: list = []
    permission_classes = [AllowAny]
    # Slows down password guessing; generous enough for scripts that log in once.
    throttle_classes = [AnonScopedThrottle]
    throttle_scope = "api-token"
    serializer_class = TokenObtainSerializer

    @extend_schema(
        operation_id="auth_token_obtain",
        summary=_("Get your API token"),
        description=_(
            "Returns the caller's API token (created on first use; the same token after "
            "that). Send it as `Authorization: Token <token>`. Wrong credentials give a 400."
        ),
        request=TokenObtainSerializer,
        responses={200: TokenSerializer, **_errors(400)},
        auth=[],
    )
    def post(self, request, *args, **kwargs) -> Response:
        serializer = TokenObtainSerializer(data=request.data, context={"request": request})
        serializer.is_valid(raise_exception=True)
        token = account_services.token_get_or_create(user=serializer.validated_data["user"])
        return Response(TokenSerializer({"token": token}).data)


# --- company scope --------------------------------------------------------------------


class CompanyScopedMixin(KnownQueryParamsMixin):
    """Everything here belongs to the caller's company; others' rows are simply absent."""

    permission_classes = [IsAuthenticated, HasCompany, KeyScope]

    @property
    def company(self):
        return request_company(self.request)

    def get_serializer_context(self) -> dict[str, Any]:
        context = super().get_serializer_context()
        # Schema generation runs without a real caller.
        context["company"] = request_company(self.request) if self.request else None
        return context


# --- listings -------------------------------------------------------------------------


@extend_schema_view(
    list=extend_schema(
        summary=_("Your listings"),
        description=_(
            "Your company's offers and wants, newest change first. With `updated_since` or "
            "`cursor`, a sync list instead: what changed, oldest change first."
        ),
        responses={200: ListingSerializer(many=True), **_errors(401, 403)},
    ),
    retrieve=extend_schema(
        summary=_("One of your listings"),
        responses={200: ListingSerializer, **_errors(401, 403, 404)},
    ),
    create=extend_schema(
        summary=_("Create a listing"),
        description=_(
            "Creates an offer or a want at one of your sites. The amount per year is derived "
            "from quantity, unit and frequency; an active listing is matched in the background "
            "right after it is saved."
        ),
        request=ListingInputSerializer,
        responses={201: ListingSerializer, **_errors(400, 401, 403)},
    ),
    update=extend_schema(
        summary=_("Replace a listing"),
        description=_("A listing cannot change kind; create a new one instead."),
        request=ListingInputSerializer,
        responses={200: ListingSerializer, **_errors(400, 401, 403, 404)},
    ),
    partial_update=extend_schema(
        summary=_("Change some fields of a listing"),
        request=ListingInputSerializer,
        responses={200: ListingSerializer, **_errors(400, 401, 403, 404)},
    ),
    destroy=extend_schema(
        summary=_("Close a listing"),
        description=_(
            "Does not delete anything: the listing's status becomes `closed`, it leaves the "
            "matching and its matches disappear, but it stays readable here (and can be "
            "reopened by setting `status` back to `active`). Dismissals are kept as feedback."
        ),
        responses={204: OpenApiResponse(description=_("Closed.")), **_errors(401, 403, 404)},
    ),
)
class ListingViewSet(CachedReadsMixin, CompanyScopedMixin, viewsets.ModelViewSet):
    """Offers and wants of the caller's company."""

    key_scope = "listings"
    serializer_class = ListingSerializer
    pagination_class = SyncPagination
    paginated_actions = ("matches",)
    filterset_class = ListingFilter
    search_fields = ["title", "description"]
    ordering_fields = ["created_at", "updated_at", "title", "amount_per_year", "match_count"]
    ordering = ["-updated_at", "-id"]
    queryset = Listing.objects.none()  # for the schema; get_queryset scopes to the company

    def get_queryset(self) -> QuerySet[Listing]:
        if getattr(self, "swagger_fake_view", False):
            return Listing.objects.none()
        return selectors.listing_with_match_count(
            selectors.listing_list_for_company(company=self.company), viewer=self.company
        )

    def get_serializer_class(self):
        # Writes read ListingInputSerializer (the browsable API's form too); answers are
        # always ListingSerializer.
        if self.action in ("create", "update", "partial_update"):
            return ListingInputSerializer
        return super().get_serializer_class()

    def _output(self, listing: Listing) -> dict[str, Any]:
        fresh = self.get_queryset().get(pk=listing.pk)
        return ListingSerializer(fresh, context=self.get_serializer_context()).data

    def create(self, request, *args, **kwargs) -> Response:
        serializer = self.get_serializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        listing = services.listing_create(
            company=self.company, user=request.user, data=serializer.validated_data
        )
        return Response(self._output(listing), status=status.HTTP_201_CREATED)

    def update(self, request, *args, **kwargs) -> Response:
        partial = kwargs.pop("partial", False)
        listing = self.get_object()
        serializer = self.get_serializer(listing, data=request.data, partial=partial)
        serializer.is_valid(raise_exception=True)
        listing = services.listing_update(listing=listing, data=serializer.validated_data)
        return Response(self._output(listing))

    def destroy(self, request, *args, **kwargs) -> Response:
        listing = self.get_object()
        services.listing_set_status(listing=listing, status=Listing.Status.CLOSED)
        return Response(status=status.HTTP_204_NO_CONTENT)

    @extend_schema(
        summary=_("Matches of one of your listings"),
        description=_(
            "Best first. The counterpart is anonymised: its sector and town, never the firm. "
            "Matches you dismissed are left out."
        ),
        filters=False,
        responses={200: MatchSerializer(many=True), **_errors(401, 403, 404)},
    )
    @action(detail=True, methods=["get"], serializer_class=MatchSerializer,
            pagination_class=ListingMatchesPagination)
    def matches(self, request, pk=None) -> Response:
        listing = self.get_object()
        matches = selectors.match_list_for_listing(listing=listing, viewer=self.company)
        page = self.paginate_queryset(matches)
        serializer = MatchSerializer(page, many=True, context=self.get_serializer_context())
        response = self.get_paginated_response(serializer.data)
        response.data["quality_note"] = selectors.match_quality_note(
            listing=listing, count=self.paginator.page.paginator.count)
        return response

    def filter_queryset(self, queryset):
        # The listing filters describe listings, not the matches of the nested route.
        if self.action == "matches":
            return queryset
        return super().filter_queryset(queryset)


# --- matches --------------------------------------------------------------------------



@extend_schema_view(
    list=extend_schema(
        summary=_("Matches of your listings"),
        description=_(
            "Every match involving one of your listings, best first (filter with `listing`). "
            "The counterpart is anonymised; matches you dismissed are left out. With "
            "`updated_since` or `cursor`, a sync list instead: what changed, oldest change "
            "first (matches deleted by a rematch do not appear)."
        ),
        responses={200: MatchSerializer(many=True), **_errors(401, 403)},
    ),
    retrieve=extend_schema(
        summary=_("One match"), responses={200: MatchSerializer, **_errors(401, 403, 404)}
    ),
)
class MatchViewSet(CachedReadsMixin, CompanyScopedMixin, viewsets.ReadOnlyModelViewSet):
    """Read-only matches; the only write is dismissing one."""

    key_scope = "listings"
    serializer_class = MatchSerializer
    pagination_class = SyncPagination
    filterset_class = MatchFilter
    filter_backends = [DjangoFilterBackend, OrderingFilter]
    # No ordering by the exact distance: the order of two counterparts in one band would
    # tell which is nearer (only bands are shown).
    ordering_fields = ["score", "updated_at"]
    ordering = ["-score", "id"]
    queryset = Match.objects.none()  # for the schema; get_queryset scopes to the company

    def get_queryset(self) -> QuerySet[Match]:
        if getattr(self, "swagger_fake_view", False):
            return Match.objects.none()
        return selectors.match_list_for_company(company=self.company)

    @extend_schema(
        summary=_("Dismiss a match"),
        description=_(
            "Hides the match from your company for good (the other firm still sees it) and "
            "records your reason, which helps the matcher improve."
        ),
        request=DismissSerializer,
        filters=False,
        responses={201: DismissalSerializer, **_errors(400, 401, 403, 404)},
    )
    @action(detail=True, methods=["post"], serializer_class=DismissSerializer)
    def dismiss(self, request, pk=None) -> Response:
        match = self.get_object()
        serializer = DismissSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        dismissal = services.match_dismiss(
            match=match,
            company=self.company,
            user=request.user,
            reason=serializer.validated_data["reason"],
            note=serializer.validated_data["note"],
        )
        return Response(DismissalSerializer(dismissal).data, status=status.HTTP_201_CREATED)

    def filter_queryset(self, queryset):
        if self.action == "dismiss":
            return queryset
        return super().filter_queryset(queryset)


# --- sites ----------------------------------------------------------------------------


@extend_schema_view(
    list=extend_schema(
        summary=_("Your sites"), responses={200: SiteSerializer(many=True), **_errors(401, 403)}
    ),
    retrieve=extend_schema(
        summary=_("One of your sites"), responses={200: SiteSerializer, **_errors(401, 403, 404)}
    ),
    create=extend_schema(
        summary=_("Add a site"),
        description=_(
            "The position is looked up from town and country (offline, GeoNames towns of "
            "1,000+ inhabitants) unless latitude and longitude are given. An unknown town "
            "is a 400 on `city`."
        ),
        responses={201: SiteSerializer, **_errors(400, 401, 403)},
    ),
    update=extend_schema(
        summary=_("Replace a site"),
        description=_("A changed town is located again; the site's listings are rematched."),
        responses={200: SiteSerializer, **_errors(400, 401, 403, 404)},
    ),
    partial_update=extend_schema(
        summary=_("Change some fields of a site"),
        responses={200: SiteSerializer, **_errors(400, 401, 403, 404)},
    ),
)
class SiteViewSet(
    CompanyScopedMixin,
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.CreateModelMixin,
    mixins.UpdateModelMixin,
    viewsets.GenericViewSet,
):
    """Sites of the caller's company. Sites are not deleted through the API."""

    key_scope = "sites"
    serializer_class = SiteSerializer
    filter_backends: list = []
    queryset = Site.objects.none()  # for the schema; get_queryset scopes to the company

    def get_queryset(self) -> QuerySet[Site]:
        if getattr(self, "swagger_fake_view", False):
            return Site.objects.none()
        return site_list_for_company(company=self.company)

    def perform_create(self, serializer) -> None:
        with _placement_throttled():
            serializer.instance = account_services.site_create(
                company=self.company, **serializer.validated_data
            )

    def perform_update(self, serializer) -> None:
        site: Site = serializer.instance
        data = serializer.validated_data
        coordinates = {}
        if data.get("latitude") is not None:
            coordinates = {"latitude": data["latitude"], "longitude": data["longitude"]}
        with _placement_throttled():
            serializer.instance = account_services.site_update(
                site=site,
                name=data.get("name", site.name),
                city=data.get("city", site.city),
                country=data.get("country", site.country),
                address=data.get("address", site.address),
                **coordinates,
            )


@contextmanager
def _placement_throttled() -> Iterator[None]:
    """The firm's site placements are used up: a 429 with Retry-After, not a 400."""
    try:
        yield
    except account_services.SitePlacementLimitError as exc:
        raise exceptions.Throttled(wait=exc.retry_after, detail=exc.messages[0]) from exc


# --- reference data -------------------------------------------------------------------


@extend_schema_view(
    list=extend_schema(
        summary=_("Search the European List of Waste"),
        description=_(
            "Public. `search` keeps entries whose code or description contains every word; "
            "`code` keeps entries starting with those digits (chapter 10, sub-chapter 1001…)."
        ),
        parameters=[
            OpenApiParameter("search", str, description=_("Words, e.g. fly ash.")),
            OpenApiParameter("code", str, description=_("Code prefix, e.g. 1001 or 10 01.")),
            OpenApiParameter("hazardous", bool, description=_("Only (non-)hazardous entries.")),
        ],
    ),
    retrieve=extend_schema(
        summary=_("One entry of the European List of Waste"),
        description=_("Public. The code may be written with spaces (10 01 02) or without."),
        parameters=[
            OpenApiParameter(
                "code", str, OpenApiParameter.PATH, description=_("Six digits, e.g. 100102.")
            )
        ],
        responses={200: EwcEntrySerializer, **_errors(404)},
    ),
)
class EwcCodeViewSet(KnownQueryParamsMixin, viewsets.GenericViewSet):
    """The European List of Waste (reference data, in memory; no account needed)."""

    permission_classes = [AllowAny]
    serializer_class = EwcEntrySerializer
    filter_backends: list = []
    lookup_field = "code"
    lookup_value_regex = r"[0-9 ]+\*?"
    action_query_params = {
        "list": ("search", "code", "hazardous"), "suggest": ("text", "k", "nace"),
    }
    # Each suggestion runs the model: generous for a form, not for scraping (suggest only).
    throttle_scope = "ewc-suggest"

    def list(self, request, *args, **kwargs) -> Response:
        params = request.query_params
        hazardous = params.get("hazardous", "").lower()
        entries = selectors.ewc_entry_list(
            search=params.get("search", ""),
            code=params.get("code", ""),
            hazardous=hazardous in ("true", "1") if hazardous in ("true", "1", "false", "0")
            else None,
        )
        page = self.paginate_queryset(entries)
        return self.get_paginated_response([selectors.ewc_entry_view(entry) for entry in page])

    def retrieve(self, request, code: str = "", *args, **kwargs) -> Response:
        entry = selectors.ewc_entry_get(code=code)
        if entry is None:
            raise Http404
        return Response(EwcEntrySerializer(selectors.ewc_entry_view(entry)).data)

    @extend_schema(
        summary=_("Suggest waste codes for a description"),
        description=_(
            "Public. The likeliest List of Waste entries for what a firm typed (title and "
            "description), best first, each with a hazard hint: `yes` for an absolute "
            "hazardous entry, `depends` for a mirror entry (the firm decides from its "
            "analysis), `no` otherwise, and `why` (the words, the chapter rule, the hazard "
            "signal). When the first two form a mirror pair, `mirror_question` asks what "
            "decides between them; named hazardous constituents put the starred entry first. "
            "`nace` (the producer's sector) steers the chapter. Heat, steam, water and CO2 "
            "flows get no code and `not_waste` says why. Suggestions only: the firm confirms "
            "a code by saving it on the listing. An empty text is a 400."
        ),
        parameters=[EwcSuggestQuerySerializer],
        filters=False,
        responses={200: EwcSuggestResponseSerializer, **_errors(400)},
    )
    @action(
        detail=False, methods=["get"], url_path="suggest", pagination_class=None,
        throttle_classes=[AnonScopedThrottle],
    )
    def suggest(self, request, *args, **kwargs) -> Response:
        query = EwcSuggestQuerySerializer(data=request.query_params)
        query.is_valid(raise_exception=True)
        text = query.validated_data["text"]
        advice = suggestions.ewc_advice(
            text=text, k=query.validated_data["k"], nace=query.validated_data["nace"]
        )
        body = {"text": text, **suggestions.advice_as_dict(advice)}
        return Response(EwcSuggestResponseSerializer(body).data)


@extend_schema_view(
    list=extend_schema(
        summary=_("Material categories"),
        description=_(
            "Public. The slugs to use as a listing's `category`; a two-level tree where "
            "`parent` is empty for top-level categories."
        ),
    ),
)
class CategoryViewSet(KnownQueryParamsMixin, viewsets.GenericViewSet):
    """Material categories (reference data; no account needed)."""

    permission_classes = [AllowAny]
    serializer_class = CategorySerializer
    filter_backends: list = []

    def list(self, request, *args, **kwargs) -> Response:
        categories = catalogue.knowledge().categories.values()
        data = [{"slug": c.slug, "name": c.name, "parent": c.parent} for c in categories]
        page = self.paginate_queryset(data)
        return self.get_paginated_response(CategorySerializer(page, many=True).data)



# --- imports --------------------------------------------------------------------------


def _import_detail(job) -> dict[str, Any]:
    from matching.imports import selectors as import_selectors

    data = import_selectors.import_job_progress(job=job)
    data["preview_rows"] = [
        {"row": r["row"], "action": r["action"], "values": r["values"],
         "errors": r["errors"]} for r in (job.preview or {}).get("rows", [])
    ]
    data["row_errors"] = job.row_errors
    return ImportJobDetailSerializer(data).data


@extend_schema_view(
    list=extend_schema(
        summary=_("Your imports"),
        description=_("Spreadsheet imports of your company, newest first."),
        responses={200: ImportJobSerializer(many=True), **_errors(401, 403)},
    ),
    retrieve=extend_schema(
        summary=_("One import: preview, progress, result"),
        description=_("Poll it after confirming: `processed` of `total` rows, `finished` "
                      "when done or failed, `summary` and `row_errors` at the end."),
        responses={200: ImportJobDetailSerializer, **_errors(401, 403, 404)},
    ),
    create=extend_schema(
        summary=_("Upload a spreadsheet to preview"),
        description=_(
            "A CSV or XLSX file (multipart field `file`) with the columns of the portal's "
            "template. Every row is checked and nothing is saved: the answer says what "
            "confirming would do (`preview_counts`), shows the first rows and lists the "
            "rows with errors. A file that cannot be read, or has a missing or unknown "
            "column, is a 400 on `file`."
        ),
        request={"multipart/form-data": ImportUploadSerializer},
        responses={201: ImportJobDetailSerializer, **_errors(401, 403)},
    ),
)
class ImportJobViewSet(CompanyScopedMixin, mixins.ListModelMixin, mixins.RetrieveModelMixin,
                       mixins.CreateModelMixin, viewsets.GenericViewSet):
    """Spreadsheet imports of listings: upload (preview), confirm, follow the progress."""

    key_scope = "listings"
    serializer_class = ImportJobSerializer
    parser_classes = [MultiPartParser, FormParser]
    filter_backends: list = []
    queryset = ImportJob.objects.none()

    def get_queryset(self):
        from matching.imports import selectors as import_selectors

        if getattr(self, "swagger_fake_view", False):
            return ImportJob.objects.none()
        return import_selectors.import_job_list(company=self.company, kind="listings")

    def list(self, request, *args, **kwargs) -> Response:
        from matching.imports import selectors as import_selectors

        page = self.paginate_queryset(self.get_queryset())
        data = [import_selectors.import_job_progress(job=job) for job in page]
        return self.get_paginated_response(ImportJobSerializer(data, many=True).data)

    def retrieve(self, request, *args, **kwargs) -> Response:
        return Response(_import_detail(self.get_object()))

    def create(self, request, *args, **kwargs) -> Response:
        from matching.imports import MAX_BYTES
        from matching.imports import services as import_services

        body = ImportUploadSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        upload = body.validated_data["file"]
        if upload.size > MAX_BYTES:
            raise DjangoValidationError(
                {"file": _("The file is larger than %(limit)d MB; split it into smaller "
                           "files.") % {"limit": MAX_BYTES // 1024 // 1024}})
        job = import_services.import_job_preview(
            kind=body.validated_data["kind"], user=request.user, company=self.company,
            file_name=upload.name, data=upload.read(MAX_BYTES + 1),
        )
        return Response(_import_detail(job), status=status.HTTP_201_CREATED)

    @extend_schema(
        summary=_("Confirm an import"),
        description=_(
            "Applies the previewed rows in the background (202): poll the import for its "
            "progress. Rows are checked again as they are applied; rows with errors are "
            "skipped. Confirming again changes nothing."
        ),
        request=None,
        responses={202: ImportJobDetailSerializer, **_errors(401, 403, 404)},
    )
    @action(detail=True, methods=["post"])
    def confirm(self, request, pk=None) -> Response:
        from matching.imports import services as import_services

        job = import_services.import_job_confirm(job=self.get_object())
        return Response(_import_detail(job), status=status.HTTP_202_ACCEPTED)
