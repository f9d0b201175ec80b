"""Admin for people, companies, invitations, sites, regions and agencies."""

from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as BaseUserAdmin
from django.contrib.auth.forms import AdminUserCreationForm, UserChangeForm
from django.db import models
from django.utils.translation import gettext_lazy as _

from accounts.models import (
    Agency,
    AgencyMembership,
    Company,
    CompanyClaim,
    Invitation,
    Membership,
    Region,
    Site,
    User,
)


class UserCreationAdminForm(AdminUserCreationForm):
    class Meta:
        model = User
        fields = ("email",)


class UserChangeAdminForm(UserChangeForm):
    class Meta:
        model = User
        fields = "__all__"


# Django 6 will assume https for bare domains; opt in now and keep the warning away.
URL_HTTPS = {models.URLField: {"assume_scheme": "https"}}


class MembershipInline(admin.TabularInline):
    model = Membership
    extra = 0
    raw_id_fields = ("user", "company")


class AgencyMembershipInline(admin.TabularInline):
    model = AgencyMembership
    extra = 0
    raw_id_fields = ("user",)


@admin.register(User)
class UserAdmin(BaseUserAdmin):
    """Django's user admin, for a user who logs in with an e-mail address."""

    form = UserChangeAdminForm
    add_form = UserCreationAdminForm
    ordering = ("email",)
    list_display = ("email", "full_name", "is_staff", "is_active", "date_joined", "last_login")
    list_filter = ("is_staff", "is_superuser", "is_active")
    search_fields = ("email", "full_name")
    readonly_fields = ("last_login", "date_joined")
    inlines = [MembershipInline]

    fieldsets = (
        (None, {"fields": ("email", "password")}),
        (_("Personal info"), {"fields": ("full_name",)}),
        (
            _("Permissions"),
            {"fields": ("is_active", "is_staff", "is_superuser", "groups", "user_permissions")},
        ),
        (_("Important dates"), {"fields": ("last_login", "date_joined")}),
    )
    add_fieldsets = (
        (
            None,
            {
                "classes": ("wide",),
                "fields": ("email", "usable_password", "password1", "password2"),
            },
        ),
    )

    def get_inlines(self, request, obj):
        # A new user has no memberships yet; the add page stays e-mail and password only.
        return self.inlines if obj is not None else []


class SiteInline(admin.TabularInline):
    model = Site
    extra = 0
    fields = ("name", "city", "country", "latitude", "longitude")


@admin.register(Company)
class CompanyAdmin(admin.ModelAdmin):
    list_display = ("name", "nace_code", "registration_number", "verified", "claimed",
                    "created_at")
    list_filter = ("verified", "claimed")
    search_fields = ("name", "registration_number", "nace_code")
    formfield_overrides = URL_HTTPS
    inlines = [MembershipInline, SiteInline]


@admin.register(Membership)
class MembershipAdmin(admin.ModelAdmin):
    list_display = ("user", "company", "role", "created_at")
    list_filter = ("role",)
    search_fields = ("user__email", "company__name")
    raw_id_fields = ("user", "company")


@admin.register(Invitation)
class InvitationAdmin(admin.ModelAdmin):
    """Read and revoke by date; invitations are made on the company page, which mails the
    only copy of the link (the admin could not)."""

    list_display = ("email", "company", "role", "created_at", "expires_at", "accepted_at",
                    "revoked_at")
    list_filter = ("role",)
    search_fields = ("email", "company__name")
    raw_id_fields = ("company", "invited_by")
    readonly_fields = ("created_at", "accepted_at", "accepted_by")

    def has_add_permission(self, request) -> bool:
        return False


@admin.register(CompanyClaim)
class CompanyClaimAdmin(admin.ModelAdmin):
    """Read only: claims are made on the claim page or by agency staff (the mailed link is
    the only copy of its token)."""

    list_display = ("company", "email", "via", "created_at", "expires_at", "completed_at")
    list_filter = ("via",)
    search_fields = ("email", "company__name")
    readonly_fields = ("company", "email", "via", "created_at", "expires_at", "completed_at",
                       "user")

    def has_add_permission(self, request) -> bool:
        return False


@admin.register(Site)
class SiteAdmin(admin.ModelAdmin):
    list_display = ("name", "company", "city", "country", "latitude", "longitude")
    list_filter = ("country",)
    search_fields = ("name", "city", "company__name")
    raw_id_fields = ("company",)


@admin.register(Region)
class RegionAdmin(admin.ModelAdmin):
    list_display = ("name", "country", "min_lat", "max_lat", "min_lon", "max_lon")
    list_filter = ("country",)
    search_fields = ("name", "slug")
    prepopulated_fields = {"slug": ("name",)}


@admin.register(Agency)
class AgencyAdmin(admin.ModelAdmin):
    list_display = ("name", "website")
    search_fields = ("name",)
    formfield_overrides = URL_HTTPS
    filter_horizontal = ("regions",)
    inlines = [AgencyMembershipInline]


@admin.register(AgencyMembership)
class AgencyMembershipAdmin(admin.ModelAdmin):
    list_display = ("user", "agency", "role")
    list_filter = ("role", "agency")
    search_fields = ("user__email", "agency__name")
    raw_id_fields = ("user", "agency")
