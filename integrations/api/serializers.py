"""Shapes of the integrations endpoints (bulk submission)."""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _
from rest_framework import serializers

from integrations.models import WebhookEndpoint

MAX_BULK = 1000


class BulkRequestSerializer(serializers.Serializer):
    listings = serializers.ListField(
        child=serializers.DictField(), min_length=1, max_length=MAX_BULK,
        help_text=_("Up to 1,000 listings, each as for POST /api/v1/listings/ and with its "
                    "`external_id`."),
    )


class BulkResultSerializer(serializers.Serializer):
    external_id = serializers.CharField(allow_null=True)
    id = serializers.IntegerField(allow_null=True, help_text=_("Null when nothing was saved."))
    result = serializers.ChoiceField(choices=["created", "updated", "unchanged", "error"])
    errors = serializers.DictField(
        child=serializers.ListField(child=serializers.CharField()),
        help_text=_("Field → messages; empty unless result is error."),
    )


class BulkResponseSerializer(serializers.Serializer):
    results = BulkResultSerializer(many=True, help_text=_("One per item, in the order sent."))


class WebhookEndpointSerializer(serializers.Serializer):
    id = serializers.IntegerField(read_only=True)
    url = serializers.URLField(max_length=500, help_text=_("An https:// address."))
    events = serializers.ListField(
        child=serializers.ChoiceField(choices=WebhookEndpoint.Event.values),
        min_length=1,
    )
    created_at = serializers.DateTimeField(read_only=True)
    failing_since = serializers.DateTimeField(read_only=True, allow_null=True)
    disabled_at = serializers.DateTimeField(read_only=True, allow_null=True)
    disabled_reason = serializers.CharField(read_only=True)


class WebhookEndpointCreatedSerializer(WebhookEndpointSerializer):
    secret = serializers.CharField(
        read_only=True, help_text=_("Signing secret (HMAC-SHA256); also on the portal page.")
    )
