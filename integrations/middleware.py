"""Writes made with an API key are recorded with the key as the actor (``ApiKeyAction``)."""

from __future__ import annotations

from collections.abc import Callable

from django.http import HttpRequest, HttpResponse

from integrations import services

SAFE = {"GET", "HEAD", "OPTIONS"}


class ApiKeyActionMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        # Set by integrations.authentication on the request the key authenticated.
        key = getattr(request, "api_key", None)
        if key is not None and request.method not in SAFE:
            services.api_key_action_record(key=key, method=request.method,
                                           path=request.path, status=response.status_code)
        return response
