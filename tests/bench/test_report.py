"""``python -m bench.report``: results files into the table and figure of the docs."""

from __future__ import annotations

import json
import re

import pytest

from bench import report

DOC = """# Performance

Intro kept as it is.

<!-- results:start -->
stale text that the report replaces
<!-- results:end -->

## How to run the benchmarks

Kept too.
"""


def _matching(listings: int, full_s: float, **extra) -> dict:
    return {
        "listings": listings, "candidates": listings * 40, "matches": listings * 14,
        "full_rematch_s": full_s, "read_s": full_s * 0.01, "fit_s": full_s * 0.4,
        "candidates_s": full_s * 0.05, "score_s": full_s * 0.2, "rows_s": full_s * 0.2,
        "write_s": full_s * 0.1, "peak_rss_mb": 400.0 + listings / 100,
        "single_p50_ms": 8.0, "single_p95_ms": 11.5, "api_p50_ms": 52.3, "api_p95_ms": 63.7,
        "naive_s": None, "speedup": None, "identical_to_naive": None,
        "machine": {"cpu": "Test CPU", "cores": 2, "memory_gb": 8.0, "python": "3.11.7"},
        "command": f"python -m bench.matching --listings {listings} --json --save",
        **extra,
    }


@pytest.fixture
def folders(tmp_path):
    results = tmp_path / "results"
    results.mkdir()
    (results / "matching-1k.json").write_text(json.dumps(_matching(
        1000, 1.34, naive_s=155.2, speedup=115.6, identical_to_naive=True)))
    (results / "matching-10k.json").write_text(json.dumps(_matching(10000, 20.0)))
    docs = tmp_path / "docs"
    docs.mkdir()
    (docs / "performance.md").write_text(DOC)
    return results, docs


def _run(results, docs):
    report.main(["--results", str(results), "--doc", str(docs / "performance.md"),
                 "--image", str(docs / "img" / "matching-time.png")])
    return (docs / "performance.md").read_text()


def _table_rows(text: str) -> dict[str, list[str]]:
    """Rows of the Markdown tables by their first cell (header and rule left out)."""
    rows = {}
    for line in text.splitlines():
        if line.startswith("| ") and not line.startswith("|---"):
            cells = [cell.strip() for cell in line.strip("|").split("|")]
            rows[cells[0]] = cells
    return rows


def test_report_writes_one_row_per_size_and_the_figure(folders):
    results, docs = folders
    text = _run(results, docs)
    rows = _table_rows(text)
    assert set(rows) == {"listings", "1,000", "10,000"}
    heading = rows["listings"]
    small = dict(zip(heading, rows["1,000"], strict=True))
    large = dict(zip(heading, rows["10,000"], strict=True))
    assert small["full rematch (s)"] == "1.34" and large["full rematch (s)"] == "20.0"
    assert small["candidate pairs"] == "40,000" and large["matches"] == "140,000"
    assert small["fit"] == "0.54" and large["write"] == "2.00"
    assert small["single p50 / p95 (ms)"] == "8.00 / 11.5"
    assert small["API p50 / p95 (ms)"] == "52.3 / 63.7"
    assert (small["naive (s)"], small["speed-up"], small["identical to naive"]) == (
        "155", "116", "yes")
    assert (large["naive (s)"], large["identical to naive"]) == ("–", "–")
    assert "Machine: Test CPU, 2 cores, 8.0 GB RAM, Python 3.11.7." in text
    assert "python -m bench.matching --listings 10000 --json --save" in text
    assert "![Full rematch time" in text and "(img/matching-time.png)" in text
    png = docs / "img" / "matching-time.png"
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n" and png.stat().st_size > 10_000


def test_report_keeps_the_rest_of_the_doc_and_can_run_again(folders):
    results, docs = folders
    first = _run(results, docs)
    assert "stale text" not in first
    assert first.startswith("# Performance\n\nIntro kept as it is.\n\n<!-- results:start -->\n")
    assert first.endswith("<!-- results:end -->\n\n## How to run the benchmarks\n\nKept too.\n")
    assert _run(results, docs) == first


def test_report_adds_the_workers_table(folders):
    results, docs = folders
    runs = [{"workers": 1, "cells": 8, "wall_s": 30.0, "identical_to_single_process": True,
             "cells_per_worker": [8]},
            {"workers": 2, "cells": 8, "wall_s": 18.0, "identical_to_single_process": True,
             "cells_per_worker": [5, 3]}]
    (results / "workers-100k.json").write_text(json.dumps(
        {"listings": 100_000, "single_process_s": 28.5, "runs": runs, "speedup_2_vs_1": 1.67,
         "command": "python -m bench.workers --listings 100000 --save"}))
    rows = _table_rows(_run(results, docs))
    assert rows["100,000"] == ["100,000", "8", "28.5", "30.0", "18.0", "1.67", "5 + 3", "yes"]


def test_report_refuses_two_results_for_one_size(folders):
    results, docs = folders
    (results / "matching-1000.json").write_text(json.dumps(_matching(1000, 1.5)))
    with pytest.raises(SystemExit, match="both results for 1000 listings"):
        _run(results, docs)


def test_report_refuses_a_doc_without_markers(folders):
    results, docs = folders
    (docs / "performance.md").write_text("# Performance\n\nRESULTS_SECTION\n")
    with pytest.raises(SystemExit, match="markers"):
        _run(results, docs)


def test_the_published_page_is_what_the_report_writes_from_the_published_results(tmp_path):
    """Regenerating docs/performance.md from bench/results changes nothing: its results
    section is the report's, and the report adds nothing else (no history)."""
    docs = tmp_path / "docs"
    docs.mkdir()
    published = report.DOC.read_text()
    (docs / "performance.md").write_text(published)
    assert _run(report.RESULTS_DIR, docs) == published


def test_the_page_keeps_the_current_figures_and_links_the_history_it_no_longer_holds():
    page, history = report.DOC.read_text(), report.HISTORY.read_text()
    headings = re.findall(r"^## (.+)$", page, flags=re.MULTILINE)
    assert headings[:3] == ["Results", "Targets, and where the time goes",
                            "How to run the benchmarks"]
    assert "](history/performance.md" in page and "](../performance.md)" in history
    rounds = r"^\*\*(?:What made it faster|\w+ round) \("
    assert re.findall(rounds, page, flags=re.MULTILINE) == []
    assert len(re.findall(rounds, history, flags=re.MULTILINE)) == 9
    for anchor in re.findall(r"\]\(history/performance\.md#([\w-]+)\)", page):
        titles = re.findall(r"^## (.+)$", history, flags=re.MULTILINE)
        assert anchor in {re.sub(r"[^\w-]", "", t.lower().replace(" ", "-")) for t in titles}


def test_load_step_reads_percentiles_and_goals():
    from bench.load import KINDS, Step, table

    step = Step(rate=10)
    for kind in KINDS:
        step.latencies[kind] = [i / 1000 for i in range(1, 101)]  # 1 … 100 ms
    assert step.percentile("api-list", 0.5) == pytest.approx(51, abs=1)
    assert step.percentile("api-list", 0.95) == pytest.approx(95, abs=1)
    assert step.goals_held()  # pages ≤ 200 ms, API ≤ 100 ms at p95
    step.latencies["api-detail"] = [0.150] * 100
    assert not step.goals_held()
    assert "| 10 | 0 | 0 |" in table([step]) and "broken" in table([step])
