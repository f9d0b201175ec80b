"""Who may use the company-scoped parts of the API."""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _
from rest_framework.permissions import BasePermission

from accounts.models import Company
from accounts.selectors import company_for_user


def request_company(request) -> Company | None:
    """The caller's company, looked up once per request."""
    if not hasattr(request, "_api_company"):
        request._api_company = company_for_user(user=request.user)
    return request._api_company


class HasCompany(BasePermission):
    """The caller acts for a company: listings, sites and matches belong to one."""

    message = _(
        "Your account is not linked to a company. Register your company, or ask its owner "
        "to add you, before using this part of the API."
    )
    code = "no_company"

    def has_permission(self, request, view) -> bool:
        return bool(request.user and request.user.is_authenticated) and (
            request_company(request) is not None
        )
