"""Integrations' part of the REST API v1 (mounted by ``symbiosis.apiroot``)."""

from django.urls import path, re_path
from rest_framework.routers import SimpleRouter

from integrations.api import views
from matching.rules import EXTERNAL_ID_PATTERN

router = SimpleRouter()
router.register("webhooks", views.WebhookEndpointViewSet, basename="webhook")

urlpatterns = [
    path("listings/bulk/", views.BulkListingView.as_view(), name="listing-bulk"),
    re_path(rf"^listings/external/(?P<external_id>{EXTERNAL_ID_PATTERN})/$",
            views.ExternalListingView.as_view(), name="listing-external"),
]
