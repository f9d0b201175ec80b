"""``manage.py evaluate_matcher PAIRS.json``: recall and MRR of the matcher on a benchmark."""

from __future__ import annotations

import json

from django.core.management.base import BaseCommand, CommandError
from django.db import DEFAULT_DB_ALIAS, connections
from django.db.migrations.executor import MigrationExecutor

from matching.evaluation.benchmark import BenchmarkError, load_distractors, load_pairs
from matching.evaluation.services import (
    AS_GIVEN,
    COLOCATED,
    Evaluation,
    distractors_generate,
    evaluate_matcher,
)

WORST = 10


class Command(BaseCommand):
    # Developer-facing, like the help of Django's own commands: not translated.
    help = (
        "Load a pairs file (../shared/benchmarks/README.md format) with distractors into a "
        "rolled-back transaction, run the production matcher, and print recall@1/5/10 and "
        "MRR with locations as given and co-located."
    )

    def add_arguments(self, parser) -> None:
        parser.add_argument("pairs", help="pairs file (JSON)")
        parser.add_argument(
            "--distractors", type=int, default=0, help="number of generated distractors"
        )
        parser.add_argument("--distractors-file", help="distractor file (JSON)")
        parser.add_argument(
            "--seed", type=int, default=0, help="seed for distractors and placement"
        )
        parser.add_argument(
            "--components",
            help="score components to use, e.g. 'text' or 'text,taxonomy,pathway' "
            "(default: settings.MATCH_COMPONENTS)",
        )
        parser.add_argument(
            "--no-blocking",
            action="store_true",
            help="switch the material-block rule off (to measure what it costs)",
        )
        parser.add_argument(
            "--semantic",
            help="sentence-embeddings backend for the run: '' (off) or 'minilm' "
            "(default: settings.SEMANTIC_BACKEND)",
        )
        parser.add_argument(
            "--ranker",
            default="current",
            help="what gives the final score: 'current' (the ranker in use, the default), "
            "'hand-set' (the hand-set weights) or a stored ranker model's version",
        )
        parser.add_argument(
            "--floor", type=float,
            help="quality floor on the material fit: partners below it count as not found "
            "(default: settings.MATCH_MIN_MATERIAL_FIT)",
        )
        parser.add_argument(
            "--floors",
            help="also report the figures at these floors, e.g. '0,0.2,0.3,0.4' (one run)",
        )
        parser.add_argument("--json", action="store_true", help="print the figures as JSON")

    def handle(self, *args, **options) -> None:
        if options["distractors"] < 0:
            raise CommandError("--distractors must not be negative")
        try:
            pairs = load_pairs(options["pairs"])
            extra = (
                load_distractors(options["distractors_file"]) if options["distractors_file"] else []
            )
        except (OSError, BenchmarkError) as exc:
            raise CommandError(str(exc)) from exc
        try:
            floors = [float(f) for f in (options["floors"] or "").split(",") if f.strip()]
        except ValueError as exc:
            raise CommandError("--floors takes numbers separated by commas") from exc
        if any(not 0 <= f <= 1 for f in [*floors, options["floor"] or 0.0]):
            raise CommandError("floors are material fits between 0 and 1")
        if _unapplied_migrations():
            raise CommandError("The database is not migrated: run `manage.py migrate` first.")
        anchors = [(s.lat, s.lon) for p in pairs.pairs for s in (p.offer, p.want)]
        extra += distractors_generate(
            n=options["distractors"], seed=options["seed"], anchors=anchors
        )
        result = evaluate_matcher(
            pairs=pairs,
            distractors=extra,
            seed=options["seed"],
            components=options["components"],
            blocking=not options["no_blocking"],
            semantic=options["semantic"],
            ranker=_ranker(options["ranker"]),
            floor=options["floor"],
            floors=floors,
        )
        if options["json"]:
            self.stdout.write(json.dumps(result.as_json(), indent=2))
        else:
            self._table(result)

    def _table(self, result: Evaluation) -> None:
        out = self.stdout.write
        out(
            f"{result.name}: {result.pairs} pairs, {result.distractors} distractors"
            f"{', components ' + result.components if result.components else ''}"
            f" ({result.seconds:.1f} s)"
        )
        out(f"{'placement':<11} {'recall@1':>9} {'recall@5':>9} {'recall@10':>10} {'MRR':>7}")
        for placement in (AS_GIVEN, COLOCATED):
            f = result.figures[placement]
            out(
                f"{placement:<11} {f['recall@1']:>9.3f} {f['recall@5']:>9.3f}"
                f" {f['recall@10']:>10.3f} {f['mrr']:>7.3f}"
            )
        out(f"quality floor {result.floor:g}: matches shown per pair listing "
            + ", ".join(f"{p} {result.shown.get(p, 0):.1f}" for p in (AS_GIVEN, COLOCATED)))
        for level, placements in result.sweep.items():
            f = placements[COLOCATED]
            out(f"  floor {level:<5g} co-located recall@5 {f['recall@5']:.3f} MRR "
                f"{f['mrr']:.3f}, shown {f['shown']:.1f}")
        ranks = result.ranks[COLOCATED]
        worst = sorted(ranks, key=lambda pid: (-(ranks[pid]["want"] + ranks[pid]["offer"]), pid))
        out("")
        out("Worst pairs (co-located ranks: the want's partner offer / the offer's partner want):")
        for pid in worst[:WORST]:
            offer_title, want_title = result.titles.get(pid, ("", ""))
            out(
                f"  {pid:<10} {ranks[pid]['want']:>5} {ranks[pid]['offer']:>5}  "
                f"{offer_title[:45]} → {want_title[:45]}"
            )


def _ranker(name: str):
    """The ``--ranker`` option as ``evaluate_matcher``'s argument."""
    from matching.catalogue import CURRENT
    from matching.engine import HAND_SET, LearnedRanker
    from matching.models import RankerModel

    if name == CURRENT:
        return CURRENT
    if name == HAND_SET:
        return None
    parameters = RankerModel.objects.filter(version=name).values_list("parameters",
                                                                      flat=True).first()
    if parameters is None:
        raise CommandError(f"No ranker model {name!r} (see manage.py train_ranker --list).")
    return LearnedRanker.from_data(parameters)


def _unapplied_migrations() -> bool:
    executor = MigrationExecutor(connections[DEFAULT_DB_ALIAS])
    return bool(executor.migration_plan(executor.loader.graph.leaf_nodes()))
