"""Top-level URL map: portal pages, accounts, the API and its docs, the admin."""

from django.contrib import admin
from django.urls import include, path
from drf_spectacular.views import (
    SpectacularAPIView,
    SpectacularRedocView,
    SpectacularSwaggerSplitView,
)

from symbiosis import datarights_views, views

urlpatterns = [
    path("", views.home, name="home"),
    path("about/", views.about, name="about"),
    path("healthz", views.healthz, name="healthz"),
    path("readyz", views.readyz, name="readyz"),
    path("accounts/company/data/", datarights_views.company_data, name="company_data"),
    path("accounts/company/data/export/", datarights_views.company_data_export,
         name="company_data_export"),
    path("accounts/", include("accounts.urls")),
    path("portal/", include("matching.urls")),
    path("exchanges/", include("exchanges.urls")),
    path("agency/", include("agency.urls")),
    path("accounts/", include("integrations.urls")),
    path("api/v1/company/export/", datarights_views.CompanyExportView.as_view(),
         name="company-export"),
    path("api/v1/company/delete/", datarights_views.CompanyDeleteView.as_view(),
         name="company-delete"),
    path("api/v1/", include("symbiosis.apiroot")),
    path("api/schema/", SpectacularAPIView.as_view(), name="schema"),
    # The split view serves its start-up script as a file: the CSP allows no inline script.
    path("api/docs/", SpectacularSwaggerSplitView.as_view(url_name="schema"), name="api-docs"),
    path("api/redoc/", SpectacularRedocView.as_view(url_name="schema"), name="api-redoc"),
    path("admin/", admin.site.urls),
]
