"""The agency's part of API v1 (``/api/v1/agency/…``), mounted by the project's API root."""

from rest_framework.routers import SimpleRouter

from agency.api.facilities import FacilityImportViewSet, FacilityProfileViewSet

# Prefixes start with "agency/" (the root router is shared by every app).
router = SimpleRouter()
router.register("agency/facilities", FacilityProfileViewSet, basename="agency-facility")
router.register("agency/facility-imports", FacilityImportViewSet,
                basename="agency-facility-import")

urlpatterns: list = []
