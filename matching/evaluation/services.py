"""Run the production matcher on a benchmark in a store that is thrown away afterwards.

Isolation: each run happens inside one ``transaction.atomic()`` block on the configured
database that is always rolled back. Inside it, listings already in the database are
paused (so they neither compete nor lose their matches), the benchmark's firms, sites and
listings are created through the ordinary services (``site_create``, ``listing_create``),
``match_rematch_all`` stores every match, the ranks are read from the ``Match`` rows, and
the rollback removes every trace. Matching jobs that the services queue "on commit" are
discarded with the rollback, so no worker ever sees these rows, and the run's fitted model
is never stored (``store=False``), so it never becomes the portal's. On PostgreSQL the run
holds row locks on the paused listings until it ends (seconds): run it on a copy or at a
quiet time if the database is live.
"""

from __future__ import annotations

import logging
import random
import re
import time
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field, replace
from decimal import Decimal

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction

from accounts.models import Company, Site
from accounts.services import site_create
from matching import catalogue
from matching.engine import Knowledge, ranker_version
from matching.evaluation.benchmark import OFFER, WANT, BenchListing, PairsFile
from matching.evaluation.distractors import DistractorGenerator, random_point
from matching.evaluation.metrics import hit_rank, summarise
from matching.models import Listing, Match
from matching.services import listing_create, match_rematch_all
from matching.services.rematch import material_fit_floor

log = logging.getLogger(__name__)

AS_GIVEN, COLOCATED = "as_given", "colocated"
# Locations as given: the largest transport distance a listing may state, so that no
# documented pair is lost to a transport limit and distance still counts in the score.
AS_GIVEN_MAX_KM = 2000.0
# Co-located: every listing within 40 km of one centre; 80 km reaches across the disc.
COLOCATED_RADIUS_KM = 40.0
COLOCATED_MAX_KM = 80.0
COLOCATED_CENTRE = (51.0, 10.0)
# Distractors placed "as given" sit within this distance of a pair's listing.
DISTRACTOR_RADIUS_KM = 40.0

_NACE = re.compile(r"^\d{2}(\.\d{1,2})?$")
_COUNTRY = re.compile(r",\s*([A-Z]{2})\s*$")


@dataclass(frozen=True)
class Evaluation:
    """Figures of one run over both placements."""

    name: str
    pairs: int
    distractors: int
    figures: dict[str, dict[str, float]]  # placement → recall@1/5/10, mrr
    ranks: dict[str, dict[str, dict[str, int]]]  # placement → pair id → {"want", "offer"}
    seconds: float = 0.0
    components: str = ""
    titles: dict[str, tuple[str, str]] = field(default_factory=dict)  # pair id → titles
    # The quality floor the figures were taken at: a partner below it counts as not found.
    floor: float = 0.0
    # Matches a pair's listing shows (at most MATCH_TOP_K), averaged: placement → figure.
    shown: dict[str, float] = field(default_factory=dict)
    # Other floors (``floors=``): floor → placement → figures and "shown".
    sweep: dict[float, dict[str, dict[str, float]]] = field(default_factory=dict)

    def as_json(self) -> dict:
        """The ``--json`` shape: both placements' figures, co-located ranks."""
        out = {
            AS_GIVEN: self.figures[AS_GIVEN],
            COLOCATED: self.figures[COLOCATED],
            "pairs": self.pairs,
            "distractors": self.distractors,
            "floor": self.floor,
            "shown_per_listing": self.shown,
            "ranks": self.ranks[COLOCATED],
        }
        if self.sweep:
            out["floors"] = {f"{floor:g}": figures for floor, figures in self.sweep.items()}
        return out


def distractors_generate(
    *, n: int, seed: int, anchors: Sequence[tuple[float, float]] = ()
) -> list[BenchListing]:
    """``n`` generated distractors near ``anchors`` (deterministic by seed)."""
    if n <= 0:
        return []
    generator = DistractorGenerator(knowledge=catalogue.knowledge(), nace=catalogue.nace_titles())
    kwargs = {"anchors": list(anchors)} if anchors else {}
    return generator.generate(n, seed=seed, radius_km=DISTRACTOR_RADIUS_KM, **kwargs)


def colocate(
    listings: Sequence[BenchListing], *, seed: int, centre: tuple[float, float] = COLOCATED_CENTRE
) -> list[BenchListing]:
    """Every listing moved to a seeded uniform random point within 40 km of ``centre``."""
    rng = random.Random(f"colocate:{seed}")
    moved = []
    for listing in listings:
        lat, lon = random_point(rng, centre, COLOCATED_RADIUS_KM)
        moved.append(replace(listing, lat=lat, lon=lon))
    return moved


def evaluate_matcher(
    *,
    pairs: PairsFile,
    distractors: Sequence[BenchListing] = (),
    seed: int = 0,
    components: str | None = None,
    blocking: bool = True,
    semantic: str | None = None,
    ranker=catalogue.CURRENT,
    floor: float | None = None,
    floors: Iterable[float] = (),
) -> Evaluation:
    """Rank every pair's partner among all listings, as given and co-located.

    What a firm sees is measured: matches below the quality ``floor`` (default
    ``MATCH_MIN_MATERIAL_FIT``) are not stored, so a partner below it counts as not found.
    ``floors`` also reports the figures at other floors (from the same run: every pair
    is kept, so reading the stored matches above a floor is what storing at it gives).

    Scoring options are arguments, for ablations: ``components`` (e.g. ``"text,taxonomy"``;
    default ``settings.MATCH_COMPONENTS``), ``blocking=False`` switches the material-block
    rule off, ``semantic`` names the embeddings backend (default ``SEMANTIC_BACKEND``),
    ``ranker`` gives the final score (a ``LearnedRanker``, ``None`` for the hand-set
    weights; by default the ranker in use).
    The run's model is scored with them and never stored, so the portal's current model
    is untouched.
    The listings are created once; for the co-located run their sites are moved and their
    transport distance set, in the same rolled-back transaction.
    """
    started = time.perf_counter()
    floor = material_fit_floor(floor)
    every_floor = sorted({floor, *(float(f) for f in floors)})
    sides = [p.offer for p in pairs.pairs] + [p.want for p in pairs.pairs]
    everything = sides + list(distractors)
    moved = colocate(everything, seed=seed)
    figures, ranks, shown = {}, {}, {}
    at: dict[float, dict[str, dict]] = {f: {} for f in every_floor}
    knowledge = catalogue.scoring_knowledge(components=components, blocking=blocking,
                                            semantic=semantic, ranker=ranker)
    with transaction.atomic():
        try:
            # Listings already in the database take no part (and keep their matches).
            Listing.objects.filter(status=Listing.Status.ACTIVE).update(
                status=Listing.Status.PAUSED
            )
            # Listing i < n is pair i's offer, n + i its want; the rest are distractors.
            n_pairs = len(pairs.pairs)
            partner_codes = [""] * n_pairs + [p.offer.ewc_code for p in pairs.pairs]
            partner_codes += [""] * (len(everything) - len(partner_codes))
            created = [
                _create(i, item, max_km=AS_GIVEN_MAX_KM, partner_code=partner_codes[i])
                for i, item in enumerate(everything)
            ]
            ids = [listing.id for listing in created]
            # Benchmark listings: their pairs are never labels for the learned ranker.
            Listing.objects.filter(id__in=ids).update(benchmark=True)
            _rank_floors(at, AS_GIVEN, pairs, everything, ids, knowledge=knowledge)
            sites = []
            for listing, item in zip(created, moved, strict=True):
                listing.site.latitude, listing.site.longitude = item.lat, item.lon
                sites.append(listing.site)
            Site.objects.bulk_update(sites, ["latitude", "longitude"], batch_size=500)
            Listing.objects.filter(id__in=ids).update(max_distance_km=COLOCATED_MAX_KM)
            _rank_floors(at, COLOCATED, pairs, everything, ids, knowledge=knowledge)
        finally:
            transaction.set_rollback(True)
    sweep: dict[float, dict[str, dict[str, float]]] = {}
    for level, placements in at.items():
        for placement, (placement_ranks, placement_shown) in placements.items():
            summary = summarise(
                r for pair_ranks in placement_ranks.values() for r in pair_ranks.values()
            )
            sweep.setdefault(level, {})[placement] = {**summary, "shown": placement_shown}
            if level == floor:
                ranks[placement], figures[placement] = placement_ranks, summary
                shown[placement] = placement_shown
    return Evaluation(
        name=pairs.name,
        pairs=len(pairs.pairs),
        distractors=len(distractors),
        figures=figures,
        ranks=ranks,
        seconds=time.perf_counter() - started,
        components=(components or "") + ("" if blocking else " (no blocking)")
        + (f" (ranker {ranker_version(knowledge.config.ranker)})"
           if knowledge.config.ranker is not None else ""),
        titles={p.id: (p.offer.title, p.want.title) for p in pairs.pairs},
        floor=floor,
        shown=shown,
        sweep=sweep if len(every_floor) > 1 else {},
    )


def _rank_floors(
    at: dict[float, dict[str, dict]], placement: str, pairs: PairsFile,
    listings: Sequence[BenchListing], ids: Sequence[int], *, knowledge: Knowledge,
) -> None:
    """Match everything once, stored at the lowest floor, and rank at every floor."""
    floors = sorted(at)
    match_rematch_all(k=len(ids), knowledge=knowledge, store=False, floor=floors[0])
    rows = list(Match.objects.filter(offer_id__in=ids)
                .values_list("offer_id", "want_id", "score", "components"))
    for level in floors:
        kept = [(o, w, s) for o, w, s, c in rows if c.get("material", 1.0) >= level]
        at[level][placement] = (_rank(pairs, listings, ids, kept),
                                _shown(pairs, ids, kept))


def _shown(pairs: PairsFile, ids: Sequence[int], rows: Sequence[tuple[int, int, float]]
           ) -> float:
    """Matches each pair's offer and want would show (at most ``MATCH_TOP_K``), averaged."""
    n = len(pairs.pairs)
    counts = dict.fromkeys(ids[: 2 * n], 0)
    for offer_id, want_id, _score in rows:
        for pk in (offer_id, want_id):
            if pk in counts:
                counts[pk] += 1
    top_k = settings.MATCH_TOP_K
    return sum(min(c, top_k) for c in counts.values()) / max(len(counts), 1)


def _rank(
    pairs: PairsFile, listings: Sequence[BenchListing], ids: Sequence[int],
    rows: Sequence[tuple[int, int, float]],
) -> dict[str, dict[str, int]]:
    """Rank each pair's partner among the stored matches ``rows`` (offer, want, score)."""
    n_pairs = len(pairs.pairs)
    kinds = [item.kind for item in listings]
    n_offers, n_wants = kinds.count(OFFER), kinds.count(WANT)
    offer_ids = ids[:n_pairs]
    want_ids = ids[n_pairs : 2 * n_pairs]
    by_group: dict[str, list[int]] = defaultdict(list)
    for pair_index, pair in enumerate(pairs.pairs):
        by_group[pair.group].append(pair_index)
    for_want: dict[int, dict[int, float]] = defaultdict(dict)
    for_offer: dict[int, dict[int, float]] = defaultdict(dict)
    for offer_id, want_id, score in rows:
        for_want[want_id][offer_id] = score
        for_offer[offer_id][want_id] = score
    ranks = {}
    for pair_index, pair in enumerate(pairs.pairs):
        group = by_group[pair.group]
        ranks[pair.id] = {
            "want": hit_rank(
                for_want[want_ids[pair_index]], {offer_ids[j] for j in group}, n_offers
            ),
            "offer": hit_rank(
                for_offer[offer_ids[pair_index]], {want_ids[j] for j in group}, n_wants
            ),
        }
    return ranks


def _create(i: int, item: BenchListing, *, max_km: float, partner_code: str) -> Listing:
    """Firm, site and listing of one benchmark listing."""
    company = Company(name=f"Evaluation firm {i + 1}", nace_code=_nace(item.sector))
    company.full_clean()
    company.save()
    match = _COUNTRY.search(item.location_name)
    site = site_create(
        company=company,
        name=f"Site {i + 1}",
        city=(item.location_name or "Unknown")[:120],
        country=match.group(1) if match else "ZZ",
        latitude=item.lat,
        longitude=item.lon,
        limited=False,
    )
    kb = catalogue.knowledge()
    code = item.ewc_code if item.ewc_code in kb.ewc else ""
    data = {
        "kind": item.kind,
        "site": site,
        "title": item.title[:200],
        "description": item.description,
        "ewc_code": code,
        "max_distance_km": max_km,
    }
    if item.kind == WANT:
        # A documented taker of a hazardous material held the permit to take it.
        data["accepts_hazardous"] = kb.is_hazardous(code) or kb.is_hazardous(partner_code)
    quantity = _quantity(item)
    try:
        listing = listing_create(company=company, user=None, data={**data, **quantity})
    except ValidationError:
        if not quantity:
            raise
        # A quantity the product would refuse (e.g. MW per year) is dropped, not fatal.
        listing = listing_create(company=company, user=None, data=data)
    return listing


def _nace(sector: str) -> str:
    return sector if _NACE.match(sector or "") else ""


def _quantity(item: BenchListing) -> dict:
    if item.quantity is None or item.unit not in Listing.Unit.values or item.quantity >= 1e10:
        return {}
    frequency = item.frequency if item.frequency in Listing.Frequency.values else "yearly"
    return {
        "quantity": Decimal(str(round(item.quantity, 3))),
        "unit": item.unit,
        "frequency": frequency,
    }
