"""Matching's part of the REST API v1, mounted at /api/v1/ by ``symbiosis.apiroot``.

``router`` holds the viewsets and ``urlpatterns`` the other paths; the project's root
router lists them with the other apps' under the "api" namespace.
"""

from django.urls import path
from rest_framework.routers import SimpleRouter

from matching.api import views

router = SimpleRouter()
router.register("listings", views.ListingViewSet, basename="listing")
router.register("matches", views.MatchViewSet, basename="match")
router.register("sites", views.SiteViewSet, basename="site")
router.register("ewc-codes", views.EwcCodeViewSet, basename="ewc-code")
router.register("categories", views.CategoryViewSet, basename="category")
router.register("imports", views.ImportJobViewSet, basename="import")

urlpatterns = [
    path("auth/token/", views.TokenObtainView.as_view(), name="token-obtain"),
]
