"""The portal: dashboard, listings and matches (mounted at /portal/)."""

from django.urls import path

from matching import import_views, views

app_name = "matching"

urlpatterns = [
    path("", views.dashboard, name="dashboard"),
    path("listings/new/", views.listing_create, name="listing_create"),
    path("listings/<int:pk>/", views.listing_detail, name="listing_detail"),
    path("listings/<int:pk>/edit/", views.listing_edit, name="listing_edit"),
    path("listings/<int:pk>/status/", views.listing_status, name="listing_status"),
    path("listings/import/", import_views.import_list, name="import_list"),
    path("listings/import/template.<str:fmt>", import_views.import_template,
         name="import_template"),
    path("listings/import/<int:pk>/", import_views.import_detail, name="import_detail"),
    path("listings/import/<int:pk>/confirm/", import_views.import_confirm,
         name="import_confirm"),
    path("listings/import/<int:pk>/status/", import_views.import_status,
         name="import_status"),
    path("ewc-suggest/", views.ewc_suggest, name="ewc_suggest"),
    path("matches/<int:pk>/dismiss/", views.match_dismiss, name="match_dismiss"),
]
