"""The evaluation harness: file formats, metrics, distractors, placement and the command."""

from __future__ import annotations

import io
import json
from collections import Counter
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command

from accounts.models import Company, Site
from matching import catalogue, modelstore
from matching.engine import haversine_km
from matching.evaluation.benchmark import (
    BenchListing,
    BenchmarkError,
    load_distractors,
    load_pairs,
)
from matching.evaluation.distractors import DistractorGenerator
from matching.evaluation.metrics import hit_rank, summarise
from matching.evaluation.services import (
    COLOCATED_CENTRE,
    COLOCATED_RADIUS_KM,
    colocate,
    distractors_generate,
    evaluate_matcher,
)
from matching.models import Listing, Match

DATA = Path(__file__).parent / "data"
TINY = DATA / "tiny-pairs.json"


# --- metrics -------------------------------------------------------------------------


def test_a_hit_alone_at_the_top_ranks_first():
    assert hit_rank({1: 0.9, 2: 0.5, 3: 0.4}, {1}, n_counterparts=3) == 1


def test_ties_take_the_worst_rank_of_the_tie():
    # The hit (2) ties with two non-hits: it is counted behind both of them.
    assert hit_rank({1: 0.5, 2: 0.5, 3: 0.5, 4: 0.9}, {2}, n_counterparts=4) == 4
    assert hit_rank({1: 0.5, 2: 0.5, 4: 0.1}, {2}, n_counterparts=3) == 2


def test_hits_of_one_group_do_not_push_each_other_down():
    assert hit_rank({1: 0.8, 2: 0.8, 3: 0.8}, {1, 2}, n_counterparts=3) == 2
    assert hit_rank({1: 0.9, 2: 0.7, 3: 0.8}, {1, 2}, n_counterparts=3) == 1


def test_unscored_partner_ranks_after_every_scored_and_unscored_miss():
    # 10 counterparts, 2 of them scored misses, the hit not scored: behind all 9 misses.
    assert hit_rank({5: 0.2, 6: 0.1}, {1}, n_counterparts=10) == 10
    # A group of two unscored hits among 10: the first of them is behind the 8 misses.
    assert hit_rank({}, {1, 2}, n_counterparts=10) == 9


def test_summarise_recall_and_mrr():
    figures = summarise([1, 3, 7, 20])
    assert figures["recall@1"] == pytest.approx(0.25)
    assert figures["recall@5"] == pytest.approx(0.5)
    assert figures["recall@10"] == pytest.approx(0.75)
    assert figures["mrr"] == pytest.approx((1 + 1 / 3 + 1 / 7 + 1 / 20) / 4)
    assert summarise([]) == {"recall@1": 0.0, "recall@5": 0.0, "recall@10": 0.0, "mrr": 0.0}


# --- files ---------------------------------------------------------------------------


def test_pairs_file_with_nulls_loads():
    pairs = load_pairs(TINY)
    assert pairs.name == "tiny-pairs"
    assert [p.id for p in pairs.pairs] == ["T1", "T2", "T3"]
    t2 = pairs.pairs[1]
    assert t2.want.quantity is None and t2.want.unit == "" and t2.want.ewc_code == ""
    assert t2.offer.sector == "" and t2.offer.kind == "offer" and t2.want.kind == "want"
    assert pairs.pairs[0].offer.ewc_code == "100102"


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ("not json", "not valid JSON"),
        ('{"pairs": 3}', "'pairs' list"),
        ('{"pairs": [{"id": "A", "offer": {"title": "x"}, "want": {"title": "y"}}]}', "lat"),
        (
            '{"pairs": [{"id": "A", "offer": {"location": {"lat": 1, "lon": 2}},'
            ' "want": {"title": "y", "location": {"lat": 1, "lon": 2}}}]}',
            "title",
        ),
    ],
)
def test_malformed_pairs_file_says_where(tmp_path, content, message):
    path = tmp_path / "bad.json"
    path.write_text(content, encoding="utf-8")
    with pytest.raises(BenchmarkError, match=message):
        load_pairs(path)


def test_distractor_file_loads_with_kinds(tmp_path):
    path = tmp_path / "d.json"
    path.write_text(
        json.dumps(
            {
                "name": "d",
                "listings": [
                    {"kind": "offer", "title": "Steel slag", "location": {"lat": 1, "lon": 2}},
                    {
                        "kind": "want",
                        "title": "Slag",
                        "ewc_code": "10 02 02",
                        "location": {"lat": 1, "lon": 2},
                    },
                ],
            }
        ),
        encoding="utf-8",
    )
    listings = load_distractors(path)
    assert [item.kind for item in listings] == ["offer", "want"]
    assert listings[1].ewc_code == "100202"


# --- distractors and placement -------------------------------------------------------


@pytest.fixture(scope="module")
def generator():
    return DistractorGenerator(knowledge=catalogue.knowledge(), nace=catalogue.nace_titles())


def test_distractors_are_deterministic_by_seed(generator):
    first = generator.generate(60, seed=7)
    assert first == generator.generate(60, seed=7)
    assert first != generator.generate(60, seed=8)


def test_distractors_cover_energy_water_and_the_whole_list(generator):
    crowd = generator.generate(600, seed=1)
    kinds = Counter(item.kind for item in crowd)
    assert kinds["offer"] > kinds["want"] > 100
    words = " ".join(f"{item.title} {item.description}".lower() for item in crowd)
    for flow in ("heat", "steam", "co2", "process water", "cooling water", "°c", "bar"):
        assert flow in words
    chapters = {item.ewc_code[:2] for item in crowd if item.ewc_code}
    assert len(chapters) >= 15  # drawn from across the List of Waste
    sectors = {item.sector[:2] for item in crowd if item.sector}
    assert len(sectors) >= 25
    assert all(item.title and item.description for item in crowd)
    assert len({item.title for item in crowd}) > 400  # varied wording


def test_distractors_sit_near_their_anchors(generator):
    anchors = [(55.0, 10.0), (60.0, 25.0)]
    for item in generator.generate(50, seed=3, anchors=anchors, radius_km=40.0):
        assert min(haversine_km(item.lat, item.lon, *a) for a in anchors) <= 40.0 + 1e-6


def test_colocated_placement_is_within_40_km_of_one_centre_and_seeded():
    listings = [
        BenchListing(kind="offer", title=f"x{i}", lat=-30.0 + i, lon=100.0 - i) for i in range(300)
    ]
    moved = colocate(listings, seed=5)
    distances = [haversine_km(*COLOCATED_CENTRE, item.lat, item.lon) for item in moved]
    assert max(distances) <= COLOCATED_RADIUS_KM + 1e-6
    # Spread over the disc, not heaped at the centre.
    assert max(distances) > 0.9 * COLOCATED_RADIUS_KM
    assert sum(d > COLOCATED_RADIUS_KM / 2 for d in distances) > 150
    assert [item.title for item in moved] == [item.title for item in listings]
    assert moved == colocate(listings, seed=5)
    assert moved != colocate(listings, seed=6)


# --- the harness on the database -----------------------------------------------------


@pytest.mark.django_db
def test_tiny_pairs_give_the_hand_computed_ranks():
    result = evaluate_matcher(pairs=load_pairs(TINY), seed=1)
    # T1 and T2 find each other first in both directions; T3 (nonsense words) is not
    # scored at all, so its partner ranks behind both other counterparts: rank 3.
    expected = {
        "T1": {"want": 1, "offer": 1},
        "T2": {"want": 1, "offer": 1},
        "T3": {"want": 3, "offer": 3},
    }
    for placement in ("as_given", "colocated"):
        assert result.ranks[placement] == expected
        figures = result.figures[placement]
        assert figures["recall@1"] == pytest.approx(4 / 6)
        assert figures["recall@5"] == pytest.approx(1.0)
        assert figures["recall@10"] == pytest.approx(1.0)
        assert figures["mrr"] == pytest.approx((4 + 2 / 3) / 6)


@pytest.mark.django_db
def test_harness_leaves_no_trace_and_spares_existing_listings(owner, partner):
    Match.objects.create(
        offer=owner.listing, want=partner.listing, score=0.5, distance_km=3, explanation="kept"
    )
    before = (Listing.objects.count(), Company.objects.count(), Site.objects.count())
    evaluate_matcher(pairs=load_pairs(TINY), distractors=distractors_generate(n=20, seed=2))
    assert (Listing.objects.count(), Company.objects.count(), Site.objects.count()) == before
    assert Listing.objects.filter(status=Listing.Status.ACTIVE).count() == 2
    assert Match.objects.get().explanation == "kept"


@pytest.mark.django_db
def test_distractors_only_push_ranks_down():
    pairs = load_pairs(TINY)
    alone = evaluate_matcher(pairs=pairs, seed=1)
    crowded = evaluate_matcher(pairs=pairs, distractors=distractors_generate(n=80, seed=4), seed=1)
    assert crowded.distractors == 80
    for pid, ranks in alone.ranks["colocated"].items():
        for side, rank in ranks.items():
            assert crowded.ranks["colocated"][pid][side] >= rank
    # The unfound pair ranks behind every distractor of the other side now.
    n_offers = 3 + sum(1 for d in distractors_generate(n=80, seed=4) if d.kind == "offer")
    assert crowded.ranks["colocated"]["T3"]["want"] == n_offers - 1 + 1


@pytest.mark.django_db
def test_command_json_shape():
    out = io.StringIO()
    call_command(
        "evaluate_matcher", str(TINY), "--json", "--distractors", "10", "--seed", "3", stdout=out
    )
    data = json.loads(out.getvalue())
    assert set(data) == {"as_given", "colocated", "pairs", "distractors", "ranks", "floor",
                         "shown_per_listing"}
    for placement in ("as_given", "colocated"):
        assert set(data[placement]) == {"recall@1", "recall@5", "recall@10", "mrr"}
        assert all(0.0 <= v <= 1.0 for v in data[placement].values())
    assert data["pairs"] == 3 and data["distractors"] == 10
    assert set(data["ranks"]) == {"T1", "T2", "T3"}
    assert all(set(r) == {"want", "offer"} for r in data["ranks"].values())


@pytest.mark.django_db
def test_command_table_and_distractor_file(tmp_path):
    extra = tmp_path / "extra.json"
    extra.write_text(
        json.dumps(
            {
                "listings": [
                    {
                        "kind": "offer",
                        "title": "Coal fly ash, dry",
                        "description": "Fly ash from coal.",
                        "location": {"lat": 55.7, "lon": 11.1},
                    },
                ]
            }
        ),
        encoding="utf-8",
    )
    out = io.StringIO()
    call_command("evaluate_matcher", str(TINY), "--distractors-file", str(extra), stdout=out)
    text = out.getvalue()
    assert "tiny-pairs: 3 pairs, 1 distractors" in text
    assert "colocated" in text and "as_given" in text and "T3" in text


def test_command_refuses_a_bad_file(tmp_path):
    path = tmp_path / "bad.json"
    path.write_text("[]", encoding="utf-8")
    with pytest.raises(CommandError):
        call_command("evaluate_matcher", str(path))


def _pairs_file(tmp_path, pairs) -> Path:
    path = tmp_path / "pairs.json"
    path.write_text(json.dumps({"name": "t", "pairs": pairs}), encoding="utf-8")
    return path


def _side(title, description, lat, lon):
    return {"title": title, "description": description, "location": {"lat": lat, "lon": lon}}


@pytest.mark.django_db
def test_components_switch_changes_the_matcher(tmp_path):
    # Different words on each side: only the pathway table (coal fly ash → clinker
    # substitute) connects them; an unrelated pair shares the wording instead.
    path = _pairs_file(
        tmp_path,
        [
            {
                "id": "P1",
                "group": "a",
                "offer": _side("Coal fly ash", "From our power station.", 55.6, 11.0),
                "want": _side(
                    "Supplementary cementitious material",
                    "Pozzolan to lower the clinker factor of our blended cements.",
                    55.7,
                    11.1,
                ),
            },
            {
                "id": "P2",
                "group": "b",
                "offer": _side("Used cooking oil", "From restaurants.", 55.6, 11.2),
                "want": _side("Cooking oil", "Used cooking oil for biodiesel.", 55.7, 11.3),
            },
        ],
    )
    full = evaluate_matcher(pairs=load_pairs(path), seed=1)
    text_only = evaluate_matcher(pairs=load_pairs(path), seed=1, components="text")
    assert text_only.components == "text"
    assert full.ranks["colocated"]["P1"] == {"want": 1, "offer": 1}
    assert text_only.ranks["colocated"]["P1"]["want"] == 2  # unscored: behind the other offer
    with pytest.raises(ValueError, match="unknown score components"):
        evaluate_matcher(pairs=load_pairs(path), seed=1, components="text,magic")


@pytest.mark.django_db
def test_blocking_switch_is_recorded(tmp_path):
    result = evaluate_matcher(pairs=load_pairs(TINY), seed=1, blocking=False)
    assert result.components.endswith("(no blocking)")
    assert result.ranks["colocated"]["T1"] == {"want": 1, "offer": 1}


@pytest.mark.django_db
def test_scoring_options_are_arguments_and_the_model_store_is_left_alone(
    settings, tmp_path, monkeypatch
):
    from django.test.signals import setting_changed

    settings.MATCH_MODEL_DIR = str(tmp_path / "models")
    changed, used = [], []
    real = catalogue.knowledge

    def spy(**options):
        found = real(**options)
        used.append((sorted(found.config.components), found.config.blocking))
        return found

    def record(*, setting, **kwargs):
        changed.append(setting)

    monkeypatch.setattr(catalogue, "knowledge", spy)
    setting_changed.connect(record)
    try:
        evaluate_matcher(pairs=load_pairs(TINY), seed=1, components="text", blocking=False)
    finally:
        setting_changed.disconnect(record)

    # The run scored with its own options without touching a setting...
    assert (["text"], False) in used
    assert changed == []
    # ...and its model never reached the store the portal matches single listings with.
    assert modelstore.current_version() is None
    assert not list((tmp_path / "models").rglob("*.pkl"))
