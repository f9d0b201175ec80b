"""The agency's API: the review queue and the actions on a pair, for agency staff.

Same rules as the pages: staff of an agency whose region holds either side of a match see
it and act on it for their own agency; anyone else gets 404 (the match might not exist).
A ``{id}`` is a current match id, resolved to its (offer, want) pair: what is stored
names the pair, so it outlives the rematch that changes the id. API keys (a company's)
cannot use these endpoints: a person has to.
"""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import status, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import NotFound, PermissionDenied
from rest_framework.permissions import BasePermission, IsAuthenticated
from rest_framework.response import Response

from accounts.models import Agency
from agency import selectors, services
from agency.api import serializers as s
from matching.api.serializers import ErrorSerializer
from matching.models import Match
from symbiosis.api.pagination import PageNumberPagination
from symbiosis.api.params import KnownQueryParamsMixin
from symbiosis.api.scopes import is_api_key

ERRORS = {
    400: OpenApiResponse(ErrorSerializer, description=_(
        "Invalid input (see error.fields), or an unknown query parameter.")),
    401: OpenApiResponse(ErrorSerializer, description=_("Not authenticated.")),
    403: OpenApiResponse(ErrorSerializer, description=_("API keys cannot use this.")),
    404: OpenApiResponse(ErrorSerializer, description=_(
        "Not agency staff, or no such match in your agency's regions.")),
}
AGENCY_PARAM = OpenApiParameter("agency", int, description=_(
    "Which of your agencies to act for (default: the first)."))


def _errors(*codes: int) -> dict:
    return {code: ERRORS[code] for code in sorted({400, 401, 403, 404, *codes})}


class PersonOnly(BasePermission):
    """A company API key is refused: agency work is done by a person."""

    def has_permission(self, request, view) -> bool:
        if is_api_key(request):
            raise PermissionDenied(_("API keys cannot do this; a person has to."),
                                   code="scope")
        return True


class _AgencyBase(KnownQueryParamsMixin, viewsets.GenericViewSet):
    permission_classes = [IsAuthenticated, PersonOnly]
    pagination_class = PageNumberPagination

    def accepted_query_params(self) -> set[str]:
        return super().accepted_query_params() | {"agency"}

    @property
    def agency(self) -> Agency:
        cached = getattr(self, "_agency", None)
        if cached is None:
            cached = selectors.agency_for_staff(user=self.request.user,
                                                agency_id=self.request.query_params.get(
                                                    "agency"))
            if cached is None:
                raise NotFound(_("Not found."))
            self._agency = cached
        return cached

    def _valid(self, serializer_class, data) -> dict:
        serializer = serializer_class(data=data)
        serializer.is_valid(raise_exception=True)
        return serializer.validated_data


QUEUE_PARAMS = tuple(name for name in s.QueueQuerySerializer().fields if name != "agency")


class AgencyMatchViewSet(_AgencyBase):
    """The review queue: the region's matches with the agency's own review state."""

    serializer_class = s.QueueMatchSerializer
    action_query_params = {"list": QUEUE_PARAMS}

    def get_queryset(self):  # for the schema; reads go through the selectors
        if getattr(self, "swagger_fake_view", False):
            return Match.objects.none()
        return selectors.review_queue(agency=self.agency)

    def _context(self, matches) -> dict:
        staff = {u.pk: u for u in selectors.staff_list_for_agency(agency=self.agency)}
        current = selectors.decision_current_map(
            agency=self.agency, pairs=[(m.offer_id, m.want_id) for m in matches])
        return {"request": self.request, "staff": staff, "current": current}

    def _match(self, pk):
        match = selectors.match_get_for_agency(agency=self.agency, pk=pk)
        if match is None:
            raise NotFound(_("No such match in your agency's regions."))
        return match

    def _pair(self, pk) -> dict:
        match = self._match(pk)
        return {"agency": self.agency, "user": self.request.user, "offer": match.offer,
                "want": match.want}

    @extend_schema(
        summary=_("The review queue"),
        description=_("Matches with a site in one of the agency's regions, with its review "
                      "status (undecided, approved, rejected, held, introduced), current "
                      "decision, assignee and estimated impact; best score first, or by "
                      "estimated impact with `sort=impact`."),
        parameters=[s.QueueQuerySerializer],
        responses={200: s.QueueMatchSerializer(many=True), **_errors()},
    )
    def list(self, request):
        query = s.QueueQuerySerializer(data=request.query_params)
        query.is_valid(raise_exception=True)
        ordered = selectors.review_queue_ordered(agency=self.agency, filters=query.filters())
        page = self.paginate_queryset(ordered)
        data = s.QueueMatchSerializer(page, many=True, context=self._context(page)).data
        return self.get_paginated_response(data)

    @extend_schema(summary=_("One match of the queue"), parameters=[AGENCY_PARAM],
                   responses={200: s.QueueMatchSerializer, **_errors()})
    def retrieve(self, request, pk=None):
        match = self._match(pk)
        return Response(s.QueueMatchSerializer(match, context=self._context([match])).data)

    @extend_schema(summary=_("Decide on a match"), description=_(
        "Stores the agency's decision on the match's pair with who and when: `approve`, "
        "`reject` (a `reason` from the list is required) or `hold`. Advice to the firms, "
        "not a gate."), parameters=[AGENCY_PARAM], request=s.DecisionInSerializer,
        responses={201: s.DecisionSerializer, **_errors()})
    @action(detail=True, methods=["post"])
    def decision(self, request, pk=None):
        data = self._valid(s.DecisionInSerializer, request.data)
        made = services.decision_record(**self._pair(pk), decision=data["decision"],
                                        reason=data.get("reason", ""),
                                        text=data.get("note", ""))
        return Response(s.DecisionSerializer(made).data, status=status.HTTP_201_CREATED)

    @extend_schema(summary=_("Add a note"), parameters=[AGENCY_PARAM],
                   request=s.NoteInSerializer, responses={201: s.NoteSerializer, **_errors()})
    @action(detail=True, methods=["post"])
    def note(self, request, pk=None):
        data = self._valid(s.NoteInSerializer, request.data)
        made = services.review_note_add(**self._pair(pk), text=data["text"])
        return Response(s.NoteSerializer(made).data, status=status.HTTP_201_CREATED)

    @extend_schema(summary=_("Assign to a colleague"), parameters=[AGENCY_PARAM],
                   request=s.AssignInSerializer,
                   responses={201: s.AssignmentSerializer, **_errors()})
    @action(detail=True, methods=["post"])
    def assign(self, request, pk=None):
        data = self._valid(s.AssignInSerializer, request.data)
        pair = self._pair(pk)
        person = None
        if data["assigned_to"] is not None:
            person = selectors.staff_get_for_agency(agency=self.agency,
                                                    user_id=data["assigned_to"])
            if person is None:
                from rest_framework.exceptions import ValidationError

                raise ValidationError({"assigned_to": [
                    _("Choose a member of the agency's staff.")]})
        made = services.review_assign(**pair, assigned_to=person)
        return Response(s.AssignmentSerializer(made).data, status=status.HTTP_201_CREATED)

    @extend_schema(summary=_("Introduce the two firms"), description=_(
        "Both firms receive a contact request naming the agency; both must accept, and "
        "their names are revealed to each other once both have."),
        parameters=[AGENCY_PARAM], request=s.IntroduceInSerializer,
        responses={201: s.IntroductionSerializer, **_errors()})
    @action(detail=True, methods=["post"])
    def introduce(self, request, pk=None):
        data = self._valid(s.IntroduceInSerializer, request.data)
        made = services.introduction_create(**self._pair(pk),
                                            message=data.get("message", ""))
        return Response(s.IntroductionSerializer(made).data, status=status.HTTP_201_CREATED)


class AgencyDecisionViewSet(_AgencyBase):
    """Decisions on many matches at once."""

    serializer_class = s.AgencyBulkOutSerializer

    @extend_schema(summary=_("Decide on many matches"), description=_(
        "A list of decisions (`match`, `decision`, `reason`, `note`), each stored or refused "
        "on its own; the answer gives one result per item, in order."),
        parameters=[AGENCY_PARAM], request=s.AgencyBulkInSerializer,
        responses={200: s.AgencyBulkOutSerializer, **_errors()})
    @action(detail=False, methods=["post"])
    def bulk(self, request):
        data = self._valid(s.AgencyBulkInSerializer, request.data)
        agency = self.agency
        items = []
        for item in data["items"]:
            match = selectors.match_get_for_agency(agency=agency, pk=item["match"])
            items.append({**item, "offer": match.offer if match else None,
                          "want": match.want if match else None})
        results = services.decision_bulk(agency=agency, user=request.user, items=items)
        out = []
        for result in results:
            row = {"index": result.index, "match": result.match, "ok": result.ok}
            if result.ok:
                row["decision"] = s.DecisionSerializer(result.decision).data
            else:
                row["errors"] = result.errors
            out.append(row)
        stored = sum(r.ok for r in results)
        return Response({"stored": stored, "failed": len(results) - stored, "results": out})
