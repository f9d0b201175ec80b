"""Top-level URL map: portal pages, accounts, the API and its docs, the admin."""

from django.contrib import admin
from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerView

from symbiosis import views

urlpatterns = [
    path("", views.home, name="home"),
    path("about/", views.about, name="about"),
    path("healthz", views.healthz, name="healthz"),
    path("accounts/", include("accounts.urls")),
    path("portal/", include("matching.urls")),
    path("exchanges/", include("exchanges.urls")),
    path("accounts/", include("integrations.urls")),
    path("api/v1/", include("symbiosis.apiroot")),
    path("api/schema/", SpectacularAPIView.as_view(), name="schema"),
    path("api/docs/", SpectacularSwaggerView.as_view(url_name="schema"), name="api-docs"),
    path("admin/", admin.site.urls),
]
