from django.urls import path

from agency.views import dashboard, matches, reports

app_name = "agency"

urlpatterns = [
    path("", matches.matches, name="matches"),
    path("dashboard/", dashboard.dashboard, name="dashboard"),
    path("reports/region/", reports.region_report, name="report_region"),
    path("reports/company/<int:pk>/", reports.company_report, name="report_company"),
]
