"""Issue 19, anonymity that survives probing: site placements are limited per firm, and an
attacker using every placement the limit allows cannot locate a counterpart's site more
finely than the 2 km snapping grid of ``matching.disclosure``."""

from __future__ import annotations

import numpy as np
import pytest
from django.urls import reverse

from accounts.models import Site
from matching import disclosure
from matching.engine.geo import haversine_km
from tests.api.conftest import client_for
from tests.exchanges.factories import MatchFactory
from tests.factories import ListingFactory

pytestmark = pytest.mark.django_db

LIMIT = 10


@pytest.fixture(autouse=True)
def _limit(settings):
    settings.SITE_PLACEMENTS_PER_DAY = LIMIT


def _site(lat: float, lon: float, n: int = 0) -> dict:
    return {"name": f"Probe {n}", "city": "Pori", "country": "FI",
            "latitude": lat, "longitude": lon}


def test_api_refuses_a_site_past_the_daily_placements_with_429(owner):
    api = client_for(owner.user)
    for n in range(LIMIT):
        assert api.post(reverse("api:site-list"), _site(61.4, 21.8, n), format="json"
                        ).status_code == 201
    response = api.post(reverse("api:site-list"), _site(61.4, 21.8, 99), format="json")
    assert response.status_code == 429
    assert int(response.headers["Retry-After"]) > 23 * 3600
    error = response.json()["error"]
    assert error["code"] == "throttled" and f"placed {LIMIT} sites" in error["message"]
    assert Site.objects.filter(company=owner.company).count() == LIMIT + 1  # + the fixture's


def test_moving_a_site_counts_and_renaming_it_does_not(owner):
    api = client_for(owner.user)
    url = reverse("api:site-detail", args=[owner.site.pk])
    for n in range(LIMIT):
        moved = api.patch(url, {"latitude": 61.40 + n / 100, "longitude": 21.8}, format="json")
        assert moved.status_code == 200, moved.json()
    # A change that leaves the coordinates alone is no probe: it is not counted or refused.
    assert api.patch(url, {"name": "Harbour works"}, format="json").status_code == 200
    refused = api.patch(url, {"latitude": 61.0, "longitude": 21.0}, format="json")
    assert refused.status_code == 429
    owner.site.refresh_from_db()
    assert owner.site.latitude == pytest.approx(61.49) and owner.site.name == "Harbour works"


def test_limit_is_per_firm(owner, partner):
    for n in range(LIMIT):
        client_for(owner.user).post(reverse("api:site-list"), _site(61.4, 21.8, n),
                                    format="json")
    assert client_for(partner.user).post(
        reverse("api:site-list"), _site(61.2, 21.5), format="json").status_code == 201


def test_site_form_past_the_limit_says_why(client, owner, settings):
    settings.SITE_PLACEMENTS_PER_DAY = 1
    client.force_login(owner.user)
    form = {"name": "Probe", "address": "", "city": "Pori", "country": "FI",
            "latitude": "61.40", "longitude": "21.80"}
    assert client.post(reverse("accounts:site_create"), form).status_code == 302
    page = client.post(reverse("accounts:site_create"), {**form, "name": "Probe 2"})
    assert page.status_code == 200
    assert "placed 1 sites (created or moved) in the last 24 hours" in page.content.decode()
    assert not Site.objects.filter(name="Probe 2").exists()


def test_zero_turns_the_limit_off(owner, settings):
    settings.SITE_PLACEMENTS_PER_DAY = 0
    api = client_for(owner.user)
    codes = {api.post(reverse("api:site-list"), _site(61.4, 21.8, n), format="json"
                      ).status_code for n in range(LIMIT + 2)}
    assert codes == {201}


# --- the attacker ----------------------------------------------------------------------------

KM_LAT = 111.32


def _lattice(centre: tuple[float, float], half_km: float, step_km: float) -> np.ndarray:
    """Candidate positions (lat, lon) on a square lattice around ``centre``."""
    lat0, lon0 = centre
    km_lon = KM_LAT * np.cos(np.radians(lat0))
    offsets = np.arange(-half_km, half_km + 1e-9, step_km)
    dy, dx = np.meshgrid(offsets, offsets, indexing="ij")
    return np.column_stack([lat0 + dy.ravel() / KM_LAT, lon0 + dx.ravel() / km_lon])


def _snapped(points: np.ndarray) -> np.ndarray:
    return np.array([disclosure.snap(lat, lon) for lat, lon in points])


def _bands(probe: tuple[float, float], snapped_candidates: np.ndarray) -> np.ndarray:
    """The band low edge each candidate would show from ``probe`` (the public rule)."""
    plat, plon = disclosure.snap(*probe)
    km = haversine_km(plat, plon, snapped_candidates[:, 0], snapped_candidates[:, 1])
    return np.where(km < 50, np.floor(km / 5) * 5, np.floor(km / 10) * 10)


def _best_probe(feasible: np.ndarray, snapped: np.ndarray, options: np.ndarray
                ) -> tuple[float, float]:
    """The probe whose answer leaves the fewest candidates in the worst case (greedy)."""
    best, best_worst = None, None
    for option in options:
        _, counts = np.unique(_bands(tuple(option), snapped[feasible]), return_counts=True)
        worst = counts.max()
        if best_worst is None or worst < best_worst:
            best, best_worst = tuple(option), worst
    return best


def _attack(truth_site: Site, observe, placements: int) -> np.ndarray:
    """Probe ``placements`` times, each where it splits the candidates best; what is left.

    ``observe(probe) -> band low edge`` is the oracle. The attacker knows the target is
    within 20 km of a point 6 km off it (the area name tells about that much).
    """
    km_lon = KM_LAT * np.cos(np.radians(truth_site.latitude))
    prior = (truth_site.latitude + 4 / KM_LAT, truth_site.longitude - 4.5 / km_lon)
    candidates = _lattice(prior, half_km=20, step_km=0.25)
    snapped = _snapped(candidates)
    feasible = np.ones(len(candidates), dtype=bool)
    rng = np.random.default_rng(19)
    for _ in range(placements):
        centre = candidates[feasible].mean(axis=0)
        spread = max(np.ptp(candidates[feasible][:, 0]) * KM_LAT, 2.0)
        # Options around the remaining candidates, from far (a band edge cuts them) to near.
        radius = rng.uniform(0, spread + 12, size=120)
        angle = rng.uniform(0, 2 * np.pi, size=120)
        options = np.column_stack([centre[0] + radius * np.sin(angle) / KM_LAT,
                                   centre[1] + radius * np.cos(angle) / km_lon])
        probe = _best_probe(feasible, snapped, options)
        answer = observe(probe)
        feasible &= _bands(probe, snapped) == answer
    return candidates[feasible]


def _diameter_km(points: np.ndarray) -> float:
    lat, lon = points[:, 0], points[:, 1]
    return float(haversine_km(lat[:, None], lon[:, None], lat[None, :], lon[None, :]).max())


def test_attacker_with_every_allowed_placement_cannot_beat_the_grid(owner, partner):
    """B probes with sites through the API until refused and reads the bands the API shows."""
    target = owner.site
    api = client_for(partner.user)
    # B's want at each probe site is matched with A's offer (what the rematch would do).
    probe_company = partner.company
    placements = []

    def observe(probe: tuple[float, float]) -> int:
        response = api.post(reverse("api:site-list"), _site(*probe, len(placements)),
                            format="json")
        if response.status_code == 429:
            raise LimitReached
        assert response.status_code == 201, response.json()
        site = Site.objects.get(pk=response.json()["id"])
        want = ListingFactory(company=probe_company, site=site, kind="want")
        match = MatchFactory(offer=owner.listing, want=want)
        placements.append(probe)
        shown = api.get(reverse("api:match-detail", args=[match.pk])).json()
        return shown["distance_band_km"][0]

    left = _attack(target, observe, placements=LIMIT)
    assert len(placements) == LIMIT
    # One placement more is refused: the attacker has had all it gets today.
    with pytest.raises(LimitReached):
        observe((target.latitude, target.longitude))

    # The truth is among what is left, and so is the whole grid cell around it: every point
    # of the cell answers every probe alike, so nothing separates the site from its cell.
    truth = np.array([[target.latitude, target.longitude]])
    assert (np.abs(left - truth).sum(axis=1) < 0.004).any()
    cell = disclosure.snap(target.latitude, target.longitude)
    in_cell = _lattice(cell, half_km=0.9, step_km=0.3)
    for probe in placements:
        assert len(set(_bands(probe, _snapped(in_cell)))) == 1
    assert _diameter_km(left) >= disclosure.GRID_KM * 0.9
    # ... and the attacker is no straw man: from a 40 km square it got down to about a cell.
    assert _diameter_km(left) < 2 * disclosure.GRID_KM


def test_the_same_attacker_pins_a_site_down_from_exact_distances(owner):
    """Control: with distances to the metre (the old leak) four probes find the site."""
    target = owner.site

    def observe_exactly(probe: tuple[float, float]) -> float:
        return float(haversine_km(*probe, target.latitude, target.longitude))

    km_lon = KM_LAT * np.cos(np.radians(target.latitude))
    prior = (target.latitude + 4 / KM_LAT, target.longitude - 4.5 / km_lon)
    candidates = _lattice(prior, half_km=20, step_km=0.25)
    feasible = np.ones(len(candidates), dtype=bool)
    for bearing in (0, 100, 220, 300):
        probe = (prior[0] + 15 * np.sin(np.radians(bearing)) / KM_LAT,
                 prior[1] + 15 * np.cos(np.radians(bearing)) / km_lon)
        km = haversine_km(*probe, candidates[:, 0], candidates[:, 1])
        feasible &= np.abs(km - observe_exactly(probe)) < 0.2
    assert 0 < feasible.sum() and _diameter_km(candidates[feasible]) < 0.6


class LimitReached(Exception):
    pass

