"""API conventions every app's REST API follows (project level, so future apps reuse them).

- ``errors``: one JSON error shape for every failure (``exception_handler``);
- ``pagination``: page numbers with a client-chosen ``page_size`` on every list, and a
  ``(updated_at, id)`` cursor with ``updated_since`` on lists that clients sync;
- ``params``: an unknown query parameter is a 400 naming the accepted ones;
- ``throttles``: rates per scope, counted in the cache (Redis when ``REDIS_URL`` is set);
- ``scopes``: what a company API key may do (the key itself is ``integrations``').

Import from the modules (``symbiosis.api.errors`` …): this package imports nothing, as
Django REST framework loads the authentication class while ``rest_framework.views`` (which
``errors`` needs) is still being imported.
"""
