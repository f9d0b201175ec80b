"""Exchanges' part of API v1: a router the project's API root includes under /api/v1/."""

from rest_framework.routers import SimpleRouter

from exchanges.api import views

app_name = "exchanges_api"

router = SimpleRouter()
router.register("contacts", views.ContactViewSet, basename="contact")
router.register("agreements", views.AgreementViewSet, basename="agreement")
router.register("deliveries", views.DeliveryViewSet, basename="delivery")

urlpatterns = router.urls
