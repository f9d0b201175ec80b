from django.urls import path

from agency.views import matches

app_name = "agency"

urlpatterns = [
    path("", matches.matches, name="matches"),
]
