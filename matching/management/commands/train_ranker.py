"""``manage.py train_ranker``: fit the learned ranker on labels, or measure it on a judged set."""

from __future__ import annotations

import json

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError

from matching import services
from matching.models import RankerModel

METRICS = (("roc_auc", "ROC AUC"), ("average_precision", "avg precision"),
           ("ndcg_at_5", "nDCG@5/want"))


class Command(BaseCommand):
    help = (
        "Fit the learned ranker (logistic regression on the stored score components) on the "
        "labelled pairs, print and store its cross-validated quality against the hand-set "
        "weights, and put it in use if it ranks at least as well; with fewer labelled pairs "
        "than RANKER_MIN_LABELS the hand-set weights stay. --judged FILE measures it on a "
        "judged set of demo-region pairs instead (run load_demo first)."
    )

    def add_arguments(self, parser) -> None:
        parser.add_argument("--judged", help="judged pairs file (data/demo/judged_pairs.json)")
        parser.add_argument("--min-labels", type=int,
                            help="labelled pairs needed (default: RANKER_MIN_LABELS)")
        parser.add_argument("--no-activate", action="store_true",
                            help="store the model without putting it in use")
        parser.add_argument("--activate", metavar="VERSION",
                            help="put a stored model in use ('hand-set': none) and rematch")
        parser.add_argument("--blend", type=float,
                            help="learned share of the final score, 0 to 1 (default: "
                            "chosen by cross-validation)")
        parser.add_argument("--allow-negative", action="store_true",
                            help="let features weigh negatively (default: monotone, every "
                            "weight positive)")
        parser.add_argument("--list", action="store_true", help="list the stored models")
        parser.add_argument("--json", action="store_true", help="print the quality as JSON")

    def handle(self, *args, **options) -> None:
        out = self.stdout.write
        if options["list"]:
            for model in RankerModel.objects.all():
                q = model.quality.get("learned", {})
                out(f"{model.version:<36} {model.trained_on:<7} {model.labels:>6} pairs  "
                    f"nDCG@5 {q.get('ndcg_at_5', float('nan')):.3f}"
                    f"{'  (in use)' if model.active else ''}")
            return
        if options["activate"]:
            version = None if options["activate"] == "hand-set" else options["activate"]
            try:
                services.ranker_activate(version=version)
            except ValidationError as exc:
                raise CommandError("; ".join(exc.messages)) from exc
            out(f"{options['activate']} is in use; a full rematch is queued")
            return
        fitting = {"blend": options["blend"], "monotone": not options["allow_negative"]}
        if fitting["blend"] is not None and not 0 <= fitting["blend"] <= 1:
            raise CommandError("--blend lies between 0 and 1")
        try:
            if options["judged"]:
                outcome = services.ranker_evaluate_judged(path=options["judged"], **fitting)
            else:
                outcome = services.ranker_train(min_labels=options["min_labels"],
                                                activate=not options["no_activate"], **fitting)
        except (OSError, ValueError, KeyError) as exc:
            raise CommandError(str(exc)) from exc
        except ValidationError as exc:
            raise CommandError("; ".join(exc.messages)) from exc
        if options["json"]:
            out(json.dumps({"version": outcome.model.version if outcome.model else None,
                            "message": outcome.message, "quality": outcome.quality},
                           indent=2))
            return
        if outcome.quality:
            q = outcome.quality
            out(f"{q['pairs']} pairs ({q['positives']} good) of {q['wants']} wants, "
                f"{q['folds']} folds grouped by want; cross-validated:")
            out(f"{'':<10}" + "".join(f"{title:>15}" for _key, title in METRICS))
            for name, label in (("hand_set", "hand-set"), ("learned", "learned")):
                out(f"{label:<10}" + "".join(f"{q[name][key]:>15.3f}" for key, _t in METRICS))
            if "blend" in q:
                out(f"blend of the stored model (learned share of the score): {q['blend']}")
        if outcome.model is not None:
            out(f"model {outcome.model.version} stored"
                + (", in use" if outcome.activated else ", not in use"))
        if outcome.message:
            out(outcome.message)
