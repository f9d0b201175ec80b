"""The project's own apps, lowest first: every import between them points down this list.

The one place that names them in order. Settings install them, the API root
(``symbiosis.apiroot``) mounts their routes and ``manage.py load_demo``
(``symbiosis.demo``) runs their demo steps in this order. A new app (exchanges, agency,
integrations) is added at the end, above the apps it builds on.
"""

from __future__ import annotations

APPS: tuple[str, ...] = ("accounts", "matching", "exchanges", "agency", "integrations")
