"""Full-rematch time and its parts against listings, as a PNG (matplotlib).

``python -m bench.plot bench/results/matching-*.json --out docs/img/matching-time.png``
(``python -m bench.report`` calls it for the docs).

Log-log axes: a straight line of slope 1 is linear growth. The dashed grey line is that
slope through the smallest run, for reference.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

# (key in a bench.matching result, legend)
SERIES = (
    ("full_rematch_s", "full rematch"),
    ("read_s", "read"),
    ("fit_s", "fit"),
    ("candidates_s", "candidates"),
    ("score_s", "score"),
    ("rows_s", "rows + explanations"),
    ("write_s", "write (PostgreSQL beyond the rows)"),
    ("commit_s", "commit"),
    ("naive_s", "naive baseline"),
)


def _count(value: float, _pos=None) -> str:
    return f"{value / 1000:g}k" if value >= 1000 else f"{value:g}"


def plot_matching(results: list[dict], path: Path | str) -> Path:
    """Draw ``results`` (``bench.matching`` JSON objects) into the PNG at ``path``."""
    import matplotlib

    matplotlib.use("Agg")
    from matplotlib import pyplot as plt
    from matplotlib.ticker import FuncFormatter

    results = sorted(results, key=lambda r: r["listings"])
    fig, ax = plt.subplots(figsize=(9, 5), dpi=100)
    for key, name in SERIES:
        points = [(r["listings"], r[key]) for r in results if r.get(key)]
        if points:
            xs, ys = zip(*points, strict=True)
            ax.plot(xs, ys, marker="o", label=name,
                    linewidth=3 if key == "full_rematch_s" else 1.5,
                    color="#444444" if key == "naive_s" else None)
    full = [(r["listings"], r["full_rematch_s"]) for r in results if r.get("full_rematch_s")]
    if full:
        (x0, y0), x1 = full[0], results[-1]["listings"]
        ax.plot([x0, x1], [y0, y0 * x1 / x0], linestyle="--", color="#999999",
                label="linear growth from the smallest run")
    ax.set_xscale("log")
    ax.set_yscale("log")
    ax.set_xlabel("active listings")
    ax.set_ylabel("seconds")
    ax.set_title("Full rematch against listings (PostgreSQL)")
    ax.grid(True, which="major", color="#e5e5e5")
    ax.xaxis.set_major_formatter(FuncFormatter(_count))
    ax.yaxis.set_major_formatter(FuncFormatter(lambda y, _pos: f"{y:g}"))
    ax.legend(loc="upper left", bbox_to_anchor=(1.01, 1), fontsize="small")
    fig.tight_layout()
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    # No software version in the file, so the same results give the same bytes.
    fig.savefig(path, format="png", metadata={"Software": None})
    plt.close(fig)
    return path


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.plot", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("results", nargs="+", help="JSON files written by bench.matching")
    parser.add_argument("--out", default="docs/img/matching-time.png")
    args = parser.parse_args(argv)
    results = [json.loads(Path(p).read_text()) for p in args.results]
    print(f"wrote {plot_matching(results, args.out)}")


if __name__ == "__main__":
    main()
