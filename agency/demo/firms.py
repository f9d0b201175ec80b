"""The agency demo's firms and staff part: a manager, a verified firm, a firm's consent with
one listing entered on its behalf, a pending staff invitation. Idempotent: a second run
finds everything in place and writes nothing."""

from __future__ import annotations

from typing import TextIO

from accounts.models import Agency, AgencyMembership, Company, Membership, User
from accounts.selectors import agency_consent_open
from accounts.services import agency_consent_grant
from agency.models import StaffAction, StaffInvitation
from agency.services import firms as firm_services
from agency.services import staff as staff_services

AGENCY_NAME = "Satakunta Circular Economy Agency"
MANAGER_EMAIL = "manager@agency.example"
REVIEWER_EMAIL = "reviewer@agency.example"
FIRM_EMAIL = "demo@firm.example"
PARTNER_EMAIL = "partner@firm.example"
INVITED_EMAIL = "new.colleague@agency.example"
DEMO_PASSWORD = "demo-pass-2026"
ON_BEHALF_TITLE = "Bottom ash from the fluidised-bed boiler"


def _firm_of(email: str) -> tuple[User, Company] | None:
    membership = (Membership.objects.filter(user__email=email).select_related("user", "company")
                  .order_by("created_at").first())
    return (membership.user, membership.company) if membership else None


def _manager(agency: Agency) -> User:
    user = User.objects.filter(email=MANAGER_EMAIL).first()
    if user is None:
        user = User.objects.create_user(MANAGER_EMAIL, DEMO_PASSWORD,
                                        full_name="Minna Manager")
    AgencyMembership.objects.update_or_create(
        user=user, agency=agency, defaults={"role": AgencyMembership.Role.MANAGER})
    return user


def firms_part(*, stdout: TextIO | None = None) -> tuple[str, ...]:
    """Manager, verification, consent and an on-behalf listing, a pending invitation."""
    agency = Agency.objects.filter(name=AGENCY_NAME).first()
    reviewer = User.objects.filter(email=REVIEWER_EMAIL).first()
    firm = _firm_of(FIRM_EMAIL)
    if agency is None or reviewer is None or firm is None:
        return ("  Firms demo skipped (no demo agency, reviewer or firm).",)
    manager = _manager(agency)
    owner, company = firm
    lines = [f"  Agency manager log-in: {MANAGER_EMAIL} / {DEMO_PASSWORD} "
             "(regions, staff, activity)."]

    # Verified firms: the demo firm and, where the exchanges demo made one, its partner.
    verified = [company] + [c for _u, c in filter(None, [_firm_of(PARTNER_EMAIL)])]
    for each in verified:
        if not (each.verified and each.verified_by_id == agency.pk):
            firm_services.firm_verify(agency=agency, user=reviewer, company=each)
    lines.append("  Verified by the agency: " + ", ".join(c.name for c in verified) + ".")

    if agency_consent_open(company=company, agency=agency) is None:
        agency_consent_grant(company=company, agency=agency, user=owner)
    done = StaffAction.objects.filter(agency=agency, company=company,
                                      kind=StaffAction.Kind.LISTING_CREATED).exists()
    if not done:
        site = company.sites.filter(regions__agencies=agency).order_by("pk").first()
        if site is not None:
            firm_services.listing_create_on_behalf(
                agency=agency, user=reviewer, company=company,
                data={"kind": "offer", "site": site, "title": ON_BEHALF_TITLE,
                      "description": "Sandy bottom ash and bed material from the boiler, "
                                     "screened; for earthworks or road base.",
                      "category": "ash", "ewc_code": "100101", "quantity": 2500,
                      "unit": "t", "frequency": "yearly", "max_distance_km": 80})
    lines.append(f"  {company.name} lets the agency keep its listings; "
                 f"“{ON_BEHALF_TITLE}” was entered on its behalf.")

    if not StaffInvitation.objects.filter(agency=agency, email=INVITED_EMAIL).exists():
        staff_services.staff_invite(agency=agency, user=manager, email=INVITED_EMAIL,
                                    role=AgencyMembership.Role.REVIEWER)
    lines.append(f"  Pending staff invitation: {INVITED_EMAIL} (reviewer).")
    return tuple(lines)
