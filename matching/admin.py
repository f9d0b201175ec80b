"""Admin for listings, matches and dismissals."""

from django.contrib import admin

from matching.models import Listing, Match, MatchDismissal, MatchLabel, RankerModel
from matching.services import listing_derive_amount, listing_queue_rematch


@admin.register(Listing)
class ListingAdmin(admin.ModelAdmin):
    list_display = (
        "title", "kind", "status", "company", "site", "ewc_code", "quantity", "unit",
        "frequency", "updated_at",
    )
    list_filter = ("status", "kind", "hazardous", "physical_state", "frequency")
    search_fields = ("title", "description", "ewc_code", "company__name", "external_id")
    raw_id_fields = ("company", "site", "created_by")
    readonly_fields = ("amount_per_year", "canonical_unit", "created_at", "updated_at")
    date_hierarchy = "created_at"

    def save_model(self, request, obj, form, change):
        listing_derive_amount(listing=obj)
        super().save_model(request, obj, form, change)
        # An edit here skips the service; its matches must still follow the change.
        listing_queue_rematch(listing_id=obj.pk)


@admin.register(Match)
class MatchAdmin(admin.ModelAdmin):
    """Matches are computed; the admin shows them but does not make them."""

    list_display = ("id", "offer", "want", "score", "distance_km", "model_version",
                    "ranker_version", "updated_at")
    list_filter = ("model_version", "ranker_version")
    search_fields = ("offer__title", "want__title", "explanation")
    raw_id_fields = ("offer", "want")
    readonly_fields = (
        "offer", "want", "score", "distance_km", "components", "explanation", "model_version",
        "ranker_version", "created_at", "updated_at",
    )
    list_select_related = ("offer", "want")

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False


@admin.register(MatchDismissal)
class MatchDismissalAdmin(admin.ModelAdmin):
    list_display = ("company", "offer", "want", "reason", "score", "user", "created_at")
    list_filter = ("reason",)
    search_fields = ("company__name", "offer__title", "want__title", "note")
    raw_id_fields = ("offer", "want", "company", "user")
    readonly_fields = ("components", "score", "created_at")


@admin.register(MatchLabel)
class MatchLabelAdmin(admin.ModelAdmin):
    """Labels come from decisions (``label_record``); the admin shows them."""

    list_display = ("offer", "want", "source", "positive", "company", "agency", "updated_at")
    list_filter = ("source", "positive")
    raw_id_fields = ("offer", "want", "company", "agency", "user")
    readonly_fields = ("decider", "components", "score", "ranker_version", "created_at",
                       "updated_at")


@admin.register(RankerModel)
class RankerModelAdmin(admin.ModelAdmin):
    """Fitted by ``manage.py train_ranker``; put in use with ``--activate``."""

    list_display = ("version", "trained_on", "labels", "active", "created_at")
    readonly_fields = ("version", "features", "quality", "labels", "labels_until",
                       "trained_on", "parameters", "active", "created_at")

    def has_add_permission(self, request) -> bool:
        return False
