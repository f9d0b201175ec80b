"""REST API v1 (Django REST framework), mounted at /api/v1/ under the "api" namespace."""

from django.urls import path
from rest_framework.routers import DefaultRouter

from matching.api import views

app_name = "api"

router = DefaultRouter()
router.register("listings", views.ListingViewSet, basename="listing")
router.register("matches", views.MatchViewSet, basename="match")
router.register("sites", views.SiteViewSet, basename="site")
router.register("ewc-codes", views.EwcCodeViewSet, basename="ewc-code")
router.register("categories", views.CategoryViewSet, basename="category")

urlpatterns = [
    path("auth/token/", views.TokenObtainView.as_view(), name="token-obtain"),
    *router.urls,
]
