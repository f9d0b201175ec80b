"""Who signs for a firm: its owners mark members as signatories."""

from __future__ import annotations

from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.utils.translation import gettext as _

from accounts.models import Company, Membership, User


@transaction.atomic
def membership_signatories_set(*, company: Company, user: User, signatory_ids: set[int]
                               ) -> int:
    """Make exactly these members signatories (owners sign anyway); owners only."""
    if not Membership.objects.filter(user=user, company=company,
                                     role=Membership.Role.OWNER).exists():
        raise PermissionDenied(_("Only an owner of the firm can choose who signs."))
    members = Membership.objects.select_for_update().filter(company=company)
    changed = 0
    for membership in members:
        wanted = membership.user_id in signatory_ids
        if membership.is_signatory != wanted:
            membership.is_signatory = wanted
            membership.save(update_fields=["is_signatory"])
            changed += 1
    return changed
