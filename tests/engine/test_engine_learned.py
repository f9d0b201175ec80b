"""The learned ranker in the engine: plain data in, the final score of accepted pairs out."""

from __future__ import annotations

import pickle

import numpy as np
import pytest

from matching.engine import (
    HAND_SET,
    Knowledge,
    LearnedRanker,
    ListingRecord,
    MatchIndex,
    ScoringConfig,
    combine,
    final_score,
    ranker_version,
)

PARTS = {"text": 0.3, "ewc": 0.0, "category": 1.0, "taxonomy": 0.6, "pathway": 0.9,
         "semantic": 0.0, "material": 0.8, "distance": 0.5, "quantity": 0.5, "timing": 1.0}


def _ranker(blend: float = 1.0, version: str = "ranker-x") -> LearnedRanker:
    return LearnedRanker(version=version, features=("pathway", "hand_set"),
                         coefficients=(1.5, 0.5), intercept=0.2, mean=(0.4, 0.5),
                         scale=(0.2, 0.25), blend=blend)


def test_without_a_ranker_the_final_score_is_the_hand_set_formula():
    assert final_score(PARTS) == pytest.approx(combine(PARTS))
    assert ranker_version(None) == HAND_SET


def test_a_learned_ranker_gives_the_logistic_probability_blended_with_the_hand_set_score():
    hand = combine(PARTS)
    z = 0.2 + 1.5 * (0.9 - 0.4) / 0.2 + 0.5 * (hand - 0.5) / 0.25
    p = 1 / (1 + np.exp(-z))
    assert final_score(PARTS, _ranker(1.0)) == pytest.approx(p)
    assert final_score(PARTS, _ranker(0.5)) == pytest.approx(0.5 * hand + 0.5 * p)
    assert final_score(PARTS, _ranker(0.0)) == pytest.approx(hand)
    assert ranker_version(_ranker()) == "ranker-x"


def test_a_ranker_round_trips_through_plain_data_and_refuses_nonsense():
    ranker = _ranker(0.25)
    assert LearnedRanker.from_data(ranker.as_data()) == ranker
    with pytest.raises(ValueError, match="unknown ranker features"):
        LearnedRanker(version="v", features=("colour",), coefficients=(1.0,), intercept=0.0,
                      mean=(0.0,), scale=(1.0,))
    with pytest.raises(ValueError, match="one coefficient"):
        LearnedRanker(version="v", features=("text",), coefficients=(), intercept=0.0,
                      mean=(0.0,), scale=(1.0,))


def test_old_pickled_configurations_read_as_hand_set():
    config = ScoringConfig()
    state = dict(config.__dict__)
    del state["ranker"]
    restored = object.__new__(ScoringConfig)
    restored.__setstate__(state)
    assert restored.ranker is None and restored == config
    assert pickle.loads(pickle.dumps(ScoringConfig(ranker=_ranker()))).ranker == _ranker()


def _records() -> list[ListingRecord]:
    common = {"lat": 61.48, "lon": 21.79, "max_km": 50.0}
    return [
        ListingRecord(id=1, kind="offer", title="Coal fly ash", description="Dry fly ash "
                      "from a coal boiler.", ewc_code="100102", company_id=1, **common),
        ListingRecord(id=2, kind="offer", title="Wood bark", description="Bark from "
                      "debarking of logs.", company_id=2, **common),
        ListingRecord(id=3, kind="want", title="Fly ash for cement", description="Fly ash "
                      "as clinker substitute.", company_id=3, **common),
    ]


def test_the_index_scores_accepted_pairs_with_the_ranker_of_its_configuration():
    base = Knowledge.load()
    ranker = _ranker(0.5)
    hand = MatchIndex.build(_records(), base.configured(ranker=None))
    learned = MatchIndex.build(_records(), base.configured(ranker=ranker))
    by_hand = {(m.offer_id, m.want_id): m for m in hand.match_all(k=5)}
    by_model = {(m.offer_id, m.want_id): m for m in learned.match_all(k=5)}
    # The ranker orders accepted pairs; it neither adds nor removes any.
    assert set(by_hand) == set(by_model) and by_hand
    for key, match in by_model.items():
        assert match.components == by_hand[key].components
        assert match.score == pytest.approx(final_score(match.components, ranker))
    # The same numbers for any given pair, stored or not.
    scored = learned.pair_scores([1, 2], [3, 3])
    assert scored.score[0] == pytest.approx(by_model[(1, 3)].score)
    with pytest.raises(KeyError):
        learned.pair_scores([3], [1])
