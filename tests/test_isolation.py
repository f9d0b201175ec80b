"""The autouse fixture of tests/conftest.py: a model folder per test, caches emptied between."""

from __future__ import annotations

from pathlib import Path

import pytest
from django.core.cache import cache

from matching import catalogue, modelstore
from matching.services import rematch


def test_each_test_stores_models_in_a_folder_of_its_own(settings, tmp_path, model_store):
    assert Path(settings.MATCH_MODEL_DIR) == model_store == tmp_path / "models"


@pytest.mark.parametrize("turn", ["first", "second"])
def test_what_one_test_leaves_in_the_caches_the_next_does_not_see(turn):
    # Each turn fills every cache; the fixture must have emptied them before the other turn.
    assert catalogue.nace_titles.cache_info().currsize == 0
    assert modelstore._cache == {} and rematch._delta_cache == {}
    assert cache.get("left-by-a-test") is None

    assert catalogue.nace_titles()["35.11"]
    modelstore._cache[("folder", turn)] = object()
    rematch._delta_cache[turn] = ("key", None, frozenset())
    cache.set("left-by-a-test", turn)
