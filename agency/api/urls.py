"""The agency's part of API v1 (``/api/v1/agency/…``), mounted by the project's API root."""

from rest_framework.routers import SimpleRouter

from agency.api import impact, views

# Prefixes start with "agency/" (the root router is shared by every app).
router = SimpleRouter()
router.register("agency/matches", views.AgencyMatchViewSet, basename="agency-match")
router.register("agency/decisions", views.AgencyDecisionViewSet, basename="agency-decision")
router.register("agency/impact", impact.ImpactViewSet, basename="agency-impact")

urlpatterns: list = []
