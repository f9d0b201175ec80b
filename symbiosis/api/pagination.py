"""Pagination of every API list.

Page numbers (the default): ``?page=2&page_size=100``; ``page_size`` is the client's
choice, 25 by default and at most 500 (``MAX_PAGE_SIZE``); anything else is a 400. The
answer is ``{"count", "next", "previous", "results"}``.

Sync (``SyncPagination``, on lists that clients mirror): giving ``updated_since`` (an ISO
8601 date-time) or ``cursor`` switches the list to a cursor over ``(updated_at, id)``,
oldest change first. The answer is ``{"next", "cursor", "results"}``: follow ``next``
until it is null, keep ``cursor`` and pass it next time to get only what changed since.
Rows deleted in between do not appear: a client reconciles deletions from a full list.
"""

from __future__ import annotations

import base64
from datetime import UTC, datetime
from typing import Any

from django.db.models import Q, QuerySet
from django.utils.dateparse import parse_datetime
from django.utils.timezone import is_naive, make_aware
from django.utils.translation import gettext_lazy as _
from rest_framework import pagination
from rest_framework.exceptions import ValidationError
from rest_framework.response import Response
from rest_framework.utils.urls import remove_query_param, replace_query_param

DEFAULT_PAGE_SIZE = 25
MAX_PAGE_SIZE = 500


def _page_size(request, default: int) -> int:
    raw = request.query_params.get("page_size")
    if raw is None:
        return default
    try:
        size = int(raw)
    except ValueError:
        size = 0
    if not 1 <= size <= MAX_PAGE_SIZE:
        raise ValidationError(
            {"page_size": [_("Give a whole number from 1 to %(max)d.") % {"max": MAX_PAGE_SIZE}]}
        )
    return size


class PageNumberPagination(pagination.PageNumberPagination):
    """``?page=`` and ``?page_size=`` (default 25, at most 500)."""

    page_size = DEFAULT_PAGE_SIZE
    page_size_query_param = "page_size"
    max_page_size = MAX_PAGE_SIZE
    query_params = ("page", "page_size")

    def get_page_size(self, request) -> int:
        return _page_size(request, self.page_size)

    def paginate_queryset(self, queryset, request, view=None):
        # A page that is not a whole number from 1 is the client's mistake (400); DRF
        # would answer 404 as for a page past the end ("last" is accepted, as in DRF).
        raw = request.query_params.get(self.page_query_param)
        if raw is not None and raw not in self.last_page_strings:
            if not raw.isdigit() or int(raw) < 1:
                raise ValidationError({"page": [_("Give a whole number from 1.")]})
        return super().paginate_queryset(queryset, request, view)

    def get_schema_operation_parameters(self, view) -> list[dict[str, Any]]:
        parameters = super().get_schema_operation_parameters(view)
        for parameter in parameters:
            if parameter["name"] == "page":
                parameter["schema"]["minimum"] = 1
                parameter["description"] = str(
                    _("Page number, from 1; a page past the last one is a 404.")
                )
            if parameter["name"] == "page_size":
                parameter["description"] = str(
                    _("Results per page: 25 unless given, at most 500.")
                )
                parameter["schema"].update({"minimum": 1, "maximum": MAX_PAGE_SIZE})
        return parameters


def _encode(updated_at: datetime, pk: int) -> str:
    return base64.urlsafe_b64encode(f"{updated_at.isoformat()}|{pk}".encode()).decode()


def _decode(cursor: str) -> tuple[datetime, int]:
    try:
        stamp, pk = base64.urlsafe_b64decode(cursor.encode()).decode().split("|")
        return datetime.fromisoformat(stamp), int(pk)
    except (ValueError, UnicodeDecodeError):
        raise ValidationError(
            {"cursor": [_("Not a cursor this API gave; start again with updated_since.")]}
        ) from None


def _since(raw: str) -> datetime:
    try:
        value = parse_datetime(raw.strip())
    except ValueError:
        value = None
    if value is None:
        raise ValidationError(
            {"updated_since": [_("Give an ISO 8601 date-time, e.g. 2026-01-31T12:00:00Z.")]}
        )
    return make_aware(value, UTC) if is_naive(value) else value


class SyncPagination(PageNumberPagination):
    """Page numbers, or a cursor by ``(updated_at, id)`` with ``updated_since`` for sync."""

    query_params = ("page", "page_size", "cursor", "updated_since")
    sync = False

    def paginate_queryset(self, queryset, request, view=None):
        params = request.query_params
        self.sync = "cursor" in params or "updated_since" in params
        if not self.sync:
            return super().paginate_queryset(queryset, request, view)
        if "page" in params or "ordering" in params:
            raise ValidationError(
                {"cursor": [_("A sync list is in change order: leave out page and ordering.")]}
            )
        self.request = request
        size = self.get_page_size(request)
        rows: QuerySet = queryset.order_by("updated_at", "id")
        if "updated_since" in params:
            rows = rows.filter(updated_at__gte=_since(params["updated_since"]))
        self.cursor = params.get("cursor") or None
        if self.cursor:
            at, pk = _decode(self.cursor)
            rows = rows.filter(Q(updated_at__gt=at) | Q(updated_at=at, id__gt=pk))
        page = list(rows[: size + 1])
        self.has_more = len(page) > size
        page = page[:size]
        if page:
            self.cursor = _encode(page[-1].updated_at, page[-1].pk)
        return page

    def get_paginated_response(self, data) -> Response:
        if not self.sync:
            return super().get_paginated_response(data)
        next_url = None
        if self.has_more:
            url = remove_query_param(self.request.build_absolute_uri(), "updated_since")
            next_url = replace_query_param(url, "cursor", self.cursor)
        return Response({"next": next_url, "cursor": self.cursor, "results": data})

    def get_paginated_response_schema(self, schema: dict[str, Any]) -> dict[str, Any]:
        described = super().get_paginated_response_schema(schema)
        # A sync answer has no count (nor previous): only results is always there.
        described["required"] = ["results"]
        described["properties"]["cursor"] = {
            "type": "string", "nullable": True,
            "description": str(_(
                "Sync mode only (with updated_since or cursor; count and previous are then "
                "absent): where this answer ends. Pass it as cursor to get what changed since."
            )),
        }
        return described

    def get_schema_operation_parameters(self, view) -> list[dict[str, Any]]:
        return [
            *super().get_schema_operation_parameters(view),
            {
                "name": "updated_since", "required": False, "in": "query",
                "schema": {"type": "string", "format": "date-time"},
                "description": str(_(
                    "Sync mode: only rows changed at or after this ISO 8601 date-time, oldest "
                    "change first, by (updated_at, id); not with page or ordering. A bad "
                    "date-time is a 400."
                )),
            },
            {
                "name": "cursor", "required": False, "in": "query",
                "schema": {"type": "string"},
                "description": str(_(
                    "Sync mode: continue after the `cursor` of an earlier answer (the `next` "
                    "link carries it)."
                )),
            },
        ]
