from django.urls import path

from agency.views import dashboard, firms, queue, regions, reports, staff

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
    path("firms/", firms.firm_list, name="firms"),
    path("firms/<int:pk>/", firms.firm_detail, name="firm_detail"),
    path("firms/<int:pk>/verify/", firms.firm_verify, name="firm_verify"),
    path("firms/<int:pk>/listings/new/", firms.firm_listing_form, name="firm_listing_create"),
    path("firms/<int:pk>/listings/<int:listing_pk>/edit/", firms.firm_listing_form,
         name="firm_listing_edit"),
    path("activity/", regions.region_activity, name="region_activity"),
    path("regions/", regions.region_list, name="regions"),
    path("regions/new/", regions.region_form, name="region_create"),
    path("regions/<int:pk>/edit/", regions.region_form, name="region_edit"),
    path("staff/", staff.staff, name="staff"),
    path("staff/invite/", staff.staff_invite, name="staff_invite"),
    path("staff/invitations/<int:pk>/revoke/", staff.staff_invitation_revoke,
         name="staff_invitation_revoke"),
    path("staff/<int:pk>/role/", staff.staff_role, name="staff_role"),
    path("staff/activity/", staff.staff_activity, name="staff_activity"),
    path("invitations/<str:token>/", staff.staff_invitation, name="staff_invitation"),
]
