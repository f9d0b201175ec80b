"""Template context shared by every portal page."""

from __future__ import annotations

from django.conf import settings
from django.http import HttpRequest

from accounts.selectors import company_for_user


def portal(request: HttpRequest) -> dict:
    user = getattr(request, "user", None)
    company = company_for_user(user=user) if user is not None else None
    return {"current_company": company, "MAP_TILE_URL": settings.MAP_TILE_URL}
