"""Accounts: sign-up, log-in/out, password reset, the company profile, invitations and sites."""

from django.contrib.auth import views as auth_views
from django.urls import path, reverse_lazy

from accounts import claim_views, views
from accounts.forms import EmailAuthenticationForm

app_name = "accounts"

urlpatterns = [
    path("signup/", views.signup, name="signup"),
    path("signup/sent/", views.signup_done, name="signup_done"),
    path("verify/<str:token>/", views.verify_email, name="verify_email"),
    path("verify-again/", views.verify_email_resend, name="verify_email_resend"),
    path(
        "login/",
        auth_views.LoginView.as_view(
            authentication_form=EmailAuthenticationForm, redirect_authenticated_user=True
        ),
        name="login",
    ),
    path("logout/", auth_views.LogoutView.as_view(), name="logout"),
    path(
        "password-reset/",
        auth_views.PasswordResetView.as_view(
            email_template_name="registration/password_reset_email.txt",
            subject_template_name="registration/password_reset_subject.txt",
            success_url=reverse_lazy("accounts:password_reset_done"),
        ),
        name="password_reset",
    ),
    path(
        "password-reset/sent/",
        auth_views.PasswordResetDoneView.as_view(),
        name="password_reset_done",
    ),
    path(
        "reset/<uidb64>/<token>/",
        auth_views.PasswordResetConfirmView.as_view(
            success_url=reverse_lazy("accounts:password_reset_complete")
        ),
        name="password_reset_confirm",
    ),
    path(
        "reset/done/",
        auth_views.PasswordResetCompleteView.as_view(),
        name="password_reset_complete",
    ),
    path("company/", views.company_profile, name="company"),
    path("company/new/", views.company_create, name="company_create"),
    path("company/invitations/", views.invitation_create, name="invitation_create"),
    path("company/invitations/<int:pk>/revoke/", views.invitation_revoke,
         name="invitation_revoke"),
    path("company/agencies/<int:agency_id>/consent/", views.agency_consent,
         name="agency_consent"),
    path("invitations/<str:token>/", views.invitation, name="invitation"),
    path("claim/", claim_views.claim_start, name="claim"),
    path("claim/<str:token>/", claim_views.claim_link, name="claim_link"),
    path("sites/", views.site_list, name="sites"),
    path("sites/new/", views.site_create, name="site_create"),
    path("sites/<int:pk>/edit/", views.site_edit, name="site_edit"),
]
