"""What an agency records about its region, one module per area (imported here so Django
finds every model)."""

from agency.models.facilities import Facility  # noqa: E402,F401
