"""Exchanges pages, mounted at /exchanges/."""

from django.urls import path

from exchanges import views

app_name = "exchanges"

urlpatterns = [
    path("matches/<int:pk>/", views.match_detail, name="match_detail"),
    path("matches/<int:pk>/contact/", views.match_contact, name="match_contact"),
    path("contacts/", views.contact_inbox, name="contact_inbox"),
    path("pipeline/", views.pipeline, name="pipeline"),
    path("notifications/", views.notification_centre, name="notifications"),
    path("search/", views.search, name="search"),
    path("signatories/", views.signatories, name="signatories"),
    path("search/save/", views.search_save, name="search_save"),
    path("search/contact/", views.search_contact, name="search_contact"),
    path("listings/<int:pk>/disclosure/", views.listing_disclosure, name="listing_disclosure"),
    path("contacts/<int:pk>/", views.contact_detail, name="contact_detail"),
    path("contacts/<int:pk>/agreement/", views.agreement_create, name="agreement_create"),
    path("contacts/<int:pk>/<slug:action>/", views.contact_action, name="contact_action"),
    path("attachments/<int:pk>/", views.attachment_download, name="attachment_download"),
    path("agreements/<int:pk>/", views.agreement_detail, name="agreement_detail"),
    path("agreements/<int:pk>/print/", views.agreement_print, name="agreement_print"),
    path("agreements/<int:pk>/<slug:action>/", views.agreement_action, name="agreement_action"),
    path("deliveries/<int:pk>/<slug:action>/", views.delivery_action, name="delivery_action"),
]
