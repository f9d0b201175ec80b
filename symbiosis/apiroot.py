"""The API root, ``/api/v1/``: one router that every app contributes its routes to.

An app takes part with an ``api/urls.py`` that exposes ``router`` (a DRF ``SimpleRouter``
holding its viewsets) and ``urlpatterns`` (its other paths, without the router's). The
apps are read in the order of ``symbiosis.layers.APPS``, so the project wires the apps
together and no app imports a higher one to be listed at the root. URL names live in the
``api`` namespace (``reverse("api:listing-list")``).
"""

from __future__ import annotations

from collections.abc import Iterable
from importlib import import_module
from importlib.util import find_spec

from django.core.exceptions import ImproperlyConfigured
from django.urls import URLPattern, URLResolver
from rest_framework.routers import DefaultRouter

from symbiosis.layers import APPS

app_name = "api"


def api_contributions(apps: Iterable[str] = APPS) -> list[tuple[str, object]]:
    """(app, its ``api.urls`` module) for each app that has one, in arrow order."""
    found = []
    for app in apps:
        if find_spec(f"{app}.api") is None or find_spec(f"{app}.api.urls") is None:
            continue  # an app without an API (accounts today)
        found.append((app, import_module(f"{app}.api.urls")))
    return found


def build_urlpatterns(apps: Iterable[str] = APPS) -> list[URLPattern | URLResolver]:
    """The apps' own paths, then the root router with every app's viewsets."""
    router = DefaultRouter()
    owners: dict[str, str] = {}
    paths: list[URLPattern | URLResolver] = []
    for app, module in api_contributions(apps):
        for prefix, viewset, basename in module.router.registry:
            if prefix in owners:
                raise ImproperlyConfigured(
                    f"API prefix {prefix!r} is registered by both {owners[prefix]} and {app}."
                )
            owners[prefix] = app
            router.register(prefix, viewset, basename=basename)
        paths.extend(getattr(module, "urlpatterns", []))
    return [*paths, *router.urls]


urlpatterns = build_urlpatterns()
