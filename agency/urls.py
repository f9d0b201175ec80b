from django.urls import path

from agency.views import facilities, matches

app_name = "agency"

urlpatterns = [
    path("", matches.matches, name="matches"),
    path("facilities/", facilities.facility_profiles, name="facility_profiles"),
    path("facilities/<int:pk>/domain/", facilities.facility_profile_domain,
         name="facility_profile_domain"),
    path("facilities/<int:pk>/claim/", facilities.facility_profile_claim,
         name="facility_profile_claim"),
    path("facilities/imports/", facilities.facility_imports, name="facility_imports"),
    path("facilities/imports/<int:pk>/", facilities.facility_import, name="facility_import"),
    path("facilities/imports/<int:pk>/confirm/", facilities.facility_import_confirm,
         name="facility_import_confirm"),
    path("facilities/imports/<int:pk>/status/", facilities.facility_import_status,
         name="facility_import_status"),
]
