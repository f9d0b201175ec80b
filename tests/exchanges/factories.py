"""Factories for exchanges: matches between personas, and terms of an agreement."""

from __future__ import annotations

import datetime as dt

import factory

from matching.engine.score import COMPONENTS
from matching.models import Match


class MatchFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Match

    score = 0.8237
    distance_km = 41.3
    components = factory.LazyFunction(
        lambda: {name: 0.5 + i * 0.0123 for i, name in enumerate(COMPONENTS)}
    )
    explanation = (
        "fly ash → clinker substitute (EU cement BREF 2013), 41 km, covers 63% of the need"
    )


def terms(**overrides) -> dict:
    """Terms of an agreement as a form or the API would send them."""
    values = {
        "material": "Coal fly ash, dry",
        "quantity": "3000",
        "unit": "t",
        "frequency": "yearly",
        "price_per_unit": "-12.50",
        "currency": "EUR",
        "start_date": dt.date.today() + dt.timedelta(days=30),
        "end_date": dt.date.today() + dt.timedelta(days=30 + 364),
        "transport_by": "supplier",
        "quality_specification": "EN 450-1 category A, LOI below 5%",
        "legal_status": "by-product",
        "notes": "",
    }
    values.update(overrides)
    return values
