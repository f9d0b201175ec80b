"""Reads for agency staff: which agency a user acts for, what lies in its regions, and
the review queue (the region's matches with the agency's own decisions on them)."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from types import SimpleNamespace

from django.db.models import Count, Exists, OuterRef, Q, QuerySet, Subquery
from django.utils.translation import gettext_lazy

from accounts.models import Agency, AgencyMembership, Company, Region, User
from accounts.selectors import (
    agency_list_for_user,
    company_list_in_regions,
    in_regions_q,
    site_list_in_regions,
)
from agency.impact.factors import Factor, avoided_factor
from agency.models import (
    Assignment,
    Decision,
    Introduction,
    ReviewNote,
    StaffAction,
    StaffInvitation,
)
from exchanges.models import Agreement, Contact, Delivery
from matching.models import Listing, Match
from matching.selectors import match_list_for_agency


def agency_list_for_staff(*, user: User) -> QuerySet[Agency]:
    """The agencies the user works for, with their regions."""
    return agency_list_for_user(user=user).prefetch_related("regions")


def agency_for_staff(*, user: User, agency_id: str | int | None = None) -> Agency | None:
    """The agency the user acts for: the one asked for if the user works there, else the
    first; None for anyone who is not agency staff."""
    agencies = list(agency_list_for_staff(user=user))
    if not agencies:
        return None
    return next((a for a in agencies if str(a.pk) == str(agency_id)), agencies[0])


def region_list_for_agency(*, agency: Agency) -> QuerySet[Region]:
    return agency.regions.all()


def staff_list_for_agency(*, agency: Agency) -> QuerySet[User]:
    """The agency's staff (the colleagues a pair can be assigned to), by name."""
    return User.objects.filter(agency_memberships__agency=agency).order_by("full_name", "email")


def staff_get_for_agency(*, agency: Agency, user_id: int | str | None) -> User | None:
    try:
        pk = int(user_id)
    except (TypeError, ValueError):
        return None
    return staff_list_for_agency(agency=agency).filter(pk=pk).first()


# --- estimated impact --------------------------------------------------------------------


@dataclass(frozen=True)
class ImpactBasis:
    """What an estimate multiplies: the smaller side's yearly amount and the factor."""

    amount: float
    unit: str
    category: str
    factor: Factor

    @property
    def t_co2e(self) -> float:
        # Factors are kg CO2e per canonical unit (agency.impact.factors); tonnes out.
        return self.amount * self.factor.value / 1000


def impact_basis(offer, want) -> ImpactBasis | None:
    """The smaller side's yearly amount (``amount_per_year`` in its canonical unit) and
    the avoided-CO2e factor of that side's material (its category, else the other side's);
    None when an amount or a factor is unknown, or the sides are in different units."""
    sides = [s for s in (offer, want) if s.amount_per_year is not None and s.canonical_unit]
    if not sides or len({s.canonical_unit for s in sides}) > 1:
        return None
    smaller = min(sides, key=lambda s: s.amount_per_year)
    other = want if smaller is offer else offer
    category = smaller.category or other.category
    if not category:
        return None
    factor = avoided_factor(category=category, unit=smaller.canonical_unit)
    if factor is None:
        return None
    return ImpactBasis(amount=smaller.amount_per_year, unit=smaller.canonical_unit,
                       category=category, factor=factor)


def estimated_impact_t(offer, want) -> float | None:
    """Estimated avoided CO2e per year (t) of a pair: the smaller side's yearly amount
    times the avoided-CO2e factor of its material (``impact_basis``). The one place the
    queue's impact figure and its sort come from."""
    basis = impact_basis(offer, want)
    return basis.t_co2e if basis is not None else None


# --- the review queue --------------------------------------------------------------------

STATUSES = ("undecided", "approved", "rejected", "held", "introduced")
SORTS = ("score", "impact")
_STATUS_DECISION = {"approved": "approve", "rejected": "reject", "held": "hold"}


@dataclass(frozen=True)
class QueueFilters:
    """What the queue is narrowed to and how it is ordered (pages and API alike)."""

    search: str = ""
    category: str = ""
    ewc_chapter: str = ""
    min_score: float | None = None
    max_distance_km: float | None = None
    status: str = ""
    sector: str = ""
    assignee: int | str | None = None  # a staff member's id, or "none"
    sort: str = "score"


def _pair_of(model, agency: Agency):
    return model.objects.filter(agency=agency, offer_id=OuterRef("offer_id"),
                                want_id=OuterRef("want_id"))


def review_annotate(matches: QuerySet[Match], *, agency: Agency) -> QuerySet[Match]:
    """Each match with the agency's current decision (``current_decision``), whether it
    introduced the pair (``introduced``) and who it is assigned to (``assignee_id``)."""
    latest = _pair_of(Decision, agency).order_by("-decided_at", "-id")
    assigned = _pair_of(Assignment, agency).order_by("-assigned_at", "-id")
    return matches.annotate(
        current_decision=Subquery(latest.values("decision")[:1]),
        introduced=Exists(_pair_of(Introduction, agency)),
        assignee_id=Subquery(assigned.values("assigned_to")[:1]),
    )


def _either(field: str, lookup: str, value) -> Q:
    return Q(**{f"offer__{field}__{lookup}": value}) | Q(**{f"want__{field}__{lookup}": value})


def review_queue(*, agency: Agency, filters: QueueFilters = QueueFilters()
                 ) -> QuerySet[Match]:
    """The agency's region matches with its review state, narrowed by ``filters``, best
    score first (``review_queue_ordered`` applies the impact sort)."""
    qs = review_annotate(match_list_for_agency(agency=agency, search=filters.search),
                         agency=agency)
    if filters.category:
        qs = qs.filter(_either("category", "exact", filters.category))
    if filters.ewc_chapter:
        qs = qs.filter(_either("ewc_code", "startswith", filters.ewc_chapter[:2]))
    if filters.min_score is not None:
        qs = qs.filter(score__gte=filters.min_score)
    if filters.max_distance_km is not None:
        qs = qs.filter(distance_km__lte=filters.max_distance_km)
    if filters.sector:
        division = filters.sector[:2]
        qs = qs.filter(_either("company__nace_code", "exact", division)
                       | _either("company__nace_code", "startswith", f"{division}."))
    if filters.status == "introduced":
        qs = qs.filter(introduced=True)
    elif filters.status == "undecided":
        qs = qs.filter(introduced=False, current_decision__isnull=True)
    elif filters.status in _STATUS_DECISION:
        qs = qs.filter(introduced=False, current_decision=_STATUS_DECISION[filters.status])
    if filters.assignee == "none":
        qs = qs.filter(assignee_id__isnull=True)
    elif filters.assignee not in (None, ""):
        qs = qs.filter(assignee_id=filters.assignee)
    return qs.order_by("-score", "id")


class _ByIds(Sequence):
    """Matches in a given id order, loaded a slice at a time (what a paginator needs)."""

    def __init__(self, queryset: QuerySet[Match], ids: list[int]):
        self.queryset, self.ids = queryset, ids

    def __len__(self) -> int:
        return len(self.ids)

    def count(self, *args) -> int:  # Paginator prefers count() where there is one
        return len(self.ids)

    def __getitem__(self, index):
        if isinstance(index, slice):
            wanted = self.ids[index]
            found = {m.pk: m for m in self.queryset.filter(pk__in=wanted)}
            return [found[pk] for pk in wanted if pk in found]
        return self[index:index + 1][0]


_IMPACT_FIELDS = ("amount_per_year", "canonical_unit", "category")


def review_queue_ordered(*, agency: Agency, filters: QueueFilters = QueueFilters()):
    """The queue in the order asked for: a queryset by score, or (impact) a sequence of
    matches by estimated impact, largest first, unknown last, then by score."""
    qs = review_queue(agency=agency, filters=filters)
    if filters.sort != "impact":
        return qs
    fields = [f"{side}__{name}" for side in ("offer", "want") for name in _IMPACT_FIELDS]
    keyed = []
    for pk, score, *values in qs.values_list("pk", "score", *fields):
        offer = SimpleNamespace(**dict(zip(_IMPACT_FIELDS, values[:3], strict=True)))
        want = SimpleNamespace(**dict(zip(_IMPACT_FIELDS, values[3:], strict=True)))
        impact = estimated_impact_t(offer, want)
        keyed.append((impact is None, -(impact or 0.0), -score, pk))
    keyed.sort()
    return _ByIds(qs, [key[-1] for key in keyed])


def match_get_for_agency(*, agency: Agency, pk: int | str) -> Match | None:
    """A current match in the agency's regions, with its review state, or None."""
    try:
        pk = int(pk)
    except (TypeError, ValueError):
        return None
    return review_queue(agency=agency).filter(pk=pk).first()


def pair_get_for_agency(*, agency: Agency, offer_id: int, want_id: int
                        ) -> tuple[Listing, Listing] | None:
    """(offer, want) when they form a pair with a site in the agency's regions (with or
    without a current match: decisions outlive rematches), else None."""
    listings = {
        listing.pk: listing for listing in Listing.objects.select_related(
            "site", "company").filter(pk__in=[offer_id, want_id])
    }
    offer, want = listings.get(offer_id), listings.get(want_id)
    if offer is None or want is None or offer.kind != "offer" or want.kind != "want":
        return None
    held = set(agency.regions.values_list("pk", flat=True))
    inside = set(offer.site.regions.values_list("pk", flat=True)) | set(
        want.site.regions.values_list("pk", flat=True))
    return (offer, want) if held & inside else None


def match_for_pair(*, offer: Listing, want: Listing) -> Match | None:
    """The pair's current match row, if the matcher still pairs them."""
    return Match.objects.filter(offer=offer, want=want).first()


@dataclass(frozen=True)
class PairReview:
    """Everything the agency recorded on one pair, newest first."""

    decisions: list[Decision]
    notes: list[ReviewNote]
    assignments: list[Assignment]
    introductions: list[Introduction]

    @property
    def current(self) -> Decision | None:
        return self.decisions[0] if self.decisions else None

    @property
    def assignee(self) -> User | None:
        return self.assignments[0].assigned_to if self.assignments else None

    @property
    def status(self) -> str:
        if self.introductions:
            return "introduced"
        if self.current is None:
            return "undecided"
        return {v: k for k, v in _STATUS_DECISION.items()}[self.current.decision]


def pair_review(*, agency: Agency, offer: Listing, want: Listing) -> PairReview:
    pair = {"agency": agency, "offer": offer, "want": want}
    return PairReview(
        decisions=list(Decision.objects.filter(**pair).select_related("decided_by")
                       .order_by("-decided_at", "-id")),
        notes=list(ReviewNote.objects.filter(**pair).select_related("author")
                   .order_by("-created_at", "-id")),
        assignments=list(Assignment.objects.filter(**pair)
                         .select_related("assigned_to", "assigned_by")
                         .order_by("-assigned_at", "-id")),
        introductions=list(Introduction.objects.filter(**pair)
                           .select_related("introduced_by", "contact")
                           .order_by("-introduced_at", "-id")),
    )


def status_of(match: Match) -> str:
    """The queue status of a match annotated by ``review_annotate``."""
    if getattr(match, "introduced", False):
        return "introduced"
    decision = getattr(match, "current_decision", None)
    if decision is None:
        return "undecided"
    return {v: k for k, v in _STATUS_DECISION.items()}[decision]


# --- what firms see: "reviewed by the agency" ------------------------------------------


def reviewed_pairs(pairs: Iterable[tuple[int, int]]) -> dict[tuple[int, int], tuple[str, ...]]:
    """For each (offer, want) pair, the agencies whose current decision approves it or
    that introduced it (registered into ``matching.reviews`` by ``AgencyConfig.ready``)."""
    wanted = set(pairs)
    if not wanted:
        return {}
    offers = {offer for offer, _want in wanted}
    wants = {want for _offer, want in wanted}
    current: dict[tuple[int, int, int], str] = {}
    names: dict[int, str] = {}
    for agency_id, name, offer, want, decision in (
        Decision.objects.filter(offer_id__in=offers, want_id__in=wants)
        .order_by("agency_id", "offer_id", "want_id", "-decided_at", "-id")
        .values_list("agency_id", "agency__name", "offer_id", "want_id", "decision")
    ):
        if (offer, want) in wanted:
            current.setdefault((agency_id, offer, want), decision)
            names[agency_id] = name
    found: dict[tuple[int, int], set[str]] = {}
    for (agency_id, offer, want), decision in current.items():
        if decision == Decision.Verdict.APPROVE:
            found.setdefault((offer, want), set()).add(names[agency_id])
    for name, offer, want in Introduction.objects.filter(
            offer_id__in=offers, want_id__in=wants).values_list("agency__name", "offer_id",
                                                                "want_id"):
        if (offer, want) in wanted:
            found.setdefault((offer, want), set()).add(name)
    return {pair: tuple(sorted(agencies)) for pair, agencies in found.items()}


def decision_current_map(*, agency: Agency, pairs: Iterable[tuple[int, int]]
                         ) -> dict[tuple[int, int], Decision]:
    """The agency's current (latest) decision on each of the pairs that has one."""
    wanted = set(pairs)
    if not wanted:
        return {}
    found: dict[tuple[int, int], Decision] = {}
    for decision in (Decision.objects.filter(
            agency=agency, offer_id__in={o for o, _w in wanted},
            want_id__in={w for _o, w in wanted}).select_related("decided_by")
            .order_by("offer_id", "want_id", "-decided_at", "-id")):
        pair = (decision.offer_id, decision.want_id)
        if pair in wanted:
            found.setdefault(pair, decision)
    return found


# --- staff, firms and the region's exchanges (FIRMS area) --------------------------------


def staff_role(*, user: User, agency: Agency) -> str | None:
    """The user's role at the agency ('reviewer', 'manager') or None."""
    if not user.is_authenticated:
        return None
    return (AgencyMembership.objects.filter(user=user, agency=agency)
            .values_list("role", flat=True).first())


def is_manager(*, user: User, agency: Agency) -> bool:
    return staff_role(user=user, agency=agency) == AgencyMembership.Role.MANAGER


def staff_membership_list_for_agency(*, agency: Agency) -> QuerySet[AgencyMembership]:
    """The agency's staff with their roles (the staff page)."""
    return (AgencyMembership.objects.filter(agency=agency).select_related("user")
            .order_by("user__full_name", "user__email"))


def staff_invitation_list_open(*, agency: Agency) -> QuerySet[StaffInvitation]:
    """Invitations neither accepted nor revoked (expired ones included, marked so)."""
    return (StaffInvitation.objects.filter(agency=agency, accepted_at__isnull=True,
                                           revoked_at__isnull=True)
            .select_related("invited_by"))


def staff_invitation_for_token(*, token: str) -> StaffInvitation | None:
    return (StaffInvitation.objects.select_related("agency", "invited_by")
            .filter(token_hash=StaffInvitation.hash_token(token)).first())


def staff_action_list(*, agency: Agency, user_id: int | str | None = None,
                      kind: str = "") -> QuerySet[StaffAction]:
    """What the agency's staff did, newest first."""
    actions = StaffAction.objects.filter(agency=agency).select_related(
        "user", "company", "listing", "region")
    if user_id:
        actions = actions.filter(user_id=user_id)
    if kind:
        actions = actions.filter(kind=kind)
    return actions


def firm_list_for_agency(*, agency: Agency, search: str = "", sector: str = "",
                         verified: str = "") -> QuerySet[Company]:
    """The firms with a site in the agency's regions, with their site and listing counts.

    ``sector`` is a NACE prefix (division "24" or class "24.10"); ``verified`` is "yes"
    or "no" (anything else: both).
    """
    regions = region_list_for_agency(agency=agency)
    firms = company_list_in_regions(regions=regions)
    if search:
        firms = firms.filter(Q(name__icontains=search) | Q(sites__city__icontains=search))
    if sector:
        firms = firms.filter(nace_code__startswith=sector)
    if verified in ("yes", "no"):
        firms = firms.filter(verified=verified == "yes")
    inside = site_list_in_regions(regions=regions)
    return (
        Company.objects.filter(pk__in=firms.values("pk"))
        .annotate(
            site_count=Count("sites", filter=Q(sites__in=inside), distinct=True),
            offer_count=Count("listings", filter=Q(listings__kind="offer",
                                                   listings__status="active"), distinct=True),
            want_count=Count("listings", filter=Q(listings__kind="want",
                                                  listings__status="active"), distinct=True),
        )
        .select_related("verified_by")
        .order_by("name", "pk")
    )


def firm_get_for_agency(*, agency: Agency, pk: int | str) -> Company | None:
    """A firm of the agency's regions, or None (outside them: not found)."""
    return firm_list_for_agency(agency=agency).filter(pk=pk).first()


def listing_list_for_agency(*, agency: Agency, company: Company | None = None
                            ) -> QuerySet[Listing]:
    """Listings at sites in the agency's regions (a firm's sites elsewhere stay out)."""
    listings = Listing.objects.filter(
        in_regions_q(regions=region_list_for_agency(agency=agency), site_path="site"))
    if company is not None:
        listings = listings.filter(company=company)
    return listings.select_related("company", "site").order_by("-updated_at", "-id")


def _pair_in_regions(agency: Agency, prefix: str) -> Q:
    # A pair is the agency's when either listing's site lies in one of its regions: a
    # match across two regions belongs to both agencies.
    regions = region_list_for_agency(agency=agency)
    return (in_regions_q(regions=regions, site_path=f"{prefix}offer__site")
            | in_regions_q(regions=regions, site_path=f"{prefix}want__site"))


def contact_list_for_agency(*, agency: Agency, company: Company | None = None
                            ) -> QuerySet[Contact]:
    """Contacts about a pair with a site in the agency's regions (parties and stage only:
    callers never show their messages or attachments)."""
    contacts = Contact.objects.filter(_pair_in_regions(agency, ""))
    if company is not None:
        contacts = contacts.filter(Q(requester=company) | Q(recipient=company))
    return contacts.select_related(
        "requester", "recipient", "offer", "want", "introduced_by").order_by("-updated_at", "-id")


def agreement_list_for_agency(*, agency: Agency, company: Company | None = None
                              ) -> QuerySet[Agreement]:
    """Agreements of the region's contacts (state only, never terms or prices)."""
    agreements = Agreement.objects.filter(_pair_in_regions(agency, "contact__"))
    if company is not None:
        agreements = agreements.filter(
            Q(contact__requester=company) | Q(contact__recipient=company))
    return agreements.select_related(
        "contact__requester", "contact__recipient", "contact__offer", "contact__want",
    ).order_by("-updated_at", "-id")


def delivery_list_for_agency(*, agency: Agency, company: Company | None = None
                             ) -> QuerySet[Delivery]:
    """Deliveries under the region's agreements."""
    deliveries = Delivery.objects.filter(_pair_in_regions(agency, "agreement__contact__"))
    if company is not None:
        deliveries = deliveries.filter(
            Q(agreement__contact__requester=company) | Q(agreement__contact__recipient=company))
    return deliveries.select_related(
        "company", "agreement__contact__requester", "agreement__contact__recipient",
        "agreement__contact__offer",
    ).order_by("-date", "-id")


@dataclass(frozen=True)
class ActivityRow:
    """One thing a member of staff did, from the activity log or the review records."""

    at: object  # datetime
    user: User | None
    kind: str
    what: str
    about: str
    company: Company | None = None
    pair: tuple[int, int] | None = None


# The review records' kinds on the staff activity page, beside StaffAction's own.
REVIEW_KINDS = {
    "decided": gettext_lazy("decided on a match"),
    "noted": gettext_lazy("noted on a match"),
    "assigned": gettext_lazy("assigned a match"),
    "introduced": gettext_lazy("introduced two firms"),
}


def _pair_text(record) -> str:
    return f"{record.offer.title} → {record.want.title}"


def staff_activity(*, agency: Agency, user_id: int | str | None = None, kind: str = "",
                   limit: int = 500) -> list[ActivityRow]:
    """Who did what and when at the agency, newest first: the activity log
    (verifications, on-behalf edits, invitations, role and region changes) and the review
    records (decisions, notes, assignments, introductions); at most ``limit`` of each."""
    rows: list[ActivityRow] = []
    if not kind or kind in StaffAction.Kind.values:
        for a in staff_action_list(agency=agency, user_id=user_id, kind=kind)[:limit]:
            rows.append(ActivityRow(at=a.at, user=a.user, kind=a.kind,
                                    what=a.get_kind_display(), about=a.detail,
                                    company=a.company))
    sources = {
        "decided": (Decision, "decided_by", "decided_at"),
        "noted": (ReviewNote, "author", "created_at"),
        "assigned": (Assignment, "assigned_by", "assigned_at"),
        "introduced": (Introduction, "introduced_by", "introduced_at"),
    }
    for name, (model, who, when) in sources.items():
        if kind and kind != name:
            continue
        related = [who, "offer", "want"] + (["assigned_to"] if model is Assignment else [])
        records = model.objects.filter(agency=agency).select_related(
            *related).order_by(f"-{when}", "-id")
        if user_id:
            records = records.filter(**{f"{who}_id": user_id})
        for r in records[:limit]:
            what = str(REVIEW_KINDS[name])
            if name == "decided":
                what = f"{what}: {r.get_decision_display().lower()}"
            elif name == "assigned" and r.assigned_to_id:
                what = f"{what} → {r.assigned_to.get_full_name()}"
            rows.append(ActivityRow(at=getattr(r, when), user=getattr(r, who), kind=name,
                                    what=what, about=_pair_text(r),
                                    pair=(r.offer_id, r.want_id)))
    rows.sort(key=lambda row: row.at, reverse=True)
    return rows


def on_behalf_entries(listing_id: int):
    """The listing's entries by agency staff on the firm's behalf, oldest first (the
    source ``matching.authorship`` reads for the firm's listing page)."""
    from matching.authorship import OnBehalfEntry

    actions = (StaffAction.objects.filter(
        listing_id=listing_id,
        kind__in=[StaffAction.Kind.LISTING_CREATED, StaffAction.Kind.LISTING_UPDATED])
        .select_related("agency", "user").order_by("at", "id"))
    return [OnBehalfEntry(agency=a.agency.name,
                          person=a.user.get_full_name() if a.user else "",
                          created=a.kind == StaffAction.Kind.LISTING_CREATED, at=a.at)
            for a in actions]
