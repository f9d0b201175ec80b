from django.urls import path

from agency import views

app_name = "agency"

urlpatterns = [
    path("", views.matches, name="matches"),
]
