"""The agency's part of API v1 (``/api/v1/agency/…``), mounted by the project's API root."""

from rest_framework.routers import SimpleRouter

# Prefixes start with "agency/" (the root router is shared by every app).
router = SimpleRouter()

urlpatterns: list = []
