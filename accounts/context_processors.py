"""Template context shared by every portal page."""

from __future__ import annotations

from django.conf import settings
from django.http import HttpRequest

from accounts.selectors import agency_list_for_user, company_for_user


def portal(request: HttpRequest) -> dict:
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {"current_company": None, "is_agency_staff": False,
                "MAP_TILE_URL": settings.MAP_TILE_URL}
    return {
        "current_company": company_for_user(user=user),
        "is_agency_staff": agency_list_for_user(user=user).exists(),
        "MAP_TILE_URL": settings.MAP_TILE_URL,
    }
