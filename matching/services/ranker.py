"""The learned ranker: fitted on labels, measured, stored, made the one that scores.

``ranker_train`` fits on the labelled pairs (``MatchLabel``, one label per pair), stores a
``RankerModel`` with its cross-validated quality and activates it unless it ranks worse
than the hand-set weights on the same folds; with fewer labelled pairs than
``RANKER_MIN_LABELS`` nothing is fitted and the hand-set weights stay. ``ranker_retrain_due``
(the periodic task) trains when ``RANKER_RETRAIN_NEW_LABELS`` pairs were labelled since
the last model. ``ranker_evaluate_judged`` measures the learned ranker against the
hand-set weights on a judged set of pairs (``data/demo/judged_pairs.json``). Activating
a model (or going back to the hand-set weights) queues a full rematch, so that every
match is ranked by it (``Match.ranker_version``).
"""

from __future__ import annotations

import json
import logging
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from matching import modelstore, selectors, training
from matching.engine import OFFER, WANT, LearnedRanker
from matching.models import Listing, Match, MatchLabel, RankerModel
from matching.services.labels import label_pairs
from matching.services.records import active_records, build_index

log = logging.getLogger(__name__)

TRAINED_ON_LABELS = "labels"
TRAINED_ON_JUDGED = "judged"


@dataclass
class RankerOutcome:
    """What a training run did: the stored model (``None``: too few labels) and why."""

    labelled: int
    model: RankerModel | None = None
    activated: bool = False
    message: str = ""
    quality: dict = field(default_factory=dict)


# --- components of pairs -----------------------------------------------------------------


def pair_components(pairs: Sequence[tuple[int, int]]) -> dict[tuple[int, int], tuple[dict, bool]]:
    """Score components of (offer id, want id) pairs and whether the hard rules accept them:
    a stored match's components, else the engine's for the pair (the current model, or
    one fitted on the active listings when it lacks them). Pairs whose listings the
    matcher does not know (inactive, skipped) are left out."""
    found: dict[tuple[int, int], tuple[dict, bool]] = {}
    wanted = set(pairs)
    offers = {o for o, _w in wanted}
    for offer_id, want_id, components in Match.objects.filter(
            offer_id__in=offers).values_list("offer_id", "want_id", "components"):
        if (offer_id, want_id) in wanted:
            found[(offer_id, want_id)] = (components, True)
    missing = [pair for pair in pairs if pair not in found]
    if not missing:
        return found
    model = modelstore.current()
    index = model.index if model is not None else None
    if index is None or any(index.position(i) is None for pair in missing for i in pair):
        index = build_index(active_records())
    known = [(o, w) for o, w in missing
             if (index.position(o) or ("",))[0] == OFFER
             and (index.position(w) or ("",))[0] == WANT]
    if not known:
        return found
    scored = index.pair_scores([o for o, _w in known], [w for _o, w in known])
    for j, pair in enumerate(known):
        found[pair] = ({name: float(value[j]) for name, value in scored.components.items()},
                       bool(scored.accepted[j]))
    return found


def labelled_pairs() -> tuple[training.PairSet, int]:
    """The labelled pairs as a training set (one label per pair, benchmark listings never
    among them); and how many pairs are labelled, with or without usable components."""
    labels = MatchLabel.objects.exclude(offer__benchmark=True).exclude(want__benchmark=True)
    chosen = label_pairs(labels.only("id", "offer_id", "want_id", "source", "positive",
                                     "components", "updated_at"))
    keys = sorted(chosen)
    lacking = [key for key in keys if not chosen[key].components]
    computed = pair_components(lacking) if lacking else {}
    components, grades, groups, accepted = [], [], [], []
    for key in keys:
        label = chosen[key]
        if label.components:
            parts, ok = label.components, True
        elif key in computed:
            parts, ok = computed[key]
        else:
            continue
        components.append(parts)
        grades.append(1 if label.positive else 0)
        groups.append(key[1])
        accepted.append(ok)
    return training.PairSet.of(components, grades, groups, accepted), len(keys)


# --- training -------------------------------------------------------------------------------


def _now_tag() -> str:
    return timezone.now().strftime("%Y%m%d%H%M%S")


def _store(ranker: LearnedRanker, *, quality: dict, labels: int, trained_on: str,
           labels_until=None) -> RankerModel:
    return RankerModel.objects.create(
        version=ranker.version,
        features=list(ranker.features),
        quality=quality,
        labels=labels,
        labels_until=labels_until,
        trained_on=trained_on,
        parameters=ranker.as_data(),
    )


def _better_or_equal(quality: dict) -> bool:
    """Whether the learned ranker ranks at least as well as the hand-set weights (nDCG@5,
    the ranking the firms see, cross-validated on the same folds)."""
    learned, hand_set = quality["learned"]["ndcg_at_5"], quality["hand_set"]["ndcg_at_5"]
    return learned == learned and learned >= hand_set - 1e-9  # NaN: never


@transaction.atomic
def ranker_train(*, min_labels: int | None = None, activate: bool = True,
                 blend: float | None = None, monotone: bool = True) -> RankerOutcome:
    """Fit a ranker on the labelled pairs, store it with its cross-validated quality and
    make it the one that scores (``activate``) if it ranks at least as well as the
    hand-set weights. Too few labelled pairs (``RANKER_MIN_LABELS``), or labels of one
    kind only: nothing is stored and the hand-set weights (or the active model) stay.
    ``blend`` fixes the learned share of the score (default: chosen by cross-validation);
    ``monotone`` keeps every feature's weight positive (``training.fit``)."""
    minimum = settings.RANKER_MIN_LABELS if min_labels is None else min_labels
    started = timezone.now()
    pairs, labelled = labelled_pairs()
    if len(pairs) < minimum:
        return RankerOutcome(labelled=labelled, message=(
            f"{len(pairs)} labelled pairs, fewer than RANKER_MIN_LABELS={minimum}: "
            "the hand-set weights stay in use"))
    problem = pairs.trainable()
    if problem:
        return RankerOutcome(labelled=labelled, message=(
            f"{len(pairs)} labelled pairs, but {problem}: the hand-set weights stay in use"))
    quality = training.cross_validate(pairs, blend=blend, monotone=monotone)
    ranker = training.fit(pairs, version=training.ranker_version_name(
        pairs, _now_tag(), f"{blend}:{monotone}"), blend=blend, monotone=monotone)
    quality["blend"] = ranker.blend
    model = _store(ranker, quality=quality, labels=len(pairs), trained_on=TRAINED_ON_LABELS,
                   labels_until=started)
    outcome = RankerOutcome(labelled=labelled, model=model, quality=quality)
    if activate and _better_or_equal(quality):
        ranker_activate(version=model.version)
        outcome.activated = True
        outcome.message = f"{model.version} is in use"
    else:
        outcome.message = (f"{model.version} stored, not in use: "
                           + ("it ranks worse than the hand-set weights" if activate
                              else "not activated"))
    log.info("ranker trained: %s", outcome.message)
    return outcome


def ranker_retrain_due() -> RankerOutcome | None:
    """The periodic retrain: train when at least ``RANKER_RETRAIN_NEW_LABELS`` pairs were
    labelled since the last model fitted on labels (or ever, before the first)."""
    latest = selectors.ranker_latest()
    since = latest.labels_until if latest is not None else None
    new = selectors.label_count(since=since)
    if new < settings.RANKER_RETRAIN_NEW_LABELS:
        return None
    return ranker_train()


@transaction.atomic
def ranker_activate(*, version: str | None) -> RankerModel | None:
    """Make the model ``version`` the one that scores (``None``: the hand-set weights) and
    queue a full rematch after commit, so that every match is ranked by it."""
    from matching.tasks import rematch_all

    model = None
    if version is not None:
        model = RankerModel.objects.select_for_update().filter(version=version).first()
        if model is None:
            raise ValidationError({"version": f"No ranker model {version}."})
    RankerModel.objects.filter(active=True).exclude(version=version).update(active=False)
    if model is not None and not model.active:
        model.active = True
        model.save(update_fields=["active"])
    rematch_all.delay_on_commit()
    return model


# --- a judged set ----------------------------------------------------------------------------


@dataclass(frozen=True)
class JudgedPair:
    offer: str  # the listings' external ids (the demo's "demo-001" …)
    want: str
    grade: int  # 0 bad, 1 plausible, 2 good


def judged_read(path: Path | str) -> list[JudgedPair]:
    """The pairs of a judged-set file: ``{"pairs": [{"offer", "want", "grade"}, …]}``."""
    data = json.loads(Path(path).read_text(encoding="utf-8"))
    items = data["pairs"] if isinstance(data, dict) else data
    pairs = []
    for item in items:
        grade = item.get("grade", item.get("label", item.get("judgement")))
        pairs.append(JudgedPair(str(item["offer"]), str(item["want"]), int(grade)))
    if not pairs:
        raise ValueError(f"{path}: no judged pairs")
    return pairs


def judged_pair_set(pairs: Sequence[JudgedPair]) -> tuple[training.PairSet, list[str]]:
    """Components of the judged pairs in the database (the demo region, by external id):
    stored matches, else scored by the engine. Also the pairs that could not be scored."""
    ids = {external: pk for external, pk in Listing.objects.filter(
        external_id__in={p.offer for p in pairs} | {p.want for p in pairs}
    ).values_list("external_id", "id")}
    keys = [(ids.get(p.offer), ids.get(p.want)) for p in pairs]
    known = [key for key in keys if None not in key]
    found = pair_components(known)
    components, grades, groups, accepted, missing = [], [], [], [], []
    for pair, key in zip(pairs, keys, strict=True):
        if key not in found:
            missing.append(f"{pair.offer} → {pair.want}")
            continue
        parts, ok = found[key]
        components.append(parts)
        grades.append(pair.grade)
        groups.append(key[1])
        accepted.append(ok)
    return training.PairSet.of(components, grades, groups, accepted), missing


@transaction.atomic
def ranker_evaluate_judged(*, path: Path | str, store: bool = True, activate: bool = False,
                           blend: float | None = None, monotone: bool = True
                           ) -> RankerOutcome:
    """Cross-validated quality of the learned ranker against the hand-set weights on a
    judged set (folds grouped by want); ``store`` keeps the ranker fitted on all of it
    (not in use unless ``activate``), for the evaluation harness to try. ``blend`` and
    ``monotone`` as for ``ranker_train``."""
    judged = judged_read(path)
    pairs, missing = judged_pair_set(judged)
    if missing:
        raise ValidationError({"path": f"{len(missing)} judged pairs are not in the "
                                       f"database (load_demo first?): {missing[:3]}"})
    problem = pairs.trainable()
    if problem:
        raise ValidationError({"path": problem})
    quality = training.cross_validate(pairs, blend=blend, monotone=monotone)
    quality["judged_file"] = str(path)
    outcome = RankerOutcome(labelled=len(pairs), quality=quality)
    if store:
        name = training.ranker_version_name(pairs, _now_tag(), f"{blend}:{monotone}")
        ranker = training.fit(pairs, version=name.replace("ranker-", "judged-"),
                              blend=blend, monotone=monotone)
        quality["blend"] = ranker.blend
        outcome.model = _store(ranker, quality=quality, labels=len(pairs),
                               trained_on=TRAINED_ON_JUDGED)
        if activate:
            ranker_activate(version=outcome.model.version)
            outcome.activated = True
    return outcome
