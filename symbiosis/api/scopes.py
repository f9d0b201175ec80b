"""What a company API key may do: each key has scopes, each endpoint needs one.

Reading (GET, HEAD, OPTIONS) needs ``read``; a write needs the view's ``key_scope``
(``listings``, ``sites``, ``exchanges``, ``webhooks``). A view that declares none cannot be
written to with a key. People (tokens, sessions) are not limited by scopes. The key is
``request.auth`` and is recognised by its ``is_api_key`` attribute, so apps below
``integrations`` check it without importing it.
"""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _
from rest_framework.exceptions import PermissionDenied
from rest_framework.permissions import SAFE_METHODS, BasePermission

READ = "read"


def is_api_key(request) -> bool:
    """The caller is a company API key, not a person."""
    return bool(getattr(getattr(request, "auth", None), "is_api_key", False))


def required_scope(request, view) -> str | None:
    if request.method in SAFE_METHODS:
        return READ
    return getattr(view, "key_scope", None)


class KeyScope(BasePermission):
    """A request made with an API key needs the scope of what it does."""

    def has_permission(self, request, view) -> bool:
        if not is_api_key(request):
            return True
        needed = required_scope(request, view)
        if needed is None:
            raise PermissionDenied(_("API keys cannot do this; a person has to."), code="scope")
        if needed not in request.auth.scopes:
            raise PermissionDenied(
                _("This API key does not have the “%(scope)s” scope; an owner can create a key "
                  "that has it.") % {"scope": needed},
                code="scope",
            )
        return True
