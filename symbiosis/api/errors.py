"""One JSON error shape for every failure of the REST API.

Every error answer looks like::

    {"error": {"status": 400, "code": "invalid", "message": "...",
               "fields": {"quantity": ["Ensure this value is greater than or equal to 0."]}}}

``fields`` keeps Django REST framework's field dictionary (lists of messages, nested for
nested input; errors about the whole object under ``non_field_errors``) and is empty for
errors that are not about the input.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from typing import Any

from django.core.exceptions import NON_FIELD_ERRORS
from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import DataError
from django.utils.translation import gettext as _
from rest_framework import exceptions, status
from rest_framework.response import Response
from rest_framework.serializers import as_serializer_error
from rest_framework.settings import api_settings
from rest_framework.views import exception_handler as drf_exception_handler
from rest_framework.views import set_rollback

log = logging.getLogger(__name__)


def _from_django_validation_error(exc: DjangoValidationError) -> exceptions.ValidationError:
    """Services raise Django's ValidationError; the client should see it as a 400."""
    detail = as_serializer_error(exc)
    if NON_FIELD_ERRORS in detail:
        detail[api_settings.NON_FIELD_ERRORS_KEY] = detail.pop(NON_FIELD_ERRORS)
    return exceptions.ValidationError(detail=detail)


def _first_message(value: Any) -> str:
    if isinstance(value, Mapping):
        for item in value.values():
            return _first_message(item)
        return ""
    if isinstance(value, list | tuple):
        return _first_message(value[0]) if value else ""
    return str(value)


def error_body(*, status_code: int, data: Any, invalid_input: bool) -> dict[str, Any]:
    """The envelope for a DRF error payload (``response.data`` of DRF's handler)."""
    if not invalid_input and isinstance(data, Mapping) and "detail" in data:
        detail = data["detail"]
        return {
            "status": status_code,
            "code": getattr(detail, "code", None) or "error",
            "message": str(detail),
            "fields": {},
        }
    fields = dict(data) if isinstance(data, Mapping) else {api_settings.NON_FIELD_ERRORS_KEY: data}
    general = fields.get(api_settings.NON_FIELD_ERRORS_KEY)
    message = _first_message(general) if general else _("Some fields are not valid.")
    return {"status": status_code, "code": "invalid", "message": message, "fields": fields}


def exception_handler(exc: Exception, context: dict[str, Any]) -> Response | None:
    """DRF's handler, plus Django validation errors as 400 and the JSON error envelope."""
    if isinstance(exc, DjangoValidationError):
        exc = _from_django_validation_error(exc)
    elif isinstance(exc, OverflowError | DataError):
        # A number past what the database holds (?site=1e20, an id of 2**63): the
        # client's input, not our failure.
        set_rollback()
        exc = exceptions.ValidationError(
            {api_settings.NON_FIELD_ERRORS_KEY: [_("A number is out of range.")]}
        )
    response = drf_exception_handler(exc, context)
    if response is None:
        # Never a traceback to an API client, DEBUG or not: it is in the log.
        log.exception("Unhandled error in API view %s", context.get("view"), exc_info=exc)
        set_rollback()
        response = Response(
            {"detail": exceptions.ErrorDetail(_("Internal server error."), code="server_error")},
            status=status.HTTP_500_INTERNAL_SERVER_ERROR,
        )
    response.data = {
        "error": error_body(
            status_code=response.status_code,
            data=response.data,
            invalid_input=isinstance(exc, exceptions.ValidationError),
        )
    }
    return response
