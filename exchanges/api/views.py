"""API v1 for exchanges: thin views over selectors (reads) and services (writes).

Whatever a viewer may not see answers 404 (it might not exist); what a viewer may see but
not change (agency staff, the wrong side) answers 403. Every body is built by
``serializers`` from ``exchanges.visibility``.
"""

from __future__ import annotations

from django.utils.translation import gettext as _
from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_view
from rest_framework import status, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import NotFound, PermissionDenied, ValidationError
from rest_framework.parsers import FormParser, JSONParser, MultiPartParser
from rest_framework.permissions import IsAuthenticated
from rest_framework.response import Response

from exchanges import permissions, selectors, services
from exchanges.api import serializers as s
from exchanges.forms import SearchForm
from exchanges.models import Agreement, Contact, Notification, SavedSearch
from exchanges.permissions import Role
from exchanges.services import notifications as notification_services
from exchanges.services import searches as search_services
from matching import selectors as matching_selectors
from symbiosis.api.pagination import PageNumberPagination
from symbiosis.api.params import KnownQueryParamsMixin
from symbiosis.api.scopes import KeyScope, is_api_key


def _valid(serializer_class, request, **kwargs) -> dict:
    serializer = serializer_class(data=request.data, **kwargs)
    serializer.is_valid(raise_exception=True)
    return serializer.validated_data


def _company(request):
    company = permissions.user_company(request.user)
    if company is None:
        raise PermissionDenied(_("Your account is not linked to a company."))
    return company


def _role_for(user, contact: Contact) -> Role:
    company = permissions.user_company(user)
    return Role.PARTY if permissions.is_party(company, contact) else Role.AGENCY


class _Base(KnownQueryParamsMixin, viewsets.GenericViewSet):
    """The project's conventions: unknown query parameters refused, page-number pagination
    with a client-chosen ``page_size`` on every list, errors in the project's shape."""

    permission_classes = [IsAuthenticated, KeyScope]
    # A company API key writes here with the "exchanges" scope (symbiosis.api.scopes).
    key_scope = "exchanges"
    # Ids are numbers: anything else matches no route (a 404), never a lookup that fails.
    lookup_value_regex = "[0-9]+"
    parser_classes = [JSONParser, FormParser, MultiPartParser]
    pagination_class = PageNumberPagination
    # Nested lists, paginated as the top-level ones (GET only; a POST reads no query).
    paginated_actions = ("messages", "attachments", "versions", "deliveries")

    def _page(self, queryset, render):
        page = self.paginate_queryset(queryset)
        return self.get_paginated_response([render(item) for item in page])

    @staticmethod
    def _party_only(role: Role) -> None:
        if role is not Role.PARTY:
            raise PermissionDenied(_("Only the two firms of this contact can do that."))


@extend_schema_view(
    create=extend_schema(request=s.ContactCreateSerializer,
                         responses={201: s.ContactOutSerializer}),
    accept=extend_schema(request=None),
    block=extend_schema(request=None),
    decline=extend_schema(request=s.DeclineSerializer),
    stop=extend_schema(request=s.StopSerializer),
    # GET lists (paginated), POST adds one (201): the two methods of one action.
    messages=[extend_schema(methods=["GET"], filters=False,
                      responses=s.MessageOutSerializer(many=True)),
              extend_schema(methods=["POST"], request=s.MessageInSerializer,
                            responses={201: s.MessageOutSerializer})],
    attachments=[
        extend_schema(methods=["GET"], filters=False,
                      responses=s.AttachmentOutSerializer(many=True)),
        extend_schema(methods=["POST"],
                      request={"multipart/form-data": s.AttachmentInSerializer},
                      responses={201: s.AttachmentOutSerializer}),
    ],
    feasibility=extend_schema(request=s.FeasibilityInSerializer,
                              responses=s.FeasibilityOutSerializer),
)
class ContactViewSet(_Base):
    """Contacts about (offer, want) pairs: request, answer, talk, check feasibility."""

    serializer_class = s.ContactOutSerializer

    def get_queryset(self):
        return selectors.contact_list_for_user(user=self.request.user)

    def _get(self) -> tuple[Contact, Role]:
        contact, role = selectors.contact_get_for_user(user=self.request.user,
                                                       pk=self.kwargs["pk"])
        if contact is None:
            raise NotFound(_("No such contact."))
        return contact, role

    def _out(self, contact: Contact, role: Role, code=status.HTTP_200_OK) -> Response:
        viewer = permissions.user_company(self.request.user)
        return Response(s.contact_data(contact, role=role, viewer=viewer), status=code)

    def list(self, request):
        viewer = permissions.user_company(request.user)
        return self._page(self.get_queryset(), lambda c: s.contact_data(
            c, role=_role_for(request.user, c), viewer=viewer))

    def retrieve(self, request, pk=None):
        return self._out(*self._get())

    def create(self, request):
        company = _company(request)
        data = _valid(s.ContactCreateSerializer, request)
        listing = own = None
        if "match" not in data:
            listing = matching_selectors.listing_get_active(pk=data["listing"])
            own = matching_selectors.listing_get_for_company(company=company,
                                                             pk=data["own_listing"])
            if listing is None:
                raise ValidationError({"listing": [_("No such active listing.")]})
            if own is None:
                raise ValidationError({"own_listing": [_("Choose one of your own listings.")]})
        contact = services.contact_request(
            user=request.user, company=company, message=data["message"],
            match_id=data.get("match"), listing=listing, own_listing=own)
        return self._out(contact, Role.PARTY, status.HTTP_201_CREATED)

    def _act(self, service, **kwargs) -> Response:
        contact, role = self._get()
        self._party_only(role)
        contact = service(contact=contact, user=self.request.user, **kwargs)
        return self._out(contact, role)

    @action(detail=True, methods=["post"])
    def accept(self, request, pk=None):
        return self._act(services.contact_accept)

    @action(detail=True, methods=["post"])
    def decline(self, request, pk=None):
        return self._act(services.contact_decline, **_valid(s.DeclineSerializer, request))

    @action(detail=True, methods=["post"])
    def stop(self, request, pk=None):
        return self._act(services.contact_stop, **_valid(s.StopSerializer, request))

    @action(detail=True, methods=["post"])
    def block(self, request, pk=None):
        return self._act(services.contact_block)

    @action(detail=True, methods=["get", "post"])
    def messages(self, request, pk=None):
        contact, role = self._get()
        self._party_only(role)
        viewer = permissions.user_company(request.user)
        if request.method == "POST":
            body = _valid(s.MessageInSerializer, request)["body"]
            message = services.message_post(contact=contact, user=request.user, body=body)
            return Response(s.message_data(message, viewer=viewer, contact=contact),
                            status=status.HTTP_201_CREATED)
        return self._page(selectors.message_list(contact=contact),
                          lambda m: s.message_data(m, viewer=viewer, contact=contact))

    @action(detail=True, methods=["get", "post"])
    def attachments(self, request, pk=None):
        contact, role = self._get()
        self._party_only(role)
        viewer = permissions.user_company(request.user)
        if request.method == "POST":
            data = _valid(s.AttachmentInSerializer, request)
            attachment = services.attachment_add(contact=contact, user=request.user,
                                                 file=data["file"], kind=data["kind"])
            return Response(s.attachment_data(attachment, viewer=viewer),
                            status=status.HTTP_201_CREATED)
        return self._page(selectors.attachment_list(contact=contact),
                          lambda a: s.attachment_data(a, viewer=viewer))

    @action(detail=True, methods=["get", "patch"])
    def feasibility(self, request, pk=None):
        contact, role = self._get()
        self._party_only(role)
        if request.method == "PATCH":
            data = dict(_valid(s.FeasibilityInSerializer, request))
            key = data.pop("key")
            services.feasibility_update(contact=contact, user=request.user, key=key, data=data)
        items = contact.feasibility.order_by("id")
        return Response({"stage": Contact.objects.get(pk=contact.pk).stage,
                         "items": [s.feasibility_data(item) for item in items]})


@extend_schema_view(
    create=extend_schema(request=s.AgreementCreateSerializer,
                         responses={201: s.AgreementOutSerializer}),
    partial_update=extend_schema(request=s.TermsSerializer),
    propose=extend_schema(request=None),
    activate=extend_schema(request=None),
    complete=extend_schema(request=None),
    sign=extend_schema(request=s.SignSerializer),
    withdraw=extend_schema(request=s.ReasonSerializer),
    terminate=extend_schema(request=s.ReasonSerializer),
    versions=extend_schema(filters=False, responses=s.VersionOutSerializer(many=True)),
    deliveries=[
        extend_schema(methods=["GET"], filters=False,
                      responses=s.DeliveryOutSerializer(many=True)),
        extend_schema(methods=["POST"], request=s.DeliveryInSerializer,
                      responses={201: s.DeliveryOutSerializer}),
    ],
)
class AgreementViewSet(_Base):
    """Agreements on accepted contacts: versions of terms, signatures, the lifecycle."""

    serializer_class = s.AgreementOutSerializer

    def get_queryset(self):
        return selectors.agreement_list_for_user(user=self.request.user)

    def _get(self) -> tuple[Agreement, Role]:
        agreement, role = selectors.agreement_get_for_user(user=self.request.user,
                                                           pk=self.kwargs["pk"])
        if agreement is None:
            raise NotFound(_("No such agreement."))
        return agreement, role

    def _out(self, agreement: Agreement, role: Role, code=status.HTTP_200_OK) -> Response:
        viewer = permissions.user_company(self.request.user)
        agreement.refresh_from_db()
        return Response(s.agreement_data(agreement, role=role, viewer=viewer), status=code)

    def list(self, request):
        viewer = permissions.user_company(request.user)
        return self._page(self.get_queryset(), lambda a: s.agreement_data(
            a, role=_role_for(request.user, a.contact), viewer=viewer))

    def retrieve(self, request, pk=None):
        return self._out(*self._get())

    def create(self, request):
        _company(request)
        data = dict(_valid(s.AgreementCreateSerializer, request))
        contact, role = selectors.contact_get_for_user(user=request.user, pk=data.pop("contact"))
        if contact is None:
            raise ValidationError({"contact": [_("No such contact.")]})
        self._party_only(role)
        agreement = services.agreement_create(contact=contact, user=request.user, terms=data)
        return self._out(agreement, Role.PARTY, status.HTTP_201_CREATED)

    def partial_update(self, request, pk=None):
        agreement, role = self._get()
        self._party_only(role)
        terms = _valid(s.TermsSerializer, request, partial=True)
        services.agreement_update(agreement=agreement, user=request.user, terms=dict(terms))
        return self._out(agreement, role)

    def _act(self, service, **kwargs) -> Response:
        agreement, role = self._get()
        self._party_only(role)
        service(agreement=agreement, user=self.request.user, **kwargs)
        return self._out(agreement, role)

    @action(detail=True, methods=["post"])
    def propose(self, request, pk=None):
        return self._act(services.agreement_propose)

    @action(detail=True, methods=["post"])
    def sign(self, request, pk=None):
        if is_api_key(request):
            # A signature binds the firm: it is a signatory's act, never a system's.
            raise PermissionDenied(_("An API key cannot sign agreements; a signatory signs "
                                     "in person."))
        return self._act(services.agreement_sign, **_valid(s.SignSerializer, request))

    @action(detail=True, methods=["post"])
    def activate(self, request, pk=None):
        return self._act(services.agreement_activate)

    @action(detail=True, methods=["post"])
    def complete(self, request, pk=None):
        return self._act(services.agreement_complete)

    @action(detail=True, methods=["post"])
    def withdraw(self, request, pk=None):
        return self._act(services.agreement_withdraw, **_valid(s.ReasonSerializer, request))

    @action(detail=True, methods=["post"])
    def terminate(self, request, pk=None):
        return self._act(services.agreement_terminate, **_valid(s.ReasonSerializer, request))

    @action(detail=True, methods=["get"])
    def versions(self, request, pk=None):
        agreement, role = self._get()
        self._party_only(role)
        viewer = permissions.user_company(request.user)
        versions = list(selectors.version_list(agreement=agreement))
        # Each version is shown with its diff against the one before it.
        pairs = [(v, versions[i - 1] if i else None) for i, v in enumerate(versions)]
        return self._page(pairs, lambda pair: s.version_data(pair[0], viewer=viewer,
                                                             previous=pair[1]))

    @action(detail=True, methods=["get", "post"])
    def deliveries(self, request, pk=None):
        agreement, role = self._get()
        self._party_only(role)
        viewer = permissions.user_company(request.user)
        if request.method == "POST":
            data = _valid(s.DeliveryInSerializer, request)
            delivery = services.delivery_record(agreement=agreement, user=request.user, **data)
            return Response(s.delivery_data(delivery, viewer=viewer),
                            status=status.HTTP_201_CREATED)
        return self._page(agreement.deliveries.order_by("-date", "-id"),
                          lambda d: s.delivery_data(d, viewer=viewer))


@extend_schema_view(confirm=extend_schema(request=None),
                    dispute=extend_schema(request=s.ReasonSerializer))
class DeliveryViewSet(_Base):
    """Deliveries the other firm confirms or disputes."""

    serializer_class = s.DeliveryOutSerializer

    def get_queryset(self):
        return selectors.delivery_list_for_user(user=self.request.user)

    def _get(self):
        delivery, role = selectors.delivery_get_for_user(user=self.request.user,
                                                         pk=self.kwargs["pk"])
        if delivery is None or role is not Role.PARTY:
            raise NotFound(_("No such delivery."))
        return delivery

    def list(self, request):
        viewer = permissions.user_company(request.user)
        if viewer is None:
            return self._page(self.get_queryset().none(), lambda d: d)
        qs = self.get_queryset().filter(agreement__contact__in=selectors.contact_list_for_company(
            company=viewer).values("pk"))
        return self._page(qs, lambda d: s.delivery_data(d, viewer=viewer))

    def retrieve(self, request, pk=None):
        viewer = permissions.user_company(request.user)
        return Response(s.delivery_data(self._get(), viewer=viewer))

    @action(detail=True, methods=["post"])
    def confirm(self, request, pk=None):
        delivery = services.delivery_confirm(delivery=self._get(), user=request.user)
        return Response(s.delivery_data(delivery, viewer=permissions.user_company(request.user)))

    @action(detail=True, methods=["post"])
    def dispute(self, request, pk=None):
        reason = _valid(s.ReasonSerializer, request)["reason"]
        delivery = services.delivery_dispute(delivery=self._get(), user=request.user,
                                             reason=reason)
        return Response(s.delivery_data(delivery, viewer=permissions.user_company(request.user)))


@extend_schema_view(
    list=extend_schema(parameters=[OpenApiParameter(
        "unread", bool, description=_("Only the notifications not read yet."))]),
    read=extend_schema(request=None, responses=s.NotificationSerializer),
    read_all=extend_schema(request=None, responses=s.MarkedReadSerializer),
)
class NotificationViewSet(_Base):
    """The caller's notification centre: list, mark one or all read."""

    serializer_class = s.NotificationSerializer
    action_query_params = {"list": ("unread",)}
    queryset = Notification.objects.none()  # for the schema; get_queryset scopes to the user

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):
            return self.queryset
        return selectors.notification_list(user=self.request.user)

    def list(self, request):
        unread = request.query_params.get("unread", "").lower() in ("1", "true", "yes")
        qs = selectors.notification_list(user=request.user, unread=unread)
        return self._page(qs, lambda n: s.NotificationSerializer(n).data)

    def retrieve(self, request, pk=None):
        return Response(s.NotificationSerializer(self._get()).data)

    def _get(self):
        notification = self.get_queryset().filter(pk=self.kwargs["pk"]).first()
        if notification is None:
            raise NotFound(_("No such notification."))
        return notification

    @action(detail=True, methods=["post"])
    def read(self, request, pk=None):
        notification = self._get()
        notification_services.notification_mark_read(user=request.user,
                                                     notification_id=notification.pk)
        notification.refresh_from_db()
        return Response(s.NotificationSerializer(notification).data)

    @action(detail=False, methods=["post"], url_path="read-all")
    def read_all(self, request):
        marked = notification_services.notification_mark_read(user=request.user)
        return Response({"marked": marked})


_SEARCH_PARAMS = ("q", "kind", "category", "ewc_chapter", "site", "distance_km")


@extend_schema_view(
    create=extend_schema(request=s.SavedSearchInSerializer,
                         responses={201: s.SavedSearchSerializer}),
    run=extend_schema(parameters=[OpenApiParameter(name, str) for name in _SEARCH_PARAMS],
                      responses={200: dict}),
    new=extend_schema(responses={200: dict}),
)
class SearchViewSet(_Base):
    """Search other firms' active listings, and keep searches for the daily digest."""

    serializer_class = s.SavedSearchSerializer
    queryset = SavedSearch.objects.none()  # for the schema; get_queryset scopes to the firm
    action_query_params = {"run": _SEARCH_PARAMS}
    paginated_actions = ("run", "new")

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):
            return self.queryset
        return selectors.saved_search_list(company=_company(self.request))

    def _get(self) -> SavedSearch:
        search = self.get_queryset().filter(pk=self.kwargs["pk"]).first()
        if search is None:
            raise NotFound(_("No such saved search."))
        return search

    def list(self, request):
        return self._page(self.get_queryset(), lambda x: s.SavedSearchSerializer(x).data)

    def retrieve(self, request, pk=None):
        return Response(s.SavedSearchSerializer(self._get()).data)

    def create(self, request):
        company = _company(request)
        data = dict(_valid(s.SavedSearchInSerializer, request))
        search = search_services.saved_search_create(
            company=company, user=request.user, name=data.pop("name"), params=data)
        return Response(s.SavedSearchSerializer(search).data, status=status.HTTP_201_CREATED)

    def destroy(self, request, pk=None):
        search_services.saved_search_delete(search=self._get(), company=_company(request))
        return Response(status=status.HTTP_204_NO_CONTENT)

    @action(detail=False, methods=["get"])
    def run(self, request):
        """The criteria are the portal's search form's, validated by it."""
        company = _company(request)
        form = SearchForm({k: v for k, v in request.query_params.items()
                           if k in _SEARCH_PARAMS}, company=company)
        if not form.is_valid():
            raise ValidationError({field: [error["message"] for error in errors]
                                   for field, errors in form.errors.get_json_data().items()})
        params = {k: v for k, v in form.cleaned_data.items() if v not in (None, "")}
        results = selectors.listing_search(company=company, params=params)
        return self._page(results, lambda r: s.search_result_data(r, viewer=company))

    @action(detail=True, methods=["get"])
    def new(self, request, pk=None):
        company = _company(request)
        results = selectors.saved_search_new(search=self._get())
        return self._page(results, lambda r: s.search_result_data(r, viewer=company))
