"""Learning from decisions: labels on (offer, want) pairs, train_ranker, the periodic
retrain, and matches recording the ranker that ranked them."""

from __future__ import annotations

import io
import random

import pytest
from django.core.exceptions import ValidationError
from django.core.management import call_command

from exchanges import services as exchanges_services
from matching import selectors, services
from matching.engine import COMPONENTS, HAND_SET, LearnedRanker, combine
from matching.models import Listing, Match, MatchLabel, RankerModel
from matching.services.ranker import labelled_pairs
from tests.exchanges.factories import terms
from tests.factories import AgencyFactory, CompanyFactory, ListingFactory, SiteFactory

Source = MatchLabel.Source
pytestmark = pytest.mark.django_db


def _components(rng: random.Random, good: bool) -> dict[str, float]:
    """Synthetic components: good pairs have more pathway evidence and text."""
    values = {name: rng.uniform(0.0, 0.4) for name in COMPONENTS}
    values["timing"] = 1.0
    values["semantic"] = 0.0
    if good:
        values["pathway"] = rng.uniform(0.5, 1.0)
        values["text"] = rng.uniform(0.2, 0.6)
    values["material"] = 1 - (1 - values["text"]) * (1 - 0.4 * values["taxonomy"]) * (
        1 - 0.7 * values["pathway"])
    return values


def _synthetic_labels(n_wants: int, per_want: int, *, seed: int = 7,
                      source: str = Source.DISMISSAL) -> list[MatchLabel]:
    """``n_wants`` × ``per_want`` labelled pairs (about a third good) through label_record."""
    rng = random.Random(seed)
    company = CompanyFactory()
    site = SiteFactory(company=company)
    offers = [ListingFactory(company=company, site=site) for _ in range(per_want)]
    other = CompanyFactory()
    other_site = SiteFactory(company=other)
    labels = []
    for _ in range(n_wants):
        want = ListingFactory(company=other, site=other_site, kind=Listing.Kind.WANT,
                              title="Fly ash for cement")
        for offer in offers:
            good = rng.random() < 0.35
            labels.append(services.label_record(
                offer_id=offer.id, want_id=want.id,
                source=Source.CONTACT_ACCEPTED if good else source,
                company=other, components=_components(rng, good)))
    return labels


# --- labels from decisions ---------------------------------------------------------------


def test_dismissal_records_a_negative_label_with_the_match_components(owner, partner):
    services.match_rematch_all()
    match = Match.objects.get(offer=owner.listing, want=partner.listing)
    services.match_dismiss(match=match, company=partner.company, user=partner.user,
                           reason="quality")
    label = MatchLabel.objects.get()
    assert (label.offer_id, label.want_id) == (owner.listing.id, partner.listing.id)
    assert label.source == Source.DISMISSAL and label.positive is False
    assert label.components == match.components and label.score == match.score
    assert label.company == partner.company and label.user == partner.user
    assert label.ranker_version == "" or label.ranker_version == HAND_SET


def test_accepting_a_contact_records_a_positive_label(owner, partner):
    services.match_rematch_all()
    match = Match.objects.get()
    contact = exchanges_services.contact_request(user=partner.user, company=partner.company,
                                                 match_id=match.pk, message="Interested.")
    assert not MatchLabel.objects.exists()  # a request alone says nothing yet
    exchanges_services.contact_accept(contact=contact, user=owner.user)
    label = MatchLabel.objects.get()
    assert label.source == Source.CONTACT_ACCEPTED and label.positive is True
    assert (label.offer_id, label.want_id) == (owner.listing.id, partner.listing.id)
    assert label.components == match.components
    assert label.ranker_version == HAND_SET


def test_an_agreement_becomes_a_label_once_both_firms_signed(owner, partner):
    services.match_rematch_all()
    match = Match.objects.get()
    contact = exchanges_services.contact_request(user=partner.user, company=partner.company,
                                                 match_id=match.pk, message="Interested.")
    exchanges_services.contact_accept(contact=contact, user=owner.user)
    agreement = exchanges_services.agreement_create(contact=contact, user=partner.user,
                                                    terms=terms())
    exchanges_services.agreement_propose(agreement=agreement, user=partner.user)
    exchanges_services.agreement_sign(agreement=agreement, user=partner.user, version=1)
    assert not MatchLabel.objects.filter(source=Source.AGREEMENT_SIGNED).exists()
    exchanges_services.agreement_sign(agreement=agreement, user=owner.user, version=1)
    label = MatchLabel.objects.get(source=Source.AGREEMENT_SIGNED)
    assert label.positive is True
    assert (label.offer_id, label.want_id) == (owner.listing.id, partner.listing.id)
    # The pair's strongest label decides what it teaches: the signed agreement.
    pairs, labelled = labelled_pairs()
    assert labelled == 1 and pairs.grades.tolist() == [1]


def test_an_agency_decision_replaces_its_opposite_and_needs_the_agency(owner, partner):
    services.match_rematch_all()
    agency = AgencyFactory()
    pair = {"offer_id": owner.listing.id, "want_id": partner.listing.id}
    services.label_record(**pair, source=Source.AGENCY_APPROVE, agency=agency)
    services.label_record(**pair, source=Source.AGENCY_REJECT, agency=agency, note="far")
    label = MatchLabel.objects.get()
    assert label.source == Source.AGENCY_REJECT and label.positive is False
    with pytest.raises(ValidationError):
        services.label_record(**pair, source=Source.AGENCY_APPROVE, company=owner.company)
    with pytest.raises(ValidationError):
        services.label_record(**pair, source="liked")
    with pytest.raises(ValidationError):  # the pair reversed is no offer → want pair
        services.label_record(offer_id=partner.listing.id, want_id=owner.listing.id,
                              source=Source.DISMISSAL, company=owner.company)


def test_pair_labels_survive_a_rematch_that_rewrites_the_match_rows(owner, partner):
    services.match_rematch_all()
    match = Match.objects.get()
    services.match_dismiss(match=match, company=owner.company, user=owner.user,
                           reason="quality")
    # Every rematch may delete and rewrite rows: the label names the pair, not the row.
    Match.objects.all().delete()
    services.match_rematch_all()
    assert Match.objects.get().pk != match.pk
    label = MatchLabel.objects.get()
    assert (label.offer_id, label.want_id) == (match.offer_id, match.want_id)
    pairs, labelled = labelled_pairs()
    assert labelled == 1 and len(pairs) == 1 and pairs.grades.tolist() == [0]


def test_a_label_without_a_stored_match_gets_its_components_from_the_engine(owner, partner):
    services.label_record(offer_id=owner.listing.id, want_id=partner.listing.id,
                          source=Source.DISMISSAL, company=partner.company)
    assert MatchLabel.objects.get().components == {}
    pairs, _ = labelled_pairs()
    assert len(pairs) == 1
    assert pairs.components[0]["material"] > 0 and pairs.accepted.tolist() == [True]


def test_benchmark_listings_never_produce_labels(owner, partner):
    services.match_rematch_all()
    Listing.objects.filter(pk=owner.listing.pk).update(benchmark=True)
    assert services.label_record(offer_id=owner.listing.id, want_id=partner.listing.id,
                                 source=Source.DISMISSAL, company=partner.company) is None
    match = Match.objects.get()
    services.match_dismiss(match=match, company=partner.company, user=partner.user,
                           reason="other")
    assert not MatchLabel.objects.exists()
    # Nor does a label written before the listing was marked count.
    Listing.objects.filter(pk=owner.listing.pk).update(benchmark=False)
    services.label_record(offer_id=owner.listing.id, want_id=partner.listing.id,
                          source=Source.DISMISSAL, company=partner.company)
    Listing.objects.filter(pk=owner.listing.pk).update(benchmark=True)
    assert labelled_pairs()[1] == 0


def test_bench_and_evaluation_listings_are_marked_as_benchmark():
    from bench.database import _listing

    class Item:
        key, site, quantity, unit, frequency, max_distance_km = 1, 1, None, "", "yearly", 50

        def shared_fields(self):
            return {"kind": "offer", "title": "t"}

    assert _listing(Item(), {1: 1}).benchmark is True


# --- train_ranker -------------------------------------------------------------------------


def test_train_ranker_keeps_the_hand_set_weights_with_too_few_labels(settings):
    settings.RANKER_MIN_LABELS = 50
    _synthetic_labels(4, 5)  # 20 labelled pairs
    out = io.StringIO()
    call_command("train_ranker", stdout=out)
    assert "fewer than RANKER_MIN_LABELS=50" in out.getvalue()
    assert "hand-set weights stay" in out.getvalue()
    assert not RankerModel.objects.exists()
    assert selectors.ranker_current() is None


def test_train_ranker_stores_a_versioned_model_with_its_cross_validated_quality(
        settings, django_capture_on_commit_callbacks):
    settings.RANKER_MIN_LABELS = 50
    _synthetic_labels(12, 10)
    out = io.StringIO()
    with django_capture_on_commit_callbacks(execute=False) as queued:
        call_command("train_ranker", stdout=out)
    model = RankerModel.objects.get()
    assert model.version.startswith("ranker-") and model.labels == 120
    assert model.trained_on == "labels" and model.labels_until is not None
    for name in ("learned", "hand_set"):
        assert set(model.quality[name]) >= {"roc_auc", "average_precision", "ndcg_at_5"}
    # The synthetic rule is learnable: the model finds the good pairs.
    assert model.quality["learned"]["roc_auc"] > 0.9
    assert model.quality["folds"] == 5 and model.quality["wants"] == 12
    assert "pathway" in model.features
    printed = out.getvalue()
    assert "ROC AUC" in printed and "nDCG@5" in printed and model.version in printed
    # Better than the hand-set weights on these labels: in use, and a rematch queued.
    assert model.active and selectors.ranker_current().version == model.version
    assert len(queued) == 1


def test_a_model_is_put_in_use_only_if_it_ranks_at_least_as_well_as_the_hand_set():
    from matching.services.ranker import _better_or_equal

    def quality(learned: float, hand_set: float) -> dict:
        return {"learned": {"ndcg_at_5": learned}, "hand_set": {"ndcg_at_5": hand_set}}

    assert _better_or_equal(quality(0.80, 0.80))
    assert not _better_or_equal(quality(0.79, 0.80))
    assert not _better_or_equal(quality(float("nan"), 0.80))


def test_train_ranker_no_activate_stores_the_model_unused(settings):
    settings.RANKER_MIN_LABELS = 50
    _synthetic_labels(6, 10)
    call_command("train_ranker", "--no-activate", stdout=io.StringIO())
    model = RankerModel.objects.get()
    assert not model.active and selectors.ranker_current() is None


# --- the ranker in use --------------------------------------------------------------------


def _ranker(version: str = "ranker-test") -> LearnedRanker:
    return LearnedRanker(version=version, features=("pathway", "hand_set"),
                         coefficients=(2.0, 1.0), intercept=-1.0, mean=(0.5, 0.5),
                         scale=(0.25, 0.25), blend=0.5)


def test_matches_record_the_ranker_that_ranked_them(owner, partner,
                                                    django_capture_on_commit_callbacks):
    services.match_rematch_all()
    match = Match.objects.get()
    assert match.ranker_version == HAND_SET
    assert match.score == pytest.approx(combine(match.components))
    ranker = _ranker()
    RankerModel.objects.create(version=ranker.version, features=list(ranker.features),
                               parameters=ranker.as_data())
    with django_capture_on_commit_callbacks(execute=True):
        services.ranker_activate(version=ranker.version)
    match = Match.objects.get()
    assert match.ranker_version == ranker.version
    assert match.score == pytest.approx(float(ranker.score(match.components)))
    assert match.score != pytest.approx(combine(match.components))
    # A single listing's rematch scores with the model of the same ranker.
    services.listing_rematch(listing_id=owner.listing.id)
    assert Match.objects.get().ranker_version == ranker.version
    # Back to the hand-set weights.
    with django_capture_on_commit_callbacks(execute=True):
        services.ranker_activate(version=None)
    match = Match.objects.get()
    assert match.ranker_version == HAND_SET
    assert match.score == pytest.approx(combine(match.components))


# --- the periodic retrain ----------------------------------------------------------------


def test_periodic_retrain_trains_only_when_enough_new_labels_exist(settings):
    from matching.tasks import retrain_ranker

    settings.RANKER_MIN_LABELS = 20
    settings.RANKER_RETRAIN_NEW_LABELS = 60
    _synthetic_labels(5, 10, seed=1)  # 50 new labelled pairs: not enough
    assert retrain_ranker.delay().get() == ""
    assert not RankerModel.objects.exists()
    _synthetic_labels(2, 10, seed=2)  # 70
    retrain_ranker.delay().get()
    first = RankerModel.objects.get()
    # Nothing new since that model: no retrain.
    assert retrain_ranker.delay().get() == ""
    assert RankerModel.objects.count() == 1
    _synthetic_labels(6, 10, seed=3)  # 60 new since the first model
    retrain_ranker.delay().get()
    assert RankerModel.objects.count() == 2
    assert RankerModel.objects.exclude(pk=first.pk).get().labels == 130


def test_the_retrain_is_on_the_beat_schedule(settings):
    entry = settings.CELERY_BEAT_SCHEDULE["retrain-ranker"]
    assert entry["task"] == "matching.tasks.retrain_ranker"
    assert entry["schedule"] >= 60


# --- a judged set -----------------------------------------------------------------------


def _judged_region() -> list[dict]:
    """Three wants and four offers of ash (every pair passes the hard rules) with external
    ids, and grades for every pair."""
    titles = [("Coal fly ash", "100102"), ("Bottom ash and slag", "100101"),
              ("Wood ash from a bark boiler", "100103"), ("Boiler dust", "100104")]
    offers = [ListingFactory(external_id=f"o-{i}", title=title, ewc_code=code,
                             description=title)
              for i, (title, code) in enumerate(titles)]
    wants = [ListingFactory(external_id=f"w-{i}", kind=Listing.Kind.WANT, title=title,
                            description=title, ewc_code="")
             for i, title in enumerate(["Fly ash for cement", "Ash for road building",
                                        "Wood ash as forest fertiliser"])]
    good = {(0, 0): 2, (3, 0): 1, (1, 1): 2, (0, 1): 1, (2, 2): 2}
    return [{"offer": offer.external_id, "want": want.external_id,
             "grade": good.get((i, j), 0)}
            for j, want in enumerate(wants) for i, offer in enumerate(offers)]


def test_train_ranker_judged_reports_learned_against_hand_set_on_the_judged_pairs(tmp_path):
    import json

    path = tmp_path / "judged.json"
    path.write_text(json.dumps({"pairs": _judged_region()}))
    services.match_rematch_all(k=2)  # some judged pairs are stored matches, some not
    out = io.StringIO()
    call_command("train_ranker", "--judged", str(path), stdout=out)
    printed = out.getvalue()
    assert "12 pairs (5 good) of 3 wants" in printed
    assert "hand-set" in printed and "learned" in printed
    model = RankerModel.objects.get()
    assert model.trained_on == "judged" and model.version.startswith("judged-")
    assert not model.active  # a judged set is for measuring, not for use by default
    assert model.quality["hand_set"]["wants_ranked"] == 3
    assert not MatchLabel.objects.exists()  # judged pairs are no labels


def test_train_ranker_judged_refuses_pairs_not_in_the_database(tmp_path):
    import json

    from django.core.management.base import CommandError

    path = tmp_path / "judged.json"
    path.write_text(json.dumps({"pairs": [{"offer": "demo-001", "want": "demo-999",
                                           "grade": 2}]}))
    with pytest.raises(CommandError, match="not in the database"):
        call_command("train_ranker", "--judged", str(path), stdout=io.StringIO())
