"""``manage.py suggest_ewc "TEXT" [--nace 24.10]``: the likeliest EWC codes for a description,
each with why (the words, the chapter rule, the hazard signal); no code for heat, steam,
water or CO2 flows, and the deciding question when the first two form a mirror pair.

``manage.py suggest_ewc --evaluate FILE [--json]`` scores the suggester on a waste-code
suggestion file (``{"items": [{"text": ..., "codes": [...], "nace": ...}, ...]}``, see the
benchmarks README): top-1 = the first suggested code is acceptable, top-3 = one of the
first three is; an item with no codes expects none. It also counts the items that got no
code and those that name a hazardous constituent yet got the non-hazardous mirror first.
"""

from __future__ import annotations

import json
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError
from django.utils.translation import gettext as _

from matching.engine import evaluate
from matching.suggestions import (
    advice_as_dict,
    ewc_advice,
    ewc_suggester,
    hazard_hint,
    not_waste_message,
)


class Command(BaseCommand):
    # Developer-facing, like the help of Django's own commands: not translated.
    help = "Suggest European List of Waste codes for a text, or evaluate on a file."

    def add_arguments(self, parser) -> None:
        parser.add_argument("text", nargs="?", default="", help="What the firm would type.")
        parser.add_argument("-k", type=int, default=3, help="How many codes (default 3).")
        parser.add_argument(
            "--nace", default="", help="The producing company's NACE Rev. 2 code (e.g. 24.10)."
        )
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
        advice = ewc_advice(text=text, k=options["k"], nace=options["nace"])
        if options["json"]:
            self.stdout.write(json.dumps(
                {"text": text, **advice_as_dict(advice)}, ensure_ascii=False, indent=2
            ))
            return
        if advice.not_waste:
            self.stdout.write(not_waste_message(advice))
            return
        if advice.mirror_question:
            self.stdout.write(f"{_('Mirror entry — decide:')} {advice.mirror_question}")
        for rank, suggestion in enumerate(advice.suggestions, start=1):
            why = suggestion.why
            self.stdout.write(
                f"{rank}. {suggestion.display:<10} {suggestion.description}\n"
                f"   {suggestion.sub_chapter}\n"
                f"   {_('Hazardous?')} {hazard_hint(suggestion)}"
                f"   ({_('score')} {suggestion.score:.2f})\n"
                f"   {_('Why:')} {_('words')} {', '.join(why.words) or '-'}; "
                f"{_('chapter rule')} {why.chapter_rule}"
                + (f"; {_('hazard signal')} {why.hazard_signal}" if why.hazard_signal else "")
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
                _("top-1 %(top1).3f, top-3 %(top3).3f on %(items)d items "
                  "(%(no_code)d without a code, %(wrong_mirror_side)d with a named hazardous "
                  "constituent but the non-hazardous mirror first)") % result
            )
