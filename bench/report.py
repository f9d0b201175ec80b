"""Benchmark results into the docs: ``python -m bench.report``.

Reads ``bench/results/matching-*.json`` (``python -m bench.matching --save``, one file per
size), ``bench/results/workers-*.json`` (``python -m bench.workers --save``) and
``bench/results/api-*.json`` (``python -m bench.api --save``), draws
``docs/img/matching-time.png`` and rewrites the part of ``docs/performance.md`` between
the markers ``<!-- results:start -->`` and ``<!-- results:end -->``. The rest of that page
(targets, method) is written by hand; the round-by-round history is in
``docs/history/performance.md``, which the report leaves alone.
"""

from __future__ import annotations

import argparse
import json
import math
import sys
from collections.abc import Sequence
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
RESULTS_DIR = ROOT / "bench" / "results"
DOC = ROOT / "docs" / "performance.md"
HISTORY = ROOT / "docs" / "history" / "performance.md"
IMAGE = ROOT / "docs" / "img" / "matching-time.png"
START, END = "<!-- results:start -->", "<!-- results:end -->"

# (heading, keys): one column of the matching table; two keys share a column as "a / b".
MATCHING_COLUMNS = (
    ("listings", ("listings",)),
    ("candidate pairs", ("candidates",)),
    ("matches", ("matches",)),
    ("full rematch (s)", ("full_rematch_s",)),
    ("read", ("read_s",)),
    ("fit", ("fit_s",)),
    ("candidates", ("candidates_s",)),
    ("score", ("score_s",)),
    ("rows", ("rows_s",)),
    ("write", ("write_s",)),
    ("commit", ("commit_s",)),
    ("peak RSS (MB)", ("peak_rss_mb",)),
    ("peak with helpers (MB)", ("peak_total_mb",)),
    ("single p50 / p95 (ms)", ("single_p50_ms", "single_p95_ms")),
    ("API p50 / p95 (ms)", ("api_p50_ms", "api_p95_ms")),
    ("naive (s)", ("naive_s",)),
    ("speed-up", ("speedup",)),
    ("identical to naive", ("identical_to_naive",)),
)


def size_label(listings: int) -> str:
    """``1000`` → ``1k``: the size part of a result's file name."""
    return f"{listings // 1000}k" if listings >= 1000 and listings % 1000 == 0 else str(listings)


def write_result(result: dict, *, kind: str, out: str | None = None,
                 save: bool = False) -> list[Path]:
    """Write a benchmark's JSON to ``out`` and, with ``save``, to the results folder."""
    paths = [Path(out)] if out else []
    if save:
        paths.append(RESULTS_DIR / f"{kind}-{size_label(result['listings'])}.json")
    for path in paths:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps(result, indent=2) + "\n")
    return paths


def load_results(directory: Path, kind: str) -> list[dict]:
    """The ``<kind>-*.json`` results in ``directory``, smallest first, one per size."""
    by_size: dict[int, tuple[Path, dict]] = {}
    for path in sorted(directory.glob(f"{kind}-*.json")):
        result = json.loads(path.read_text())
        size = result["listings"]
        if size in by_size:
            raise SystemExit(f"{path} and {by_size[size][0]} are both results for {size} "
                             "listings; keep one")
        by_size[size] = (path, result)
    return [by_size[size][1] for size in sorted(by_size)]


def _cell(value) -> str:
    if value is None:
        return "–"
    if isinstance(value, bool):
        return "yes" if value else "**no**"
    if isinstance(value, int):
        return f"{value:,}"
    if isinstance(value, float):
        if value >= 100:
            return f"{value:,.0f}"
        return f"{value:.1f}" if value >= 10 else f"{value:.2f}"
    return str(value)


def _table(headings: list[str], rows: list[list[str]]) -> list[str]:
    lines = ["| " + " | ".join(headings) + " |", "|" + "---|" * len(headings)]
    return lines + ["| " + " | ".join(row) + " |" for row in rows]


def matching_table(results: list[dict]) -> list[str]:
    rows = [[" / ".join(_cell(result.get(key)) for key in keys)
             for _heading, keys in MATCHING_COLUMNS] for result in results]
    return _table([heading for heading, _keys in MATCHING_COLUMNS], rows)


def workers_table(results: list[dict]) -> list[str]:
    rows = []
    for result in results:
        one, two = (next(run for run in result["runs"] if run["workers"] == n) for n in (1, 2))
        rows.append([
            _cell(result["listings"]), _cell(one["cells"]), _cell(result["single_process_s"]),
            _cell(one["wall_s"]), _cell(two["wall_s"]), _cell(result["speedup_2_vs_1"]),
            " + ".join(str(n) for n in two.get("cells_per_worker") or []) or "–",
            _cell(one["identical_to_single_process"] and two["identical_to_single_process"]),
        ])
    return _table(["listings", "cells", "one process (s)", "1 worker (s)", "2 workers (s)",
                   "speed-up 2 vs 1", "cells per worker (2 workers)",
                   "identical to one process"], rows)


def _machine(results: list[dict]) -> str:
    described = []
    for result in results:
        machine = result.get("machine") or {}
        text = ", ".join(part for part in (
            machine.get("cpu"), machine.get("cores") and f"{machine['cores']} cores",
            machine.get("memory_gb") and f"{machine['memory_gb']} GB RAM",
            machine.get("python") and f"Python {machine['python']}",
            result.get("postgresql") and f"PostgreSQL {result['postgresql']}") if part)
        if text and text not in described:
            described.append(text)
    return "; ".join(described) or "not recorded"


def _growth(results: list[dict]) -> str:
    points = [(r["listings"], r["full_rematch_s"]) for r in results if r.get("full_rematch_s")]
    if len(points) < 2:
        return ""
    (x0, y0), (x1, y1) = points[0], points[-1]
    exponent = math.log(y1 / y0) / math.log(x1 / x0)
    return (f"From {x0:,} to {x1:,} listings (×{x1 / x0:g}) the full rematch takes "
            f"×{y1 / y0:.0f} as long: time grows about as listings^{exponent:.2f} "
            "(1.00 is linear).")


def api_table(results: list[dict]) -> list[str]:
    rows = []
    for r in results:
        rows.append([
            _cell(r["listings"]), f"{_cell(r['batches'])} × {_cell(r['batch'])}",
            _cell(r["clients"]), _cell(r["accepted_per_s"]), _cell(r["post_wall_s"]),
            _cell(r["batch_p50_ms"]), _cell(r["matched_after_last_batch_s"]),
            _cell(r["listings_with_matches"]), _cell(r["matches"]),
            " / ".join(f"{x:.1f}" for x in r.get("load_before", [])[:1]
                       + r.get("load_after", [])[:1]) or "–",
        ])
    return _table(["listings", "batches", "clients", "accepted /s", "posting (s)",
                   "batch p50 (ms)", "matched after last batch (s)", "listings with matches",
                   "matches", "load before / after"], rows)


def section(matching: list[dict], workers: list[dict], *, image: str,
            api: Sequence[dict] = ()) -> str:
    """The Markdown between the markers."""
    lines = ["## Results", "",
             "Written by `python -m bench.report` from `bench/results/*.json`: rerun the",
             "benchmarks and the report rather than editing this section.", ""]
    if matching:
        lines += [f"![Full rematch time and its parts against listings, log-log]({image})", "",
                  "Full rematch and its parts in seconds; `–`: not measured (the naive",
                  "baseline runs up to `--naive-max`, 2,000 listings by default). Peak RSS",
                  "is the rematch process's; with helpers, its resident memory plus what",
                  "each forked helper holds of its own, sampled every 0.1 s (the helpers'",
                  "private pages every 0.5 s).", ""]
        lines += matching_table(matching) + [""]
        growth = _growth(matching)
        if growth:
            lines += [growth, ""]
        lines += [f"Machine: {_machine(matching)}.", ""]
    if workers:
        lines += ["### Distributed rematch: one worker process against two", "",
                  "Wall time from the coordinator's start (read, plan) until the last cell's",
                  "matches are written, the fit included (it runs in the workers); worker",
                  "start-up is not counted.", ""]
        lines += workers_table(workers) + ["", f"Machine: {_machine(workers)}.", ""]
    if api:
        lines += ["### API bulk submission (`python -m bench.api`)", "",
                  "Batches of listings posted to `POST /api/v1/listings/bulk/` on a gunicorn",
                  "server on loopback (company API keys); accepted per second counts the",
                  "items answered `created` (committed) over the time from the first request",
                  "to the last answer. Matched after last batch: until a Celery worker on",
                  "Redis finished every batch's matching task. The load average (1 min) of",
                  "the machine before and after the run is recorded: the machine may be",
                  "shared.", ""]
        lines += api_table(list(api)) + ["", f"Machine: {_machine(list(api))}.", ""]
    commands = [r["command"] for r in [*matching, *workers, *api] if r.get("command")]
    if commands:
        lines += ["Commands:", "", "```sh", *commands, "```", ""]
    if not matching and not workers and not api:
        lines += ["No results yet: run `make bench`.", ""]
    return "\n".join(lines)


def rewrite(doc: str, body: str) -> str:
    """``doc`` with the text between the markers replaced by ``body``."""
    start, end = doc.find(START), doc.find(END)
    if start < 0 or end < start:
        raise SystemExit(f"the markers {START} … {END} are missing")
    return doc[: start + len(START)] + "\n" + body + doc[end:]


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.report", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--results", type=Path, default=RESULTS_DIR)
    parser.add_argument("--doc", type=Path, default=DOC)
    parser.add_argument("--image", type=Path, default=IMAGE)
    args = parser.parse_args(argv)

    from bench.plot import plot_matching

    matching = load_results(args.results, "matching")
    workers = load_results(args.results, "workers")
    api = load_results(args.results, "api")
    if matching:
        plot_matching(matching, args.image)
    image = Path(args.image).resolve()
    try:
        link = image.relative_to(Path(args.doc).resolve().parent).as_posix()
    except ValueError:
        link = image.as_posix()
    doc = Path(args.doc).read_text()
    Path(args.doc).write_text(rewrite(doc, section(matching, workers, image=link, api=api)))
    print(f"{args.doc}: {len(matching)} matching and {len(workers)} workers results"
          + (f"; {args.image}" if matching else ""), file=sys.stderr)


if __name__ == "__main__":
    main()
