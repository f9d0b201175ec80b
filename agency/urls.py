from django.urls import path

from agency.views import dashboard, queue, reports

app_name = "agency"

urlpatterns = [
    # The review queue is the agency's home ("matches" kept for the links that name it).
    path("", queue.queue, name="matches"),
    path("bulk/", queue.bulk, name="bulk"),
    path("matches/<int:pk>/", queue.match_redirect, name="match"),
    path("pairs/<int:offer>/<int:want>/", queue.pair_detail, name="pair"),
    path("pairs/<int:offer>/<int:want>/<str:action>/", queue.pair_action, name="pair_action"),
    path("dashboard/", dashboard.dashboard, name="dashboard"),
    path("reports/region/", reports.region_report, name="report_region"),
    path("reports/company/<int:pk>/", reports.company_report, name="report_company"),
]
