from django.contrib import admin

from integrations.models import ApiKey, ApiKeyAction, WebhookDelivery, WebhookEndpoint


@admin.register(ApiKey)
class ApiKeyAdmin(admin.ModelAdmin):
    list_display = ["name", "company", "prefix", "scopes", "created_at", "last_used_at",
                    "revoked_at"]
    list_filter = ["revoked_at"]
    search_fields = ["name", "prefix", "company__name"]
    readonly_fields = ["prefix", "secret_hash", "created_at", "last_used_at"]


@admin.register(WebhookEndpoint)
class WebhookEndpointAdmin(admin.ModelAdmin):
    list_display = ["url", "company", "events", "failing_since", "disabled_at"]
    readonly_fields = ["secret"]


@admin.register(WebhookDelivery)
class WebhookDeliveryAdmin(admin.ModelAdmin):
    list_display = ["event", "endpoint", "created_at", "attempts", "last_status",
                    "delivered_at"]
    list_filter = ["event", "last_status"]


@admin.register(ApiKeyAction)
class ApiKeyActionAdmin(admin.ModelAdmin):
    list_display = ["at", "key", "method", "path", "status"]
    list_filter = ["method", "status"]
