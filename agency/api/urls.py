"""The agency's part of API v1 (``/api/v1/agency/…``), mounted by the project's API root."""

from rest_framework.routers import SimpleRouter

from agency.api import firms, impact, views

# Prefixes start with "agency/" (the root router is shared by every app).
router = SimpleRouter()
router.register("agency/matches", views.AgencyMatchViewSet, basename="agency-match")
router.register("agency/decisions", views.AgencyDecisionViewSet, basename="agency-decision")
router.register("agency/impact", impact.ImpactViewSet, basename="agency-impact")
router.register("agency/firms", firms.FirmViewSet, basename="agency-firm")
router.register("agency/listings", firms.ListingViewSet, basename="agency-listing")
router.register("agency/contacts", firms.ContactViewSet, basename="agency-contact")
router.register("agency/agreements", firms.AgreementViewSet, basename="agency-agreement")
router.register("agency/deliveries", firms.DeliveryViewSet, basename="agency-delivery")

urlpatterns: list = []
