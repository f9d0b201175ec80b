"""``Authorization: Api-Key <key>``: a company's system calling the API.

The request then acts for the key's company as the person who created the key, so every
company-scoped view works unchanged (``request_company`` is the key's company), and
``request.auth`` is the ``ApiKey``: permissions read its ``scopes`` and
``can_sign_agreements`` from it.
"""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _
from drf_spectacular.extensions import OpenApiAuthenticationExtension
from rest_framework.authentication import BaseAuthentication, get_authorization_header
from rest_framework.exceptions import AuthenticationFailed

from integrations import services


class ApiKeyAuthentication(BaseAuthentication):
    """Authenticates ``Authorization: Api-Key sym_…`` against the stored hashes."""

    keyword = "Api-Key"

    def authenticate(self, request):
        words = get_authorization_header(request).split()
        if not words or words[0].lower() != self.keyword.lower().encode():
            return None
        if len(words) != 2:
            raise AuthenticationFailed(
                _("Send the key as “Authorization: Api-Key <key>”."), code="api_key_invalid"
            )
        key = services.api_key_authenticate(raw=words[1].decode(errors="replace"))
        if key is None:
            raise AuthenticationFailed(
                _("Unknown or revoked API key."), code="api_key_invalid"
            )
        user = key.created_by
        if user is None or not user.is_active:
            raise AuthenticationFailed(
                _("The person who created this key has left; an owner creates a new one."),
                code="api_key_orphaned",
            )
        # Read by matching.api.permissions.request_company: the key's company, not the
        # creator's first one.
        request._api_company = key.company
        # The actor of what this request writes (integrations.middleware records it).
        request._request.api_key = key
        return user, key

    def authenticate_header(self, request) -> str:
        return self.keyword


class ApiKeyScheme(OpenApiAuthenticationExtension):
    target_class = "integrations.authentication.ApiKeyAuthentication"
    name = "apiKeyAuth"

    def get_security_definition(self, auto_schema):
        return {
            "type": "apiKey",
            "in": "header",
            "name": "Authorization",
            "description": str(_(
                "A company API key, sent as `Api-Key <key>` (owners create keys in the "
                "portal under Company → API keys). A key acts for its company within its "
                "scopes: read, listings, sites, exchanges, webhooks."
            )),
        }
