"""WSGI entry point."""

import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "symbiosis.settings")
application = get_wsgi_application()

# Without a broker, the periodic jobs run from this serving process.
from symbiosis import background  # noqa: E402

background.serve()
