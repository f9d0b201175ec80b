"""Shapes of the agency's API: the review queue, decisions, notes, assignments,
introductions and bulk decisions. Staff see both firms (their region's firms are theirs to
facilitate), figures at the queue page's precision (exact values stay internal, DESIGN.md
"Disclosure"); never messages or prices."""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from agency import selectors
from agency.models import Assignment, Decision, Introduction, ReviewNote
from agency.selectors import SORTS, STATUSES, QueueFilters
from matching.models import Listing, Match


def _person(user) -> dict | None:
    if user is None:
        return None
    return {"id": user.pk, "name": user.get_full_name() or user.email}


class PersonSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    name = serializers.CharField()


class QueueQuerySerializer(serializers.Serializer):
    """The queue's query parameters (the same filters as the page)."""

    agency = serializers.IntegerField(required=False, min_value=1,
                                      help_text=_("Which of your agencies (default: the first)."))
    q = serializers.CharField(required=False, max_length=200,
                              help_text=_("Words in either title or firm name."))
    category = serializers.CharField(required=False, max_length=40,
                                     help_text=_("Material category of either side."))
    ewc_chapter = serializers.RegexField(r"^\d{2}$", required=False,
                                         help_text=_("EWC chapter of either side, two digits."))
    min_score = serializers.FloatField(required=False, min_value=0, max_value=1)
    max_distance_km = serializers.FloatField(required=False, min_value=0)
    status = serializers.ChoiceField(choices=STATUSES, required=False)
    sector = serializers.RegexField(r"^\d{2}$", required=False,
                                    help_text=_("NACE division of either firm, two digits."))
    assignee = serializers.RegexField(r"^(\d+|none)$", required=False,
                                      help_text=_("A staff member's id, or `none`."))
    sort = serializers.ChoiceField(choices=SORTS, required=False,
                                   help_text=_("`score` (default) or `impact` (estimated "
                                               "avoided CO2e per year), largest first."))

    def filters(self) -> QueueFilters:
        data = self.validated_data
        return QueueFilters(
            search=data.get("q", "").strip(), category=data.get("category", ""),
            ewc_chapter=data.get("ewc_chapter", ""), min_score=data.get("min_score"),
            max_distance_km=data.get("max_distance_km"), status=data.get("status", ""),
            sector=data.get("sector", ""), assignee=data.get("assignee"),
            sort=data.get("sort", "score"))


class PairListingSerializer(serializers.ModelSerializer):
    company = serializers.CharField(source="company.name")
    nace_code = serializers.CharField(source="company.nace_code")
    site = serializers.SerializerMethodField()

    class Meta:
        model = Listing
        fields = ["id", "kind", "title", "category", "ewc_code", "amount_per_year",
                  "canonical_unit", "company", "nace_code", "site"]

    @extend_schema_field({"type": "object", "properties": {
        "name": {"type": "string"}, "city": {"type": "string"},
        "latitude": {"type": "number"}, "longitude": {"type": "number"}}})
    def get_site(self, listing: Listing) -> dict:
        site = listing.site
        return {"name": site.name, "city": site.city, "latitude": site.latitude,
                "longitude": site.longitude}


class DecisionSerializer(serializers.ModelSerializer):
    note = serializers.CharField(source="text")
    decided_by = serializers.SerializerMethodField()

    class Meta:
        model = Decision
        fields = ["id", "offer", "want", "decision", "reason", "note", "decided_by",
                  "decided_at"]

    @extend_schema_field(PersonSerializer(allow_null=True))
    def get_decided_by(self, decision: Decision) -> dict | None:
        return _person(decision.decided_by)


class QueueMatchSerializer(serializers.ModelSerializer):
    """A match of the queue with the caller's agency's review state."""

    offer = PairListingSerializer()
    want = PairListingSerializer()
    score = serializers.SerializerMethodField(
        help_text=_("The match's score, 0 to 1, to two decimals (as the queue shows it)."))
    distance_km = serializers.SerializerMethodField(
        help_text=_("The distance between the two sites, to the whole kilometre."))
    components = serializers.SerializerMethodField()
    status = serializers.SerializerMethodField()
    current_decision = serializers.SerializerMethodField()
    assignee = serializers.SerializerMethodField()
    estimated_impact_t = serializers.SerializerMethodField(
        help_text=_("Estimated avoided CO2e per year (t): the smaller side's yearly amount × "
                    "the avoided-CO2e factor of its material; null when unknown."))

    class Meta:
        model = Match
        fields = ["id", "offer", "want", "score", "distance_km", "components", "explanation",
                  "status", "current_decision", "assignee", "estimated_impact_t",
                  "updated_at"]

    # Exact scores and distances (to the metre) stay internal: the API rounds as the page.
    @extend_schema_field(serializers.FloatField())
    def get_score(self, match: Match) -> float:
        return round(match.score, 2)

    @extend_schema_field(serializers.FloatField())
    def get_distance_km(self, match: Match) -> float:
        return float(round(match.distance_km))

    @extend_schema_field(serializers.JSONField())
    def get_components(self, match: Match):
        values = match.components
        if isinstance(values, dict):
            return {k: round(v, 2) if isinstance(v, float) else v for k, v in values.items()}
        if isinstance(values, list):
            return [round(v, 2) if isinstance(v, float) else v for v in values]
        return values

    @extend_schema_field(serializers.ChoiceField(choices=STATUSES))
    def get_status(self, match: Match) -> str:
        return selectors.status_of(match)

    @extend_schema_field(DecisionSerializer(allow_null=True))
    def get_current_decision(self, match: Match) -> dict | None:
        current = self.context["current"].get((match.offer_id, match.want_id))
        return DecisionSerializer(current).data if current is not None else None

    @extend_schema_field(PersonSerializer(allow_null=True))
    def get_assignee(self, match: Match) -> dict | None:
        return _person(self.context["staff"].get(getattr(match, "assignee_id", None)))

    @extend_schema_field(serializers.FloatField(allow_null=True))
    def get_estimated_impact_t(self, match: Match) -> float | None:
        value = selectors.estimated_impact_t(match.offer, match.want)
        return round(value, 3) if value is not None else None


class DecisionInSerializer(serializers.Serializer):
    decision = serializers.ChoiceField(choices=Decision.Verdict.choices)
    reason = serializers.ChoiceField(choices=Decision.Reason.choices, required=False,
                                     allow_blank=True,
                                     help_text=_("Required to reject."))
    note = serializers.CharField(required=False, allow_blank=True, max_length=1000)


class NoteInSerializer(serializers.Serializer):
    text = serializers.CharField(max_length=2000)


class NoteSerializer(serializers.ModelSerializer):
    author = serializers.SerializerMethodField()

    class Meta:
        model = ReviewNote
        fields = ["id", "offer", "want", "text", "author", "created_at"]

    @extend_schema_field(PersonSerializer(allow_null=True))
    def get_author(self, note: ReviewNote) -> dict | None:
        return _person(note.author)


class AssignInSerializer(serializers.Serializer):
    assigned_to = serializers.IntegerField(
        allow_null=True, min_value=1,
        help_text=_("A member of the agency's staff, or null for nobody."))


class AssignmentSerializer(serializers.ModelSerializer):
    assigned_to = serializers.SerializerMethodField()
    assigned_by = serializers.SerializerMethodField()

    class Meta:
        model = Assignment
        fields = ["id", "offer", "want", "assigned_to", "assigned_by", "assigned_at"]

    @extend_schema_field(PersonSerializer(allow_null=True))
    def get_assigned_to(self, row: Assignment) -> dict | None:
        return _person(row.assigned_to)

    @extend_schema_field(PersonSerializer(allow_null=True))
    def get_assigned_by(self, row: Assignment) -> dict | None:
        return _person(row.assigned_by)


class IntroduceInSerializer(serializers.Serializer):
    message = serializers.CharField(required=False, allow_blank=True, max_length=2000)


class IntroductionSerializer(serializers.ModelSerializer):
    agency = serializers.CharField(source="agency.name")
    contact = serializers.IntegerField(source="contact_id", allow_null=True,
                                       help_text=_("The contact both firms are asked to "
                                                   "accept."))

    class Meta:
        model = Introduction
        fields = ["id", "offer", "want", "agency", "message", "contact", "introduced_at"]


class AgencyBulkItemSerializer(serializers.Serializer):
    match = serializers.IntegerField(min_value=1, help_text=_("A current match id."))
    decision = serializers.ChoiceField(choices=Decision.Verdict.choices)
    reason = serializers.ChoiceField(choices=Decision.Reason.choices, required=False,
                                     allow_blank=True)
    note = serializers.CharField(required=False, allow_blank=True, max_length=1000)


class AgencyBulkInSerializer(serializers.Serializer):
    items = AgencyBulkItemSerializer(many=True, min_length=1, max_length=500)


class AgencyBulkResultSerializer(serializers.Serializer):
    index = serializers.IntegerField()
    match = serializers.IntegerField()
    ok = serializers.BooleanField()
    decision = DecisionSerializer(required=False)
    errors = serializers.DictField(child=serializers.ListField(child=serializers.CharField()),
                                   required=False)


class AgencyBulkOutSerializer(serializers.Serializer):
    stored = serializers.IntegerField()
    failed = serializers.IntegerField()
    results = AgencyBulkResultSerializer(many=True)
