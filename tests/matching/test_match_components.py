"""How a match's score components are stored: a list in the engine's order, read as a dict."""

from __future__ import annotations

import json

import numpy as np
import pytest
from django.db import connection

from matching.bulkwrite import MatchRows, sync_matches
from matching.engine import COMPONENTS, MatchRecord
from matching.models import Listing, Match, components_from_json, components_json
from tests.factories import ListingFactory

# Values whose shortest spelling differs between spellers if any: tiny, inexact, whole.
VALUES = [1e-7, 0.1 + 0.2, 1.0, 0.0, 0.14039855072463767, 2.5e-05, 0.5, 1 / 3, 0.999, 0.25,
          0.75]


def _components() -> dict[str, float]:
    # In an order other than the engine's: the stored list follows COMPONENTS.
    return dict(reversed(list(zip(COMPONENTS, VALUES, strict=True))))


def _stored_text(match_id: int) -> str:
    with connection.cursor() as cursor:
        cursor.execute("SELECT components FROM matching_match WHERE id = %s", [match_id])
        return cursor.fetchone()[0]


def _pair() -> tuple[Listing, Listing]:
    return ListingFactory(kind=Listing.Kind.OFFER), ListingFactory(kind=Listing.Kind.WANT)


def test_the_engines_components_are_spelt_as_a_list_in_its_order():
    text = components_json(_components())
    assert text.startswith("[") and " " not in text
    assert json.loads(text) == VALUES
    assert components_from_json(json.loads(text)) == dict(zip(COMPONENTS, VALUES, strict=True))


def test_other_components_are_spelt_as_an_object():
    assert components_json({"text": 0.5}) == '{"text": 0.5}'
    assert components_json({}) == "{}"
    assert components_from_json({"text": 0.5}) == {"text": 0.5}


def test_a_stored_list_of_another_length_is_refused_with_the_names_it_needs():
    with pytest.raises(ValueError, match="hold 2 values, not the 11 of text, ewc"):
        components_from_json([0.1, 0.2])


def test_bulk_rows_spell_components_as_the_orm_does():
    records = [
        MatchRecord(offer_id=1, want_id=2, score=0.5, distance_km=3.0,
                    components=_components(), explanation="fly ash → cement"),
        MatchRecord(offer_id=3, want_id=2, score=0.25, distance_km=1.0,
                    components=dict.fromkeys(_components(), 0.0), explanation="x"),
    ]
    rows = MatchRows.from_records(records)
    for line, record, values in zip(rows.lines, records, rows.values(), strict=True):
        assert line.split("\t")[4] == components_json(record.components)
        assert values["components"] == record.components


@pytest.mark.django_db
def test_components_are_stored_as_a_list_and_read_back_as_a_dict():
    offer, want = _pair()
    match = Match.objects.create(offer=offer, want=want, score=0.5, distance_km=1.0,
                                 components=_components(), explanation="x")
    assert json.loads(_stored_text(match.id)) == VALUES
    assert Match.objects.get().components == dict(zip(COMPONENTS, VALUES, strict=True))


@pytest.mark.django_db
def test_components_stored_as_an_object_are_still_read():
    offer, want = _pair()
    with connection.cursor() as cursor:
        cursor.execute(
            "INSERT INTO matching_match (offer_id, want_id, score, distance_km, components, "
            "explanation, model_version, created_at, updated_at) "
            "VALUES (%s, %s, 0.5, 1.0, %s, 'x', 'v', CURRENT_TIMESTAMP, CURRENT_TIMESTAMP)",
            [offer.id, want.id, json.dumps(_components())])
    assert Match.objects.get().components == _components()


@pytest.mark.django_db
def test_a_row_written_in_bulk_stores_the_text_the_orm_stores():
    offer, want = _pair()
    other = ListingFactory(kind=Listing.Kind.WANT)
    record = MatchRecord(offer_id=offer.id, want_id=want.id, score=0.5, distance_km=3.0,
                         components=_components(), explanation="same material")
    # COPY on PostgreSQL (the ORM elsewhere), for a pair of the scope.
    sync_matches(MatchRows.from_records([record]), version="v", offers=np.array([offer.id]),
                 wants=np.array([want.id]))
    by_orm = Match.objects.create(offer=offer, want=other, score=0.5, distance_km=3.0,
                                  components=_components(), explanation="same material")
    bulk = Match.objects.get(want=want)
    assert _stored_text(bulk.id) == _stored_text(by_orm.id)
    assert bulk.components == by_orm.components == record.components
