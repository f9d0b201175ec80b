"""Serializers of API v1: they check the shape of input and shape the output.

The rules on a listing's fields are ``matching.rules``' (shared with the portal's forms and
the services). Where input and output differ there are two serializers: ``…InputSerializer``
(or a verb: ``DismissSerializer``) for requests, the plain name for responses.
"""

from __future__ import annotations

from typing import Any

from django.contrib.auth import authenticate
from django.core.exceptions import ValidationError as DjangoValidationError
from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import extend_schema_field
from rest_framework import exceptions, serializers

from accounts.models import Site
from accounts.selectors import site_list_for_company
from matching import catalogue, reviews, rules, suggestions
from matching.models import Listing, Match, MatchDismissal
from matching.quality import QUALITY_FIELDS, clean_certificates
from matching.selectors import CounterpartView, counterpart_for, counterpart_list

# --- auth -----------------------------------------------------------------------------


class TokenObtainSerializer(serializers.Serializer):
    """E-mail and password in, the user out (the user model logs in by e-mail)."""

    email = serializers.EmailField()
    password = serializers.CharField(
        write_only=True, trim_whitespace=False, style={"input_type": "password"}
    )

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        user = authenticate(
            request=self.context.get("request"),
            email=attrs["email"].strip().lower(),
            password=attrs["password"],
        )
        if user is None and getattr(self.context.get("request"), "axes_locked_out", False):
            # django-axes refused the attempt: this account or address tried too often.
            raise exceptions.Throttled(
                detail=_("Too many failed log-ins; try again later.")
            )
        if user is None:
            # One message for unknown e-mail and wrong password: no account probing.
            raise serializers.ValidationError(
                _("Unable to log in with the e-mail address and password given."),
                code="authorization",
            )
        attrs["user"] = user
        return attrs


class TokenSerializer(serializers.Serializer):
    token = serializers.CharField(
        read_only=True, help_text=_("Send it as the header `Authorization: Token <token>`.")
    )


# --- sites ----------------------------------------------------------------------------


class SiteSerializer(serializers.ModelSerializer):
    """A site of the caller's company; placed from town and country unless lat/lon are given."""

    country = serializers.RegexField(
        r"^[A-Za-z]{2}$",
        help_text=_("ISO 3166 two-letter country code, e.g. FI."),
        error_messages={"invalid": _("Use the two-letter ISO country code, e.g. FI.")},
    )
    latitude = serializers.FloatField(
        required=False, allow_null=True, min_value=-90, max_value=90,
        help_text=_("Optional; found from the town when left out (with longitude)."),
    )
    longitude = serializers.FloatField(
        required=False, allow_null=True, min_value=-180, max_value=180,
        help_text=_("Optional; give it together with latitude."),
    )

    class Meta:
        model = Site
        fields = ["id", "name", "address", "city", "country", "latitude", "longitude",
                  "created_at"]
        read_only_fields = ["id", "created_at"]

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        has_lat = attrs.get("latitude") is not None
        has_lon = attrs.get("longitude") is not None
        if has_lat != has_lon:
            missing = "longitude" if has_lat else "latitude"
            raise serializers.ValidationError(
                {missing: _("Give both latitude and longitude, or neither.")}
            )
        return attrs


class CompanySiteField(serializers.PrimaryKeyRelatedField):
    """A site id that must be one of the caller's company's sites."""

    default_error_messages = {
        "does_not_exist": _("Choose one of your company's sites."),
        "incorrect_type": _("Give the id of one of your company's sites."),
    }

    def __init__(self, **kwargs):
        kwargs.setdefault("queryset", Site.objects.all())
        super().__init__(**kwargs)

    def get_queryset(self):
        company = self.context.get("company")
        if company is None:
            return Site.objects.none()
        return site_list_for_company(company=company)

    def to_internal_value(self, data):
        # A bulk submission looks the company's sites up once (context["sites"], by id)
        # rather than once per item.
        sites = self.context.get("sites")
        if sites is None:
            return super().to_internal_value(data)
        if isinstance(data, bool):
            self.fail("incorrect_type", data_type=type(data).__name__)
        try:
            pk = int(str(data))
        except ValueError:
            self.fail("incorrect_type", data_type=type(data).__name__)
        if pk not in sites:
            self.fail("does_not_exist", pk_value=data)
        return sites[pk]


# --- listings -------------------------------------------------------------------------


def _field_errors(exc: DjangoValidationError, field: str) -> serializers.ValidationError:
    """A rule's error about ``field`` as DRF wants it from a ``validate_<field>`` method."""
    return serializers.ValidationError(exc.error_dict[field][0].messages)


LISTING_INPUT_FIELDS = [
    "kind", "status", "site", "title", "description", "category", "ewc_code", "quantity",
    "unit", "frequency", "density_t_per_m3", "available_from", "available_until", "hazardous",
    "accepts_hazardous", "physical_state", "temperature_c", "pressure_bar", "max_distance_km",
    "external_id", *QUALITY_FIELDS,
]


class ListingInputSerializer(serializers.ModelSerializer):
    """What a client sends to create or change an offer or a want."""

    site = CompanySiteField(help_text=_("Id of one of your company's sites."))
    ewc_code = serializers.CharField(
        max_length=20, required=False, allow_blank=True,
        help_text=_("European List of Waste entry: '10 01 02' or '100102'. Returned as digits."),
    )
    unit = serializers.CharField(
        max_length=20, required=False, allow_blank=True,
        help_text=_("A unit (t, kg, m3, l, MWh, kWh, GJ, MW, kW, unit) with `frequency`, or a "
                    "rate that sets the frequency: t/month, t/week, m3/day, MWh/year, kg/h. "
                    "Returned as the unit code, the rate's period in `frequency`."),
    )

    class Meta:
        model = Listing
        fields = LISTING_INPUT_FIELDS

    def _current(self, attrs: dict[str, Any], name: str) -> Any:
        """The value a field will have after this write (input, else the stored value)."""
        if name in attrs:
            return attrs[name]
        return getattr(self.instance, name, None)

    def validate_ewc_code(self, value: str) -> str:
        try:
            return rules.clean_ewc_code(value)
        except DjangoValidationError as exc:
            raise _field_errors(exc, "ewc_code") from None

    def validate_certificates(self, value: str) -> str:
        try:
            return clean_certificates(value)
        except DjangoValidationError as exc:
            raise serializers.ValidationError(exc.messages) from None

    def validate_external_id(self, value: str) -> str:
        company = self.context.get("company")
        if self.context.get("external_ids_checked"):
            # The bulk view looked the batch's ids up at once: whether each is known
            # decides create or update, so only the format is left to check.
            try:
                rules.validate_external_id_format(external_id=value)
            except DjangoValidationError as exc:
                raise _field_errors(exc, "external_id") from None
        elif company is not None:
            try:
                rules.validate_external_id(
                    company=company, external_id=value,
                    exclude_pk=self.instance.pk if self.instance is not None else None,
                )
            except DjangoValidationError as exc:
                raise _field_errors(exc, "external_id") from None
        return value

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        if attrs.get("unit"):
            # A rate ('t/month') becomes unit and frequency here, so the output shows them.
            attrs["unit"], frequency = rules.clean_unit(
                unit=attrs["unit"], frequency=attrs.get("frequency")
            )
            if frequency:
                attrs["frequency"] = frequency
        # DRF turns the rule's Django ValidationError into a 400 on available_until.
        rules.validate_availability_window(
            available_from=self._current(attrs, "available_from"),
            available_until=self._current(attrs, "available_until"),
        )
        return attrs


class ListingSerializer(serializers.ModelSerializer):
    """An offer or a want of the caller's company, as the API returns it."""

    site = serializers.IntegerField(source="site_id", help_text=_("Id of the listing's site."))
    ewc_display = serializers.SerializerMethodField(
        help_text=_("The EWC code as printed in the List of Waste, starred when hazardous.")
    )
    match_count = serializers.IntegerField(
        help_text=_("Matches you can see (dismissed ones are not counted).")
    )
    # Declared so the schema says what the rows hold: both may be empty (not given).
    unit = serializers.ChoiceField(choices=Listing.Unit.choices, allow_blank=True,
                                   read_only=True)
    physical_state = serializers.ChoiceField(choices=Listing.PhysicalState.choices,
                                             allow_blank=True, read_only=True)

    class Meta:
        model = Listing
        fields = [
            "id", *LISTING_INPUT_FIELDS[:7], "ewc_display", *LISTING_INPUT_FIELDS[7:],
            "amount_per_year", "canonical_unit", "indicative", "match_count", "created_at",
            "updated_at",
        ]
        read_only_fields = fields
        extra_kwargs = {
            "amount_per_year": {
                "help_text": _("Quantity per year in canonical_unit (derived from quantity, "
                               "unit and frequency).")
            },
            "canonical_unit": {"help_text": _("t, m3, MWh or unit.")},
        }

    def get_ewc_display(self, listing: Listing) -> str:
        return catalogue.ewc_display(listing.ewc_code)


class CounterpartSerializer(serializers.Serializer):
    """The other side of a match, anonymised: its sector and area, never the firm (unless
    its owner made the listing public)."""

    listing_id = serializers.IntegerField()
    kind = serializers.ChoiceField(choices=Listing.Kind.choices)
    title = serializers.CharField()
    description = serializers.CharField()
    category = serializers.CharField(help_text=_("Material category name, or empty."))
    ewc_code = serializers.CharField(help_text=_("EWC code as displayed, or empty."))
    quantity = serializers.CharField(
        help_text=_("Quantity, unit and frequency (exact or banded, as the owner chose)."))
    sector = serializers.CharField(help_text=_("NACE sector of the firm, or empty."))
    area = serializers.CharField(
        help_text=_("The town, or the region where few firms of the sector are in it."))
    company = serializers.CharField(
        allow_null=True, help_text=_("The firm's name when its listing is public."))
    verified = serializers.BooleanField(help_text=_("A regional agency verified the firm."))
    verified_by = serializers.CharField(
        allow_null=True, help_text=_("The verifying agency, named where the firm is."))
    indicative = serializers.BooleanField(
        help_text=_("An estimate an agency made from a public register, not yet confirmed "
                    "by the firm."))


class MatchSerializer(serializers.ModelSerializer):
    """A match as one party sees it: its own listing id and the anonymised counterpart.

    Figures are coarsened as for the pages: a distance band between sites snapped to a
    2 km grid, score and components rounded to 0.05, the explanation with both.
    """

    listing = serializers.SerializerMethodField(help_text=_("Your listing in this match."))
    counterpart = serializers.SerializerMethodField()
    score = serializers.SerializerMethodField(help_text=_("Match score, rounded to 0.05."))
    distance_band_km = serializers.SerializerMethodField(
        help_text=_("[low, high] km: 5 km bands below 50 km, 10 km above."))
    components = serializers.SerializerMethodField(
        help_text=_("Score components, each between 0 and 1, rounded to 0.05."))
    explanation = serializers.SerializerMethodField()
    reviewed_by = serializers.SerializerMethodField(
        help_text=_("Regional agencies that reviewed this pair and think it worth pursuing "
                    "(advice, not a requirement); empty when none did."))

    class Meta:
        model = Match
        fields = [
            "id", "score", "distance_band_km", "components", "explanation", "model_version",
            "ranker_version", "listing", "counterpart", "reviewed_by", "updated_at",
        ]
        read_only_fields = fields

    def _view(self, match: Match) -> CounterpartView:
        cached = getattr(match, "_api_counterpart", None)
        if cached is None:
            # A whole page at once when the view handed it over; else this one match.
            parent = self.parent
            page = (list(parent.instance) if isinstance(parent, serializers.ListSerializer)
                     and parent.instance is not None else [match])
            views = counterpart_list(matches=page, viewer=self.context["company"])
            for item in page:
                item._api_counterpart = views.get(item.pk)
            cached = match._api_counterpart
            if cached is None:
                cached = counterpart_for(match=match, viewer=self.context["company"])
                match._api_counterpart = cached
        return cached

    def get_listing(self, match: Match) -> int:
        other = self._view(match).listing_id
        return match.offer_id if other == match.want_id else match.want_id

    @extend_schema_field(serializers.FloatField(allow_null=True))
    def get_score(self, match: Match) -> float | None:
        return self._view(match).score

    @extend_schema_field(serializers.ListField(child=serializers.IntegerField(),
                                               min_length=2, max_length=2))
    def get_distance_band_km(self, match: Match) -> list[int]:
        return list(self._view(match).band)

    @extend_schema_field(serializers.DictField(child=serializers.FloatField()))
    def get_components(self, match: Match) -> dict[str, float]:
        return self._view(match).components

    @extend_schema_field(serializers.CharField())
    def get_explanation(self, match: Match) -> str:
        return self._view(match).explanation

    @extend_schema_field(serializers.ListField(child=serializers.CharField()))
    def get_reviewed_by(self, match: Match) -> list[str]:
        cached = getattr(match, "reviewed_by", None)
        if cached is None:
            parent = self.parent
            page = (list(parent.instance) if isinstance(parent, serializers.ListSerializer)
                    and parent.instance is not None else [match])
            reviews.annotate_reviews(page)
            cached = getattr(match, "reviewed_by", None)
            if cached is None:  # not among the page's objects
                reviews.annotate_reviews([match])
                cached = match.reviewed_by
        return list(cached)

    @extend_schema_field(CounterpartSerializer)
    def get_counterpart(self, match: Match) -> dict[str, Any]:
        view = self._view(match)
        data = CounterpartSerializer(view).data
        data["company"] = view.company or None
        data["verified_by"] = view.verified_by or None
        return data


class DismissSerializer(serializers.Serializer):
    reason = serializers.ChoiceField(choices=MatchDismissal.Reason.choices)
    note = serializers.CharField(max_length=500, required=False, allow_blank=True, default="")


class DismissalSerializer(serializers.ModelSerializer):
    """A recorded dismissal: the pair stays hidden from your company."""

    offer = serializers.IntegerField(source="offer_id", read_only=True)
    want = serializers.IntegerField(source="want_id", read_only=True)

    class Meta:
        model = MatchDismissal
        fields = ["offer", "want", "reason", "note", "created_at"]
        read_only_fields = fields


# --- reference data -------------------------------------------------------------------


class EwcEntrySerializer(serializers.Serializer):
    """One entry of the European List of Waste."""

    code = serializers.CharField(help_text=_("Six digits, e.g. 100102."))
    display = serializers.CharField(
        help_text=_("As printed, e.g. 10 01 02 (starred if hazardous).")
    )
    description = serializers.CharField()
    hazardous = serializers.BooleanField()
    mirror = serializers.BooleanField(
        help_text=_("One side of a mirror pair: hazardous or not depending on the content.")
    )
    mirror_counterparts = serializers.ListField(child=serializers.CharField())
    chapter = serializers.CharField(help_text=_("Title of the chapter."))
    sub_chapter = serializers.CharField(help_text=_("Title of the sub-chapter."))


class EwcSuggestQuerySerializer(serializers.Serializer):
    """The query string of a suggestion request."""

    text = serializers.CharField(
        max_length=suggestions.MAX_TEXT_LENGTH,
        help_text=_("What the firm typed: a listing's title and description."),
    )
    k = serializers.IntegerField(
        min_value=1, max_value=suggestions.MAX_SUGGESTIONS, default=3,
        help_text=_("How many codes to suggest (default 3)."),
    )
    nace = serializers.RegexField(
        r"^\d{2}(\.\d{1,2})?$", required=False, default="", allow_blank=True,
        help_text=_(
            "The producing company's NACE Rev. 2 sector (23.51, 23.5 or 23): the source "
            "decides the List of Waste chapter."
        ),
    )


class EwcSuggestionWhySerializer(serializers.Serializer):
    """What led to a suggestion."""

    words = serializers.ListField(
        child=serializers.CharField(), help_text=_("The text's words that weigh most for it.")
    )
    chapter_rule = serializers.CharField(
        help_text=_("The List of Waste chapter rule applied (source, 13-15, 16, 99, packaging).")
    )
    hazard_signal = serializers.CharField(
        help_text=_("The hazard signal found in the text, or empty.")
    )


class EwcSuggestionSerializer(serializers.Serializer):
    """A suggested List of Waste entry; the firm confirms it by saving the listing."""

    code = serializers.CharField(help_text=_("Six digits, e.g. 100102."))
    display = serializers.CharField(
        help_text=_("As printed, e.g. 10 01 02 (starred if hazardous).")
    )
    description = serializers.CharField()
    sub_chapter = serializers.CharField(help_text=_("Title of the sub-chapter."))
    score = serializers.FloatField(
        help_text=_("The model's relative confidence, 0–1 (not a calibrated probability).")
    )
    hazardous = serializers.BooleanField()
    mirror = serializers.BooleanField(
        help_text=_("One side of a mirror pair: hazardous or not depending on the content.")
    )
    mirror_counterparts = serializers.ListField(child=serializers.CharField())
    likely_hazardous = serializers.ChoiceField(
        choices=["yes", "depends", "no"],
        help_text=_("yes: absolute hazardous entry; depends: mirror entry, you decide; no."),
    )
    hazard_hint = serializers.CharField(help_text=_("likely_hazardous in words."))
    mirror_partner = serializers.CharField(
        help_text=_("The other side of the mirror pair shown with this entry, or empty.")
    )
    mirror_question = serializers.CharField(
        help_text=_("The deciding question when this entry is shown with its mirror partner.")
    )
    why = EwcSuggestionWhySerializer()


class EwcSuggestResponseSerializer(serializers.Serializer):
    text = serializers.CharField()
    suggestions = EwcSuggestionSerializer(many=True)
    not_waste = serializers.CharField(
        help_text=_(
            "Why no code is suggested (heat, steam, water and CO2 flows are not wastes), "
            "or empty."
        )
    )
    mirror_question = serializers.CharField(
        help_text=_(
            "When the first two suggestions form a mirror pair: the question that decides "
            "between them (does it contain dangerous substances?), or empty."
        )
    )
    source = serializers.ListField(
        child=serializers.CharField(),
        help_text=_("Who produced the waste, as read from the sector and the text."),
    )
    hazard_signal = serializers.CharField(
        help_text=_("Hazard signals found in the text (named constituents, test results).")
    )


class CategorySerializer(serializers.Serializer):
    """A material category (a two-level tree: ``parent`` is empty at the top)."""

    slug = serializers.CharField()
    name = serializers.CharField()
    parent = serializers.CharField(allow_blank=True)


# A field's errors: its messages, or for nested input the same by key (an object) or by
# position (a list of objects, one per item, empty where the item is valid).
FIELD_ERRORS_SCHEMA = {
    "anyOf": [
        {"type": "array", "items": {"type": "string"}},
        {"type": "object", "additionalProperties": True},
        {"type": "array", "items": {"type": "object", "additionalProperties": True}},
    ],
}


@extend_schema_field(FIELD_ERRORS_SCHEMA)
class FieldErrorsField(serializers.JSONField):
    pass


class ErrorBodySerializer(serializers.Serializer):
    status = serializers.IntegerField()
    code = serializers.CharField(help_text=_("invalid, not_found, not_authenticated, …"))
    message = serializers.CharField()
    fields = serializers.DictField(
        child=FieldErrorsField(),
        help_text=_("Field name → messages (non_field_errors for the whole object); nested "
                    "input nests them: {\"listings\": {\"0\": [\"…\"]}}."),
    )


class ErrorSerializer(serializers.Serializer):
    """Every error of the API has this shape."""

    error = ErrorBodySerializer()


# --- imports --------------------------------------------------------------------------


class ImportUploadSerializer(serializers.Serializer):
    """A spreadsheet to preview (multipart/form-data)."""

    file = serializers.FileField(
        help_text=_("UTF-8 CSV (separated by ; , or tab) or .xlsx, at most 10 MB and "
                    "10,000 rows; the header names the columns (see the template).")
    )
    # A plain string, not an enum: other apps' kinds share the machinery (and the name).
    kind = serializers.CharField(
        default="listings",
        help_text=_("What the rows are: `listings` (your offers and wants), the only kind "
                    "a company imports."),
    )

    def validate_kind(self, value: str) -> str:
        if value != "listings":
            raise serializers.ValidationError(_("Companies import `listings`."))
        return value


class ImportCountsSerializer(serializers.Serializer):
    create = serializers.IntegerField(required=False)
    update = serializers.IntegerField(required=False)
    unchanged = serializers.IntegerField(required=False)
    error = serializers.IntegerField(required=False)


class ImportSummarySerializer(serializers.Serializer):
    created = serializers.IntegerField(required=False)
    updated = serializers.IntegerField(required=False)
    unchanged = serializers.IntegerField(required=False)
    error = serializers.IntegerField(required=False)


class ImportRowErrorSerializer(serializers.Serializer):
    row = serializers.IntegerField(help_text=_("Row number as a spreadsheet shows it (the "
                                               "header is row 1)."))
    errors = serializers.DictField(child=serializers.ListField(child=serializers.CharField()),
                                   help_text=_("Column → messages."))


class ImportPreviewRowSerializer(ImportRowErrorSerializer):
    action = serializers.CharField(help_text=_("create, update, unchanged or error."))
    values = serializers.DictField(child=serializers.CharField(allow_blank=True))


class ImportJobSerializer(serializers.Serializer):
    """An import: its preview, then its progress and result."""

    id = serializers.IntegerField()
    kind = serializers.CharField()
    file_name = serializers.CharField()
    status = serializers.CharField(
        help_text=_("previewed: waiting for confirm; queued/running: being applied; done; "
                    "failed (see `error`)."))
    total = serializers.IntegerField(help_text=_("Data rows in the file."))
    processed = serializers.IntegerField(help_text=_("Rows applied so far."))
    percent = serializers.IntegerField()
    finished = serializers.BooleanField()
    preview_counts = ImportCountsSerializer(
        help_text=_("What confirming would do, as checked at upload."))
    summary = ImportSummarySerializer(help_text=_("What applying did (so far)."))
    error_count = serializers.IntegerField()
    error = serializers.CharField(allow_blank=True)
    created_at = serializers.DateTimeField()
    finished_at = serializers.DateTimeField(allow_null=True)


class ImportJobDetailSerializer(ImportJobSerializer):
    preview_rows = ImportPreviewRowSerializer(
        many=True, help_text=_("The first rows of the file as checked at upload."))
    row_errors = ImportRowErrorSerializer(
        many=True, help_text=_("Rows refused (at upload, then as applied); the first 1,000."))
