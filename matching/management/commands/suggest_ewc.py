"""``manage.py suggest_ewc "TEXT"``: the likeliest EWC codes for a description.

``manage.py suggest_ewc --evaluate FILE [--json]`` scores the suggester on a waste-code
suggestion file (``{"items": [{"text": ..., "codes": [...]}, ...]}``, see the benchmarks
README): top-1 = the first suggested code is acceptable, top-3 = one of the first three is.
"""

from __future__ import annotations

import json
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError
from django.utils.translation import gettext as _

from matching.engine import evaluate
from matching.suggestions import ewc_suggest, ewc_suggester, hazard_hint, suggestion_as_dict


class Command(BaseCommand):
    # Developer-facing, like the help of Django's own commands: not translated.
    help = "Suggest European List of Waste codes for a text, or evaluate on a file."

    def add_arguments(self, parser) -> None:
        parser.add_argument("text", nargs="?", default="", help="What the firm would type.")
        parser.add_argument("-k", type=int, default=3, help="How many codes (default 3).")
        parser.add_argument(
            "--evaluate", metavar="FILE", help="Score top-1/top-3 on a suggestion file."
        )
        parser.add_argument("--json", action="store_true", help="Print JSON.")

    def handle(self, *args, **options) -> None:
        if options["evaluate"]:
            self._evaluate(Path(options["evaluate"]), as_json=options["json"])
            return
        text = options["text"].strip()
        if not text:
            raise CommandError(_("Give a text to code, or --evaluate FILE."))
        suggestions = ewc_suggest(text=text, k=options["k"])
        if options["json"]:
            self.stdout.write(json.dumps(
                [suggestion_as_dict(s) for s in suggestions], ensure_ascii=False, indent=2
            ))
            return
        for rank, suggestion in enumerate(suggestions, start=1):
            self.stdout.write(
                f"{rank}. {suggestion.display:<10} {suggestion.description}\n"
                f"   {suggestion.sub_chapter}\n"
                f"   {_('Hazardous?')} {hazard_hint(suggestion)}"
                f"   ({_('score')} {suggestion.score:.2f})"
            )

    def _evaluate(self, path: Path, *, as_json: bool) -> None:
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, ValueError) as exc:
            raise CommandError(
                _("Cannot read %(path)s: %(error)s") % {"path": path, "error": exc}
            ) from exc
        items = data.get("items") if isinstance(data, dict) else None
        if not isinstance(items, list):
            raise CommandError(_("%(path)s has no \"items\" list.") % {"path": path})
        result = evaluate(ewc_suggester(), items)
        if as_json:
            self.stdout.write(json.dumps(result))
        else:
            self.stdout.write(
                _("top-1 %(top1).3f, top-3 %(top3).3f on %(items)d items")
                % {"top1": result["top1"], "top3": result["top3"], "items": result["items"]}
            )
