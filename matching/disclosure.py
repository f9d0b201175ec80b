"""What one firm may see of another's listing and of a match between them: the core rules.

The disclosure rules (../shared/DESIGN.md, "Disclosure"): a counterpart is a sector (NACE
division) and an area (the town, or the region where fewer than three firms of that
division are in the town); distances come from sites snapped to a 2 km grid, in bands of
5 km below 50 km and 10 km above; score, components and coverage are rounded to 0.05; the
quantity is exact or banded as the owner chose. Exact values (``Match.distance_km``,
``Match.score``, the town) stay inside the app. ``exchanges.visibility`` builds on this
module and adds what an accepted contact reveals; matching cannot import exchanges, so the
owner's per-listing choice (public or anonymous, quantity exact or banded) reaches this
module through :func:`register_listing_policy`, which the exchanges app calls when ready.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field

from django.db.models import Q

from accounts.models import Agency, Company, Region, Site
from matching import catalogue
from matching.engine.geo import haversine_km
from matching.engine.quantity import UNITS
from matching.models import Listing, Match
from matching.quality import quality_compared

GRID_KM = 2.0
KM_PER_DEGREE = 111.32
SMALL_PLACE_FIRMS = 3
ROUND_TO = 0.05


# --- coarsening ------------------------------------------------------------------------


def snap(lat: float, lon: float) -> tuple[float, float]:
    """The centre of the 2 km grid cell holding a point (longitude cells widen with it)."""
    lat_step = GRID_KM / KM_PER_DEGREE
    row = math.floor(lat / lat_step)
    centre_lat = (row + 0.5) * lat_step
    lon_step = GRID_KM / (KM_PER_DEGREE * max(math.cos(math.radians(centre_lat)), 0.01))
    col = math.floor(lon / lon_step)
    return centre_lat, (col + 0.5) * lon_step


def snapped_distance_km(a: Site, b: Site) -> float:
    """Distance between two sites after snapping: what banding and range checks use."""
    return haversine_km(*snap(a.latitude, a.longitude), *snap(b.latitude, b.longitude))


def distance_band(km: float) -> tuple[int, int]:
    """(low, high) km: 5 km bands below 50 km, 10 km bands above."""
    if km < 50:
        low = int(km // 5) * 5
        return low, low + 5
    low = int(km // 10) * 10
    return low, low + 10


def band_label(band: tuple[int, int]) -> str:
    return f"{band[0]}–{band[1]} km"


def rounded(value: float | None) -> float | None:
    """Rounded to the nearest 0.05 (the precision a counterpart's figures are shown in)."""
    if value is None or not isinstance(value, int | float) or isinstance(value, bool):
        return None
    if math.isnan(value):
        return None
    return round(round(float(value) / ROUND_TO) * ROUND_TO, 2)


# The stored components each switch (``MATCH_COMPONENTS``) gives: a switched-off one is
# stored as 0 and would read as evidence against the pair.
_SWITCHED = {"text": ("text",), "taxonomy": ("ewc", "category", "taxonomy"),
             "pathway": ("pathway",), "semantic": ("semantic",)}


def components_off() -> frozenset[str]:
    """Stored component names of the score components that are switched off."""
    on = catalogue.knowledge().config.components
    return frozenset(name for switch, names in _SWITCHED.items() if switch not in on
                     for name in names)


def rounded_components(components: dict | None, *, off: frozenset[str] | None = None,
                       pair: tuple | None = None) -> dict[str, float]:
    """The numeric score components that are on, each rounded; anything else dropped.

    With the ``pair`` (offer, want), ``quality`` is dropped where no quality field is
    stated on both sides: its stored 1.0 then says nothing."""
    off = components_off() if off is None else off
    if pair is not None and not quality_compared(*pair):
        off = off | {"quality"}
    out: dict[str, float] = {}
    for key, value in (components or {}).items():
        value = rounded(value)
        if value is not None and key not in off:
            out[key] = value
    return out


_BANDS = (1, 2.5, 5)


def quantity_band(amount: float) -> tuple[float, float]:
    """A 1–2.5–5 band holding ``amount`` (e.g. 1,000–2,500)."""
    if amount <= 0:
        return 0.0, 0.0
    power = 10 ** math.floor(math.log10(amount))
    for low, high in zip(_BANDS, (*_BANDS[1:], 10), strict=True):
        if amount < high * power:
            return low * power, high * power
    return 10 * power, 25 * power  # pragma: no cover - the loop always returns


def number_text(value: float) -> str:
    return f"{value:,.3f}".rstrip("0").rstrip(".")


def quantity_text(listing: Listing, *, exact: bool) -> str:
    """The listing's quantity as a counterpart may read it."""
    if listing.quantity is None:
        return ""
    frequency = listing.get_frequency_display().lower()
    unit = UNITS[listing.unit][2] if listing.unit in UNITS else listing.unit
    if exact:
        return f"{number_text(float(listing.quantity))} {unit}, {frequency}"
    low, high = quantity_band(float(listing.quantity))
    return f"{number_text(low)}–{number_text(high)} {unit}, {frequency}"


def name_may_show(company: Company) -> bool:
    """Whether another firm may ever see this company's name (public listing, accepted
    contact): not while it is an unclaimed profile made from a public register (its
    name, site and contact details stay hidden until someone of the firm claims it;
    agency staff see it on their own pages)."""
    return bool(company.claimed)


def division(nace: str) -> str:
    return (nace or "")[:2]


def sector_name(company: Company) -> str:
    code = division(company.nace_code)
    if not code:
        return ""
    return catalogue.nace_titles().get(code, code)


def _region_or_country(site: Site, regions: Iterable[Region]) -> str:
    for region in regions:
        if region.country == site.country and region.contains(site.latitude, site.longitude):
            return region.name
    return site.country


def area_name(site: Site, company: Company) -> str:
    """The town, or the region (else the country) where the town has fewer than three
    firms of the company's NACE division: one firm of a kind in a town names itself."""
    return area_names([(site, company)])[(site.pk, division(company.nace_code))]


def area_names(places: Iterable[tuple[Site, Company]]) -> dict[tuple[int, str], str]:
    """:func:`area_name` for many (site, company) pairs in at most two queries.

    Keyed by (site id, NACE division) so that a page of matches reads them in bulk.
    """
    wanted = {(site.pk, division(company.nace_code)): site for site, company in places}
    if not wanted:
        return {}
    towns = Q(pk__in=[])
    for site in wanted.values():
        towns |= Q(city__iexact=site.city, country=site.country)
    firms: dict[tuple[str, str, str], set[int]] = {}
    for city, country, company_id, nace in (
        Site.objects.filter(towns).values_list("city", "country", "company_id",
                                               "company__nace_code").distinct()
    ):
        firms.setdefault((city.casefold(), country, division(nace)), set()).add(company_id)
    out: dict[tuple[int, str], str] = {}
    small = []
    for (site_id, code), site in wanted.items():
        count = len(firms.get((site.city.casefold(), site.country, code), ())) if code else 0
        if count >= SMALL_PLACE_FIRMS:
            out[(site_id, code)] = site.city
        else:
            small.append((site_id, code, site))
    if small:
        regions = list(Region.objects.filter(country__in={s.country for *_, s in small}))
        for site_id, code, site in small:
            out[(site_id, code)] = _region_or_country(site, regions)
    return out


_DISTANCE_IN_TEXT = re.compile(r"(?<=, )\d[\d,]*(?:\.\d)? km(?=,| \(|$)")
_COVERAGE_IN_TEXT = re.compile(r"covers (?:under )?(\d+)% of the need")


def coverage_phrase(share: float | None) -> str:
    """The covered share as a counterpart reads it: the stored ``quantity`` component
    rounded to 0.05, so the card's percentage is the rounded component's."""
    shown = rounded(share)
    if not shown:
        return "covers almost none of the need"
    return f"covers about {round(shown * 100)}% of the need"


def explanation_text(explanation: str, band: tuple[int, int], *,
                     quantity: float | None = None, viewer_offers: bool | None = None) -> str:
    """The engine's one-line explanation with the exact distance and share coarsened.

    ``quantity`` (the stored ``quantity`` component) gives the covered share; without it
    the share in the text is rounded. ``viewer_offers`` names the viewer's own transport
    range "your" (True: the viewer made the offer; False: the want).
    """
    text = _DISTANCE_IN_TEXT.sub(band_label(band), explanation)

    def coverage(m: re.Match) -> str:
        return coverage_phrase(int(m.group(1)) / 100 if quantity is None else quantity)

    text = _COVERAGE_IN_TEXT.sub(coverage, text)
    if viewer_offers is not None:
        own = "the offerer's" if viewer_offers else "the taker's"
        text = text.replace(f"; beyond {own} ", "; beyond your ").replace(
            f"(within {own} ", "(within your ")
    return text


# --- the owner's choice per listing --------------------------------------------------------

#: (public, exact quantity) per listing id; listings missing from the answer use the default.
ListingPolicy = Callable[[list[int]], dict[int, tuple[bool, bool]]]
DEFAULT_POLICY = (False, True)
_policy: ListingPolicy | None = None


def register_listing_policy(policy: ListingPolicy) -> None:
    """Let the app that stores the owner's choice (exchanges) answer for many listings."""
    global _policy
    _policy = policy


def listing_policies(listing_ids: Iterable[int]) -> dict[int, tuple[bool, bool]]:
    """(public, exact quantity) of each listing, in at most one query."""
    ids = sorted(set(listing_ids))
    found = _policy(ids) if _policy is not None and ids else {}
    return {pk: found.get(pk, DEFAULT_POLICY) for pk in ids}


# --- a match from one side ---------------------------------------------------------------


@dataclass(frozen=True)
class CounterpartView:
    """The other side of a match as the viewer may see it, and what joins them, coarsened:
    no firm name unless the listing is public, the area instead of the town, a distance
    band instead of kilometres, and rounded figures."""

    listing_id: int
    kind: str
    title: str
    description: str
    category: str
    ewc_code: str
    quantity: str
    sector: str
    area: str
    company: str
    band: tuple[int, int]
    score: float | None
    components: dict[str, float] = field(default_factory=dict)
    explanation: str = ""
    # Verified by an agency: the agency is named only where the firm's name is shown (an
    # agency of a small region would otherwise hint at who the anonymous firm is).
    verified: bool = False
    verified_by: str = ""
    # An estimate from a public register (``Listing.indicative``), not the firm's word.
    indicative: bool = False

    @property
    def distance(self) -> str:
        return band_label(self.band)

    @property
    def coverage(self) -> float | None:
        return self.components.get("quantity")


def verifying_agency_names(companies: Iterable[Company]) -> dict[int, str]:
    """Names of the agencies that verified these firms, by agency id, in one query."""
    ids = {c.verified_by_id for c in companies if c.verified and c.verified_by_id}
    return dict(Agency.objects.filter(pk__in=ids).values_list("pk", "name")) if ids else {}


def counterpart_views(
    matches: Iterable[Match], *, viewer: Company
) -> dict[int, CounterpartView]:
    """The counterpart of each match from ``viewer``'s side, keyed by match id.

    A fixed number of queries however many matches (their sites and companies must be
    loaded with them, as the matching selectors do).
    """
    matches = list(matches)
    others = {m.pk: (m.want if m.offer.company_id == viewer.id else m.offer) for m in matches}
    areas = area_names((o.site, o.company) for o in others.values())
    policies = listing_policies(o.pk for o in others.values())
    verifiers = verifying_agency_names(o.company for o in others.values())
    kb = catalogue.knowledge()
    off = components_off()
    out: dict[int, CounterpartView] = {}
    for match in matches:
        other = others[match.pk]
        public, exact = policies[other.pk]
        # An unclaimed profile never publishes its name, whatever its listings say.
        public = public and name_may_show(other.company)
        band = distance_band(snapped_distance_km(match.offer.site, match.want.site))
        out[match.pk] = CounterpartView(
            listing_id=other.pk,
            kind=other.kind,
            title=other.title,
            description=other.description,
            category=kb.category_name(other.category) if other.category else "",
            ewc_code=catalogue.ewc_display(other.ewc_code),
            quantity=quantity_text(other, exact=exact),
            sector=sector_name(other.company),
            area=(other.site.city if public
                  else areas[(other.site.pk, division(other.company.nace_code))]),
            company=other.company.name if public else "",
            band=band,
            score=rounded(match.score),
            components=rounded_components(match.components, off=off,
                                          pair=(match.offer, match.want)),
            explanation=explanation_text(match.explanation, band,
                                         quantity=(match.components or {}).get("quantity"),
                                         viewer_offers=other is match.want),
            verified=other.company.verified,
            verified_by=(verifiers.get(other.company.verified_by_id, "") if public else ""),
            indicative=other.indicative,
        )
    return out


def shown_score_floor(threshold: float) -> float:
    """The lowest exact score whose shown (rounded) score reaches ``threshold``: filters
    compare shown scores, so probing with thresholds learns nothing finer than the rounding."""
    steps = math.ceil(round(threshold / ROUND_TO, 9))
    return steps * ROUND_TO - ROUND_TO / 2
