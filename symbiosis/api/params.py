"""Query parameters: a parameter the endpoint does not know is a 400 naming the ones it does.

A typo (``?stauts=active``) would otherwise be ignored silently and the client would read
the unfiltered list as if filtered. Views mix in ``KnownQueryParamsMixin``; the accepted
names are the filters', search's, ordering's and pagination's of list actions, plus what a
view declares for an action in ``action_query_params``.
"""

from __future__ import annotations

from collections.abc import Iterable

import django_filters
from django import forms
from django.utils.translation import gettext_lazy as _
from django_filters.rest_framework import DjangoFilterBackend
from rest_framework import status
from rest_framework.exceptions import APIException
from rest_framework.filters import OrderingFilter, SearchFilter
from rest_framework.settings import api_settings


class UnknownQueryParameter(APIException):
    status_code = status.HTTP_400_BAD_REQUEST
    default_code = "unknown_parameter"


def check_query_params(request, accepted: Iterable[str]) -> None:
    """Refuse the request if it has a query parameter not in ``accepted``."""
    known = set(accepted)
    unknown = sorted(set(request.query_params) - known)
    if unknown:
        raise UnknownQueryParameter(
            _("Unknown query parameter: %(unknown)s. Accepted here: %(accepted)s.")
            % {
                "unknown": ", ".join(unknown),
                "accepted": ", ".join(sorted(known)) or _("none"),
            }
        )


class KnownQueryParamsMixin:
    """Checks every request's query string against what the endpoint accepts."""

    # Action → extra parameters it reads itself (e.g. {"suggest": ("text", "k")}).
    action_query_params: dict[str, tuple[str, ...]] = {}
    # Actions besides ``list`` that are paginated lists.
    paginated_actions: tuple[str, ...] = ()

    def initial(self, request, *args, **kwargs) -> None:
        super().initial(request, *args, **kwargs)
        check_query_params(request, self.accepted_query_params())

    def accepted_query_params(self) -> set[str]:
        action = getattr(self, "action", None)
        names = {api_settings.URL_FORMAT_OVERRIDE} - {None}
        names |= set(self.action_query_params.get(action, ()))
        if action == "list":
            names |= self._filter_params()
        if action == "list" or action in self.paginated_actions:
            paginator = getattr(self, "paginator", None)
            names |= set(getattr(paginator, "query_params", ()))
        return names

    def _filter_params(self) -> set[str]:
        names: set[str] = set()
        for backend in getattr(self, "filter_backends", ()):
            if issubclass(backend, DjangoFilterBackend):
                filterset = getattr(self, "filterset_class", None)
                if filterset is not None:
                    names |= set(filterset.base_filters)
            elif issubclass(backend, SearchFilter) and getattr(self, "search_fields", None):
                names.add(api_settings.SEARCH_PARAM)
            elif issubclass(backend, OrderingFilter):
                names.add(api_settings.ORDERING_PARAM)
        return names


# The largest id a bigint column holds: a larger one is a 400, not a database error.
MAX_ID = 2**63 - 1


class IdFilter(django_filters.NumberFilter):
    """A filter on a row id: a whole number from 1 to ``MAX_ID`` (``?site=1e20``: 400)."""

    field_class = forms.IntegerField

    def __init__(self, *args, **kwargs) -> None:
        kwargs.setdefault("min_value", 1)
        kwargs.setdefault("max_value", MAX_ID)
        super().__init__(*args, **kwargs)
