"""The OpenAPI schema's common answers: the errors any endpoint may give besides its own.

Views document what is particular to them (a 201, a 404 of a detail, a 409). What the
conventions make every endpoint able to answer is added here, once, in the error shape
of ``symbiosis.api.errors``, unless the view already describes it:

- 400: an unknown query parameter (``symbiosis.api.params``) or invalid input;
- 401 and 403 where the operation takes credentials (bad or missing ones; a key without
  the scope, a person without a company);
- 404 where the path names a row, and on paginated lists (a page past the last);
- 413 and 415 where there is a request body (too large, a media type not parsed);
- 429 everywhere (``symbiosis.api.throttles``), with ``Retry-After``.

Connected as a drf-spectacular post-processing hook (``SPECTACULAR_SETTINGS``).
``AutoSchema`` (the project's schema class) names sync lists' answers apart from plain
pages: the same serializer paged both ways would otherwise share one component, and
the two shapes differ (a sync answer has no ``count``).
"""

from __future__ import annotations

from typing import Any

from drf_spectacular import openapi

from symbiosis.api.pagination import SyncPagination


class AutoSchema(openapi.AutoSchema):
    def get_paginated_name(self, serializer_name: str) -> str:
        if isinstance(self._get_paginator(), SyncPagination):
            return f"Paginated{serializer_name}SyncList"
        return super().get_paginated_name(serializer_name)

METHODS = {"get", "put", "patch", "post", "delete", "head", "options"}
ERROR_SCHEMA = {"$ref": "#/components/schemas/Error"}

DESCRIPTIONS = {
    400: "Invalid input (error.fields) or a query parameter the endpoint does not accept "
         "(error.message names the accepted ones).",
    401: "Not authenticated, or the credentials are not valid (revoked key, wrong token).",
    403: "Not allowed: an API key without the scope, or an account without a company.",
    404: "Not found (or not yours); on a list, a page past the last one.",
    413: "The request body is larger than allowed here.",
    415: "The request body's media type is not accepted.",
    429: "Too many requests: wait the seconds in Retry-After.",
}


def _secured(operation: dict[str, Any]) -> bool:
    return any(requirement for requirement in operation.get("security", [{}]))


def _codes(path: str, operation: dict[str, Any]) -> list[int]:
    codes = [400, 429]
    if _secured(operation):
        codes += [401, 403]
    paginated = any(p.get("name") == "page" for p in operation.get("parameters", []))
    if "{" in path or paginated:
        codes.append(404)
    if "requestBody" in operation:
        codes += [413, 415]
    return sorted(codes)


def add_common_error_responses(result: dict[str, Any], generator, request, public
                               ) -> dict[str, Any]:
    """Post-processing hook: the common error answers on every operation."""
    for path, item in result.get("paths", {}).items():
        for method, operation in item.items():
            if method not in METHODS:
                continue
            responses = operation.setdefault("responses", {})
            for code in _codes(path, operation):
                if str(code) in responses:
                    continue
                response: dict[str, Any] = {
                    "description": DESCRIPTIONS[code],
                    "content": {"application/json": {"schema": ERROR_SCHEMA}},
                }
                if code == 429:
                    response["headers"] = {"Retry-After": {
                        "schema": {"type": "integer"},
                        "description": "Seconds to wait before trying again.",
                    }}
                responses[str(code)] = response
    return result
