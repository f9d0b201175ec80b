"""The portal: dashboard, listings and matches (mounted at /portal/)."""

from django.urls import path

from matching import views

app_name = "matching"

urlpatterns = [
    path("", views.dashboard, name="dashboard"),
    path("listings/new/", views.listing_create, name="listing_create"),
    path("listings/<int:pk>/", views.listing_detail, name="listing_detail"),
    path("listings/<int:pk>/edit/", views.listing_edit, name="listing_edit"),
    path("listings/<int:pk>/status/", views.listing_status, name="listing_status"),
    path("ewc-suggest/", views.ewc_suggest, name="ewc_suggest"),
    path("matches/<int:pk>/dismiss/", views.match_dismiss, name="match_dismiss"),
]
