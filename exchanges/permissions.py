"""Who may do what with contacts, agreements and deliveries: the one place for it.

Pages, the API and the permission tests all ask these functions. Reading is decided by
``contact_role``: a party (one of the two firms), region agency staff (parties and stage
only) or nobody. Changing needs a party; signing needs the firm's owner or a signatory.
"""

from __future__ import annotations

from enum import Enum

from django.core.exceptions import PermissionDenied
from django.db.models import Q
from django.utils.translation import gettext as _

from accounts.models import Agency, Company, Membership, Region, User
from accounts.selectors import (
    agency_list_for_user,
    company_for_user,
    in_regions_q,
    site_region_ids,
)
from exchanges.models import Contact


class Role(Enum):
    PARTY = "party"
    AGENCY = "agency"


def user_company(user: User) -> Company | None:
    """The firm the user acts for, or None (anonymous, agency-only staff)."""
    if user is None or not user.is_authenticated:
        return None
    cached = getattr(user, "_exchanges_company", False)
    if cached is False:
        cached = company_for_user(user=user)
        user._exchanges_company = cached
    return cached


def is_party(company: Company | None, contact: Contact) -> bool:
    return company is not None and company.id in (contact.requester_id, contact.recipient_id)


def is_signatory(user: User, company: Company) -> bool:
    """Owners always sign for their firm; members only when marked signatory."""
    return Membership.objects.filter(user=user, company=company).filter(
        Q(role=Membership.Role.OWNER) | Q(is_signatory=True)
    ).exists()


def is_owner(user: User, company: Company) -> bool:
    return Membership.objects.filter(user=user, company=company,
                                     role=Membership.Role.OWNER).exists()


def region_q(regions, prefix: str) -> Q:
    """Rows whose ``prefix`` site lies inside one of ``regions`` (``Site.regions``)."""
    return in_regions_q(regions=regions, site_path=prefix)


def agency_regions(user: User) -> list[Region]:
    if user is None or not user.is_authenticated:
        return []
    return list(Region.objects.filter(agencies__in=agency_list_for_user(user=user)).distinct())


def agency_sees(user: User, contact: Contact) -> bool:
    """Staff of an agency whose region holds either site of the pair."""
    regions = agency_regions(user)
    if not regions:
        return False
    ids = {r.pk for r in regions}
    sites = (contact.offer.site, contact.want.site)
    return any(ids & site_region_ids(site=s) for s in sites)


def contact_role(user: User, contact: Contact) -> Role | None:
    """How the user may see this contact: as a party, as region agency staff, or not."""
    if is_party(user_company(user), contact):
        return Role.PARTY
    if agency_sees(user, contact):
        return Role.AGENCY
    return None


def require_party(user: User, contact: Contact) -> Company:
    """The user's firm when it is a party to the contact; PermissionDenied otherwise."""
    company = user_company(user)
    if not is_party(company, contact):
        raise PermissionDenied(_("Only the two firms of this contact can do that."))
    return company


def require_signatory(user: User, company: Company) -> None:
    if not is_signatory(user, company):
        raise PermissionDenied(
            _("Only the firm's owner or a member marked signatory can sign agreements.")
        )


def agencies_for(user: User) -> list[Agency]:
    return list(agency_list_for_user(user=user))
