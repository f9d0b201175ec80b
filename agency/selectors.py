"""Reads for agency staff: which agency a user acts for, what lies in its regions, and
the review queue (the region's matches with the agency's own decisions on them)."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from types import SimpleNamespace

from django.db.models import Exists, OuterRef, Q, QuerySet, Subquery

from accounts.models import Agency, Region, User
from accounts.selectors import agency_list_for_user
from agency.impact.factors import Factor, avoided_factor
from agency.models import Assignment, Decision, Introduction, ReviewNote
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
