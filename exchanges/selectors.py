"""Reads for exchanges. Every query that returns contacts, agreements or deliveries to a
viewer is scoped here by ``permissions``: what a viewer may not see is never fetched."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from django.db.models import Count, Q, QuerySet

from accounts.models import Company, User
from exchanges import permissions
from exchanges.models import (
    Agreement,
    AgreementVersion,
    Attachment,
    AuditEntry,
    Contact,
    Delivery,
    EmailOptOut,
    Message,
    Notification,
)
from matching import selectors as matching_selectors
from matching.engine import canonical_amount, format_amount

if TYPE_CHECKING:  # types only: another app's rows are read through its selectors
    from matching.models import Listing

_CONTACT_RELATED = ("offer__site", "offer__company", "want__site", "want__company",
                    "requester", "recipient", "requested_by", "accepted_by", "introduced_by")


def contact_list_for_company(*, company: Company, state: str = "", stage: str = ""
                             ) -> QuerySet[Contact]:
    """The firm's contacts, sent and received, most recently active first."""
    qs = Contact.objects.filter(Q(requester=company) | Q(recipient=company))
    if state:
        qs = qs.filter(state=state)
    if stage:
        qs = qs.filter(stage=stage)
    return qs.select_related(*_CONTACT_RELATED).order_by("-updated_at", "-id")


def contact_list_for_user(*, user: User) -> QuerySet[Contact]:
    """Contacts the user may see: their firm's, and those in their agencies' regions."""
    company = permissions.user_company(user)
    visible = Q(pk__in=[])
    if company is not None:
        visible |= Q(requester=company) | Q(recipient=company)
    regions = permissions.agency_regions(user)
    if regions:
        visible |= permissions.region_q(regions, "offer__site")
        visible |= permissions.region_q(regions, "want__site")
    return (Contact.objects.filter(visible).select_related(*_CONTACT_RELATED)
            .order_by("-updated_at", "-id"))


def contact_get_for_user(*, user: User, pk: int
                         ) -> tuple[Contact, permissions.Role] | tuple[None, None]:
    contact = Contact.objects.select_related(*_CONTACT_RELATED).filter(pk=pk).first()
    if contact is None:
        return None, None
    role = permissions.contact_role(user, contact)
    return (contact, role) if role is not None else (None, None)


def contact_open_for_pair(*, offer: Listing, want: Listing) -> Contact | None:
    return Contact.objects.filter(offer=offer, want=want,
                                  state__in=Contact.OPEN_STATES).first()


def message_list(*, contact: Contact) -> QuerySet[Message]:
    """A thread: callers check first that the viewer is a party (agency staff never)."""
    return contact.messages.select_related("author", "company").order_by("created_at", "id")


def attachment_list(*, contact: Contact) -> QuerySet[Attachment]:
    return contact.attachments.select_related("uploaded_by").order_by("created_at", "id")


def attachment_get_for_user(*, user: User, pk: int) -> Attachment | None:
    """An attachment, only for a party to its contact (agency staff included out)."""
    attachment = Attachment.objects.select_related("contact").filter(pk=pk).first()
    if attachment is None:
        return None
    if permissions.contact_role(user, attachment.contact) is not permissions.Role.PARTY:
        return None
    return attachment


def audit_list(*, contact: Contact) -> QuerySet[AuditEntry]:
    return contact.audit.select_related("user", "company").order_by("created_at", "id")


def agreement_list_for_user(*, user: User) -> QuerySet[Agreement]:
    contacts = contact_list_for_user(user=user).values("pk")
    return (Agreement.objects.filter(contact__in=contacts)
            .select_related("contact__requester", "contact__recipient", "drafted_by")
            .order_by("-updated_at", "-id"))


def agreement_get_for_user(*, user: User, pk: int
                           ) -> tuple[Agreement, permissions.Role] | tuple[None, None]:
    agreement = Agreement.objects.select_related(
        *(f"contact__{name}" for name in _CONTACT_RELATED), "contact", "drafted_by"
    ).filter(pk=pk).first()
    if agreement is None:
        return None, None
    role = permissions.contact_role(user, agreement.contact)
    return (agreement, role) if role is not None else (None, None)


def version_list(*, agreement: Agreement) -> QuerySet[AgreementVersion]:
    return agreement.versions.prefetch_related("signatures__company", "signatures__user"
                                               ).order_by("number")


def delivery_list_for_user(*, user: User) -> QuerySet[Delivery]:
    agreements = agreement_list_for_user(user=user).values("pk")
    return Delivery.objects.filter(agreement__in=agreements).select_related(
        "agreement__contact", "company").order_by("-date", "-id")


def delivery_get_for_user(*, user: User, pk: int
                          ) -> tuple[Delivery, permissions.Role] | tuple[None, None]:
    delivery = Delivery.objects.select_related(
        "agreement__contact__offer__site", "agreement__contact__want__site", "company"
    ).filter(pk=pk).first()
    if delivery is None:
        return None, None
    role = permissions.contact_role(user, delivery.agreement.contact)
    return (delivery, role) if role is not None else (None, None)


@dataclass(frozen=True)
class Totals:
    """Deliveries of an agreement in canonical units: confirmed count, disputed apart."""

    unit: str
    confirmed: float
    disputed: float
    pending: float
    agreed: float | None
    progress: float | None

    def text(self, amount: float | None) -> str:
        return format_amount(amount, self.unit)


def agreed_total(version: AgreementVersion) -> tuple[float, str]:
    """The agreed amount over the agreement's term (one year when it has no end date)."""
    per_year, unit = canonical_amount(quantity=float(version.quantity), unit=version.unit,
                                      frequency=version.frequency)
    if version.frequency == "one-off" or version.end_date is None:
        return per_year, unit
    years = ((version.end_date - version.start_date).days + 1) / 365.25
    return per_year * years, unit


def delivery_totals(*, agreement: Agreement) -> Totals:
    version = agreement.versions.order_by("-number").first()
    agreed, unit = agreed_total(version)
    sums = {state: 0.0 for state in Delivery.State.values}
    for state, amount in agreement.deliveries.values_list("state", "canonical_quantity"):
        sums[state] += amount
    confirmed = sums[Delivery.State.CONFIRMED]
    return Totals(unit=unit, confirmed=confirmed, disputed=sums[Delivery.State.DISPUTED],
                  pending=sums[Delivery.State.RECORDED], agreed=agreed,
                  progress=confirmed / agreed if agreed else None)


@dataclass(frozen=True)
class Change:
    field: str
    label: str
    before: str
    after: str


def _shown(version: AgreementVersion, name: str) -> str:
    display = getattr(version, f"get_{name}_display", None)
    value = display() if display else getattr(version, name)
    return "" if value is None else str(value)


def version_diff(*, before: AgreementVersion | None, after: AgreementVersion) -> list[Change]:
    """The terms that differ between two versions, readable (labels, display values)."""
    changes = []
    for name in AgreementVersion.TERMS:
        old = _shown(before, name) if before is not None else ""
        new = _shown(after, name)
        if before is None or getattr(before, name) != getattr(after, name):
            label = str(AgreementVersion._meta.get_field(name).verbose_name)
            changes.append(Change(field=name, label=label.capitalize(), before=old, after=new))
    return changes


def notification_list(*, user: User, unread: bool = False) -> QuerySet[Notification]:
    qs = Notification.objects.filter(user=user)
    if unread:
        qs = qs.filter(read_at__isnull=True)
    return qs.order_by("-created_at", "-id")


def unread_by_contact(*, user: User) -> dict[int, int]:
    """Unread notifications per contact, for the inbox."""
    rows = (Notification.objects.filter(user=user, read_at__isnull=True, contact__isnull=False)
            .values("contact").annotate(n=Count("id")).values_list("contact", "n"))
    return dict(rows)


def email_opt_outs(*, user: User) -> set[str]:
    return set(EmailOptOut.objects.filter(user=user).values_list("kind", flat=True))


# --- browse and search -----------------------------------------------------------------

SEARCH_DISTANCES = (10, 25, 50, 100, 200)


@dataclass(frozen=True)
class SearchResult:
    listing: Listing
    band: tuple[int, int] | None


def listing_search(*, company: Company, params: dict, created_after=None
                   ) -> list[SearchResult]:
    """Other firms' active listings fitting ``params`` (q, kind, category, ewc_chapter,
    site, distance_km), nearest band first; the distance filter uses the banded
    distance between snapped sites, as the results show it."""
    from exchanges import visibility
    from exchanges.models import Block

    qs = matching_selectors.listing_list_active_of_others(company=company).select_related(
        "disclosure")
    blocked = Block.objects.filter(Q(blocker=company) | Q(blocked=company)).values_list(
        "blocker", "blocked")
    qs = qs.exclude(company__in={c for pair in blocked for c in pair} - {company.pk})
    if created_after is not None:
        qs = qs.filter(created_at__gt=created_after)
    for word in (params.get("q") or "").split()[:8]:
        qs = qs.filter(Q(title__icontains=word) | Q(description__icontains=word))
    if params.get("kind"):
        qs = qs.filter(kind=params["kind"])
    if params.get("category"):
        qs = qs.filter(category=params["category"])
    if params.get("ewc_chapter"):
        qs = qs.filter(ewc_code__startswith=params["ewc_chapter"])
    site = company.sites.filter(pk=params.get("site")).first() if params.get("site") else None
    limit = params.get("distance_km")
    if site is not None and limit:
        # A generous box first (the band can start below the limit at up to limit + 5 km
        # plus two grid cells), then the exact banded test.
        reach = (float(limit) + 10) / 111.0
        qs = qs.filter(site__latitude__range=(site.latitude - reach, site.latitude + reach))
    results = []
    for listing in qs.order_by("-created_at", "-id")[:2000]:
        band = None
        if site is not None:
            band = visibility.distance_band(visibility.snapped_distance_km(site, listing.site))
            if limit and band[0] >= float(limit):
                continue
        results.append(SearchResult(listing=listing, band=band))
    if site is not None:
        results.sort(key=lambda r: r.band[0])
    return results


def saved_search_list(*, company: Company) -> QuerySet:
    from exchanges.models import SavedSearch

    return SavedSearch.objects.filter(company=company).order_by("name", "id")


def saved_search_new(*, search) -> list[SearchResult]:
    """Listings fitting a saved search created since it was last seen."""
    return listing_search(company=search.company, params=search.params,
                          created_after=search.seen_until)


# --- the region's exchanges, for agency staff (parties and stages only) ----------------


def _in_regions(regions, prefix: str = "") -> Q:
    return (permissions.region_q(regions, f"{prefix}offer__site")
            | permissions.region_q(regions, f"{prefix}want__site"))


def contact_list_in_regions(*, regions) -> QuerySet[Contact]:
    """Contacts whose offer or want site lies in one of ``regions``."""
    return (Contact.objects.filter(_in_regions(regions))
            .select_related(*_CONTACT_RELATED).order_by("-updated_at", "-id"))


def agreement_list_in_regions(*, regions) -> QuerySet[Agreement]:
    """Agreements whose contact's offer or want site lies in one of ``regions``, with the
    two listings, sites and firms (for impact figures and maps)."""
    return (Agreement.objects.filter(_in_regions(regions, "contact__"))
            .select_related(*(f"contact__{name}" for name in _CONTACT_RELATED))
            .order_by("id"))


def delivery_list_confirmed(*, agreements, start=None, end=None) -> QuerySet[Delivery]:
    """Confirmed deliveries of ``agreements`` (ids or a queryset), dated in [start, end]."""
    qs = Delivery.objects.filter(agreement__in=agreements, state=Delivery.State.CONFIRMED)
    if start is not None:
        qs = qs.filter(date__gte=start)
    if end is not None:
        qs = qs.filter(date__lte=end)
    return qs.order_by("date", "id")


def agreement_terms_current(*, agreement: Agreement) -> AgreementVersion | None:
    """The agreement's latest version (its terms now)."""
    return agreement.versions.order_by("-number").first()


def agreement_list_active_between(*, agreements: QuerySet[Agreement], start=None, end=None
                                  ) -> QuerySet[Agreement]:
    """Those of ``agreements`` that were active at some time in [start, end]: activated on
    or before ``end`` and not closed before ``start`` (still active, or completed or
    terminated later)."""
    qs = agreements.filter(activated_at__isnull=False)
    if end is not None:
        qs = qs.filter(activated_at__date__lte=end)
    if start is not None:
        qs = qs.filter(Q(closed_at__isnull=True) | Q(closed_at__date__gte=start))
    return qs
