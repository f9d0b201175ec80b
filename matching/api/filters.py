"""Query-string filters of the API lists (django-filter)."""

from __future__ import annotations

import django_filters
from django.db.models import Q, QuerySet
from django.utils.translation import gettext_lazy as _

from matching import catalogue, disclosure
from matching.api.permissions import request_company
from matching.models import Listing, Match
from symbiosis.api.params import IdFilter


class ListingFilter(django_filters.FilterSet):
    kind = django_filters.ChoiceFilter(choices=Listing.Kind.choices, help_text=_("offer or want"))
    status = django_filters.ChoiceFilter(choices=Listing.Status.choices)
    category = django_filters.CharFilter(help_text=_("Material category slug (see /categories/)."))
    ewc_code = django_filters.CharFilter(
        method="filter_ewc_code",
        help_text=_("European List of Waste entry, with or without spaces: 10 01 02 or 100102."),
    )
    site = IdFilter(field_name="site_id", help_text=_("One of your site ids."))

    class Meta:
        model = Listing
        fields = ["kind", "status", "category", "ewc_code", "site"]

    def filter_ewc_code(self, queryset: QuerySet[Listing], name: str, value: str):
        return queryset.filter(ewc_code=catalogue.normalise_ewc(value))


class MatchFilter(django_filters.FilterSet):
    listing = IdFilter(
        method="filter_listing", help_text=_("Only the matches of this listing of yours.")
    )
    min_score = django_filters.NumberFilter(
        method="filter_min_score",
        help_text=_("Only matches whose score, as shown (rounded to 0.05), is at least this."),
    )

    class Meta:
        model = Match
        fields = ["listing", "min_score"]

    def filter_min_score(self, queryset: QuerySet[Match], name: str, value):
        # On the shown score, not the exact one: thresholds a hair apart would otherwise
        # bracket a counterpart's exact score (docs: disclosure rules).
        return queryset.filter(score__gte=disclosure.shown_score_floor(float(value)))

    def filter_listing(self, queryset: QuerySet[Match], name: str, value):
        # Only the caller's side counts: filtering by the counterpart's id would let a
        # client probe which listings another firm's matches involve.
        company = request_company(self.request)
        return queryset.filter(
            Q(offer_id=value, offer__company=company) | Q(want_id=value, want__company=company)
        )
