"""Requests to the API answered in its error shape before and around the views.

Django answers some failures before a DRF view runs (a malformed id matches no URL: 404;
an unhandled error: 500 with the traceback under ``DEBUG``), and Django's body limit is an
HTML 400. For paths under ``API_PATH_PREFIXES`` this middleware makes each of them the
JSON envelope of ``symbiosis.api.errors``: no traceback or URL list reaches an API client,
``DEBUG`` or not. Portal pages are left as Django answers them.
"""

from __future__ import annotations

import logging
from collections.abc import Callable

from django.conf import settings
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.utils.translation import gettext as _

log = logging.getLogger(__name__)

_MESSAGES = {
    400: ("bad_request", "The request is not valid."),
    403: ("permission_denied", "You do not have permission to perform this action."),
    404: ("not_found", "Not found."),
    405: ("method_not_allowed", "Method not allowed."),
    413: ("too_large", "The request body is larger than the %(limit)s bytes allowed here."),
    500: ("server_error", "Internal server error."),
}


def error_response(status: int, *, message: str = "", code: str = "") -> JsonResponse:
    """A JSON answer in the API's error shape (``{"error": {status, code, message, fields}}``)."""
    default_code, default_message = _MESSAGES.get(status, ("error", "Error."))
    body = {"status": status, "code": code or default_code,
            "message": message or _(default_message), "fields": {}}
    return JsonResponse({"error": body}, status=status)


def _is_api(request: HttpRequest) -> bool:
    return request.path_info.startswith(tuple(settings.API_PATH_PREFIXES))


def body_limit(path: str) -> int:
    """The most bytes a request body may have on ``path`` (more on bulk and import paths)."""
    if path.startswith(tuple(settings.REQUEST_BULK_PATHS)) and settings.REQUEST_BULK_PATHS:
        return settings.REQUEST_MAX_BYTES_BULK
    return settings.REQUEST_MAX_BYTES


class ApiErrorMiddleware:
    """Oversize bodies refused with 413 (every path); API errors as JSON."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        limit = body_limit(request.path_info)
        try:
            length = int(request.META.get("CONTENT_LENGTH") or 0)
        except ValueError:
            length = 0
        if length > limit:
            if _is_api(request):
                return error_response(413, message=_(_MESSAGES[413][1]) % {"limit": limit})
            return HttpResponse(_("Request body too large."), status=413,
                                content_type="text/plain")
        response = self.get_response(request)
        if (
            response.status_code >= 400
            and _is_api(request)
            and not response.get("Content-Type", "").startswith("application/json")
        ):
            # Answered before any API view ran (no URL matched, Django refused the body):
            # same status, the API's shape, none of Django's page.
            return error_response(response.status_code)
        return response

    def process_exception(self, request: HttpRequest, exception: Exception) -> HttpResponse | None:
        if not _is_api(request):
            return None
        log.error("Unhandled error in API request %s %s", request.method, request.path,
                  exc_info=exception)
        return error_response(500)
