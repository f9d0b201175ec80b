"""``python -m bench.api`` end to end at a tiny size: gunicorn, keys, bulk, a Celery worker."""

from __future__ import annotations

import json

import pytest

from tests.bench.test_bench_cli import _run, bench_database_url  # noqa: F401 - a fixture

pytestmark = [pytest.mark.postgres, pytest.mark.redis]


def test_bench_api_posts_batches_to_gunicorn_and_waits_for_their_matching(
        tmp_path, bench_database_url):  # noqa: F811
    out = tmp_path / "api.json"
    _run("bench.api", "--listings", "120", "--batch", "40", "--database-url",
         bench_database_url, "--out", str(out), tmp_path=tmp_path)
    result = json.loads(out.read_text())
    assert result["listings"] == 120 and result["stored"] == 120
    assert result["results"] == {"created": 120}
    # Each firm's listings go in batches of at most 40, one key per firm.
    assert result["batches"] >= 3 and result["firms"] >= 2
    assert result["accepted_per_s"] == pytest.approx(120 / result["post_wall_s"], rel=0.02)
    assert result["matched_after_last_batch_s"] >= 0
    assert result["matches"] > 0 and result["listings_with_matches"] > 0
