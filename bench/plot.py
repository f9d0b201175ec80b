"""Plot full-rematch time against listings as a small SVG (no plotting library needed).

``python -m bench.plot bench/results/matching-*.json --out docs/performance.svg``

Log-log axes: a straight line of slope 1 is linear growth. The dashed grey line is that
slope through the smallest run, for reference.
"""

from __future__ import annotations

import argparse
import json
import math
from pathlib import Path

WIDTH, HEIGHT = 640, 400
LEFT, RIGHT, TOP, BOTTOM = 70, 150, 30, 50
SERIES = (
    ("full_rematch_s", "full rematch", "#1f5fa8"),
    ("fit_s", "read + fit", "#6a9f3a"),
    ("score_s", "candidates + scoring", "#c77c1e"),
    ("rows_s", "rows + explanations", "#8a4fa3"),
    ("db_write_s", "write (COPY)", "#b03a3a"),
    ("naive_s", "naive baseline", "#444444"),
)


def _ticks(lo: float, hi: float) -> list[float]:
    return [10.0**e for e in range(math.floor(math.log10(lo)), math.ceil(math.log10(hi)) + 1)]


def _label(value: float) -> str:
    if value >= 1000:
        return f"{value / 1000:g}k"
    return f"{value:g}"


def render(results: list[dict]) -> str:
    """The SVG text for a list of ``bench.matching`` results."""
    results = sorted(results, key=lambda r: r["listings"])
    points = {key: [(r["listings"], r[key]) for r in results if r.get(key)]
              for key, _name, _colour in SERIES}
    # Reading and fitting are reported apart; plot them together.
    points["fit_s"] = [(r["listings"], r.get("read_s", 0) + r["fit_s"])
                       for r in results if r.get("fit_s")]
    points["score_s"] = [(r["listings"], r.get("candidates_s", 0) + r["score_s"])
                         for r in results if r.get("score_s")]
    xs = [x for series in points.values() for x, _y in series]
    ys = [y for series in points.values() for _x, y in series]
    x_lo, x_hi = min(xs) / 1.5, max(xs) * 1.5
    y_lo, y_hi = min(ys) / 2, max(ys) * 2

    def px(x: float) -> float:
        span = math.log10(x_hi) - math.log10(x_lo)
        return LEFT + (math.log10(x) - math.log10(x_lo)) / span * (WIDTH - LEFT - RIGHT)

    def py(y: float) -> float:
        span = math.log10(y_hi) - math.log10(y_lo)
        return HEIGHT - BOTTOM - (math.log10(y) - math.log10(y_lo)) / span * (
            HEIGHT - TOP - BOTTOM)

    out = [
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{WIDTH}" height="{HEIGHT}" '
        f'viewBox="0 0 {WIDTH} {HEIGHT}" font-family="sans-serif" font-size="12">',
        f'<rect width="{WIDTH}" height="{HEIGHT}" fill="white"/>',
        f'<text x="{LEFT}" y="18" font-size="14">Full rematch time against listings '
        "(log-log, PostgreSQL, 2 cores)</text>",
    ]
    for x in _ticks(x_lo, x_hi):
        if x_lo <= x <= x_hi:
            out.append(f'<line x1="{px(x):.1f}" y1="{TOP}" x2="{px(x):.1f}" '
                       f'y2="{HEIGHT - BOTTOM}" stroke="#e5e5e5"/>')
            out.append(f'<text x="{px(x):.1f}" y="{HEIGHT - BOTTOM + 16}" '
                       f'text-anchor="middle">{_label(x)}</text>')
    for y in _ticks(y_lo, y_hi):
        if y_lo <= y <= y_hi:
            out.append(f'<line x1="{LEFT}" y1="{py(y):.1f}" x2="{WIDTH - RIGHT}" '
                       f'y2="{py(y):.1f}" stroke="#e5e5e5"/>')
            out.append(f'<text x="{LEFT - 6}" y="{py(y) + 4:.1f}" text-anchor="end">'
                       f"{_label(y)} s</text>")
    out.append(f'<text x="{(LEFT + WIDTH - RIGHT) / 2}" y="{HEIGHT - 12}" '
               'text-anchor="middle">active listings</text>')
    full = points["full_rematch_s"]
    if full:
        x0, y0 = full[0]
        x1 = x_hi / 1.5
        out.append(f'<line x1="{px(x0):.1f}" y1="{py(y0):.1f}" x2="{px(x1):.1f}" '
                   f'y2="{py(y0 * x1 / x0):.1f}" stroke="#999" stroke-dasharray="4 4"/>')
    for i, (key, name, colour) in enumerate(SERIES):
        series = points.get(key) or []
        if series:
            path = " ".join(f"{px(x):.1f},{py(y):.1f}" for x, y in series)
            width = 3 if key == "full_rematch_s" else 1.5
            out.append(f'<polyline points="{path}" fill="none" stroke="{colour}" '
                       f'stroke-width="{width}"/>')
            for x, y in series:
                out.append(f'<circle cx="{px(x):.1f}" cy="{py(y):.1f}" r="3" fill="{colour}"/>')
        ly = TOP + 10 + 18 * i
        out.append(f'<line x1="{WIDTH - RIGHT + 10}" y1="{ly}" x2="{WIDTH - RIGHT + 30}" '
                   f'y2="{ly}" stroke="{colour}" stroke-width="2"/>')
        out.append(f'<text x="{WIDTH - RIGHT + 35}" y="{ly + 4}">{name}</text>')
    ly = TOP + 10 + 18 * len(SERIES)
    out.append(f'<line x1="{WIDTH - RIGHT + 10}" y1="{ly}" x2="{WIDTH - RIGHT + 30}" y2="{ly}" '
               'stroke="#999" stroke-dasharray="4 4"/>')
    out.append(f'<text x="{WIDTH - RIGHT + 35}" y="{ly + 4}">linear growth</text>')
    out.append("</svg>")
    return "\n".join(out) + "\n"


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.plot", description=__doc__)
    parser.add_argument("results", nargs="+", help="JSON files written by bench.matching --out")
    parser.add_argument("--out", default="docs/performance.svg")
    args = parser.parse_args(argv)
    results = [json.loads(Path(p).read_text()) for p in args.results]
    Path(args.out).write_text(render(results))
    print(f"wrote {args.out}")


if __name__ == "__main__":
    main()
