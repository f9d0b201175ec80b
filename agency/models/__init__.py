"""What an agency records about its region, one module per area (imported here so Django
finds every model)."""

from agency.models.review import Assignment, Decision, Introduction, ReviewNote
from agency.models.staff import StaffAction, StaffInvitation

__all__ = ["Assignment", "Decision", "Introduction", "ReviewNote", "StaffAction",
           "StaffInvitation"]
