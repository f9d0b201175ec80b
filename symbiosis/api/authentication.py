"""Who is calling: people by ``Authorization: Token …``; ``Api-Key …`` is reserved.

Company API keys (``Authorization: Api-Key <key>``) come with a later issue. Until then a
request that sends one gets a 401 in the API's error shape saying so, instead of being
treated as anonymous.
"""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _
from drf_spectacular.extensions import OpenApiAuthenticationExtension
from rest_framework.authentication import BaseAuthentication, get_authorization_header
from rest_framework.exceptions import AuthenticationFailed


class ApiKeyAuthentication(BaseAuthentication):
    """Recognises ``Authorization: Api-Key …`` and refuses it: not available yet."""

    keyword = "Api-Key"

    def authenticate(self, request):
        words = get_authorization_header(request).split()
        if not words or words[0].lower() != self.keyword.lower().encode():
            return None
        raise AuthenticationFailed(
            _("Company API keys are not available yet. Send a person's token as "
              "“Authorization: Token <token>” (POST /api/v1/auth/token/)."),
            code="api_key_unavailable",
        )

    def authenticate_header(self, request) -> str:
        return self.keyword


class ApiKeyScheme(OpenApiAuthenticationExtension):
    """The reserved scheme in the OpenAPI description."""

    target_class = "symbiosis.api.authentication.ApiKeyAuthentication"
    name = "apiKeyAuth"

    def get_security_definition(self, auto_schema):
        return {
            "type": "apiKey",
            "in": "header",
            "name": "Authorization",
            "description": str(_(
                "Reserved for company API keys, sent as `Api-Key <key>`. Not available yet: "
                "a request with one is answered 401."
            )),
        }
