"""Exchanges' part of API v1: a router the project's API root includes under /api/v1/."""

from rest_framework.routers import SimpleRouter

from exchanges.api import views

router = SimpleRouter()
router.register("contacts", views.ContactViewSet, basename="contact")
router.register("agreements", views.AgreementViewSet, basename="agreement")
router.register("deliveries", views.DeliveryViewSet, basename="delivery")
router.register("notifications", views.NotificationViewSet, basename="notification")
router.register("searches", views.SearchViewSet, basename="search")

# The project's API root (symbiosis.apiroot) mounts the router; no other paths.
urlpatterns: list = []
