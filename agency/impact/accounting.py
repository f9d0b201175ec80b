"""Impact of agreements and their confirmed deliveries: the one place these figures are
computed, for the dashboard, the reports and the API alike.

Per agreement, over a period (the confirmed deliveries dated in it):

* quantity diverted from disposal: the sum of the confirmed deliveries, in the canonical
  unit of their kind (t, MWh or m3; ``matching/engine/quantity.py`` converted them);
* transport: tonnes moved × the exact great-circle distance between the two sites
  (t·km), times the road-freight factor; energy moves by pipe or wire (no freight), a
  volume becomes tonnes through the listing's density (water: 1 t/m3);
* avoided CO2e: quantity × the avoided factor of the offer's material category;
* net CO2e: avoided minus transport;
* the cost figures the two firms chose to share (``Agreement.shared_*``).

Every figure carries its formula with the numbers and the factor's source, so screens
can show how it was computed. Reads only: exchanges' rows come through its selectors.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from accounts.geometry import haversine_km
from agency.impact.factors import Factor, avoided_factor, category_parents, transport_factor
from exchanges import selectors as exchanges_selectors
from matching.engine.quantity import CANONICAL_UNITS, UNITS

if TYPE_CHECKING:  # types only
    from exchanges.models import Agreement

UNIT_LABELS = {"t": "t", "MWh": "MWh", "m3": "m³", "unit": "units", "": ""}
WATER_DENSITY = 1.0  # t per m3


def number(value: float | None, digits: int = 3) -> str:
    """``1234.5`` → ``'1,234.5'``; at most ``digits`` decimals, trailing zeros dropped."""
    if value is None:
        return "–"
    text = f"{value:,.{digits}f}"
    if "." in text:
        text = text.rstrip("0").rstrip(".")
    return "0" if text in ("-0", "") else text


@dataclass(frozen=True)
class Figure:
    """A number with its unit and the formula it came from (numbers and sources)."""

    value: float | None
    unit: str
    formula: str

    @property
    def known(self) -> bool:
        return self.value is not None

    def __str__(self) -> str:
        if self.value is None:
            return "–"
        return f"{number(self.value)} {UNIT_LABELS.get(self.unit, self.unit)}".strip()


@dataclass(frozen=True)
class SiteView:
    site_id: int
    name: str
    company: str
    company_id: int
    latitude: float
    longitude: float


@dataclass(frozen=True)
class AgreementImpact:
    """The impact figures of one agreement over a period."""

    agreement_id: int
    state: str
    state_label: str
    material: str
    category: str
    ewc_code: str
    supplier: SiteView
    receiver: SiteView
    unit: str
    deliveries: int
    quantity: Figure
    distance: Figure
    tonne_km: Figure
    transport_co2e: Figure
    avoided_co2e: Figure
    net_co2e: Figure
    savings: Figure | None
    costs: Figure | None
    factor: Factor | None = field(default=None, compare=False)

    @property
    def dimension_key(self) -> str:
        """``quantity_t``, ``quantity_mwh`` or ``quantity_m3`` (``''`` for pieces)."""
        return {"t": "quantity_t", "MWh": "quantity_mwh", "m3": "quantity_m3"}.get(self.unit, "")


def _site(site) -> SiteView:
    return SiteView(site_id=site.pk, name=site.name, company=site.company.name,
                    company_id=site.company_id, latitude=site.latitude,
                    longitude=site.longitude)


def _is_water(category: str) -> bool:
    parents = category_parents()
    slug = category
    while slug:
        if slug == "water":
            return True
        slug = parents.get(slug, "")
    return False


def _quantity(amounts: list[float], unit: str) -> Figure:
    label = UNIT_LABELS.get(unit, unit)
    if not amounts:
        return Figure(0.0, unit, "No confirmed deliveries in the period: 0.")
    total = sum(amounts)
    shown = " + ".join(f"{number(a)} {label}" for a in amounts[:6])
    if len(amounts) > 6:
        shown += f" + … ({len(amounts) - 6} more)"
    noun = "delivery" if len(amounts) == 1 else "deliveries"
    return Figure(total, unit, f"{len(amounts)} confirmed {noun}: {shown} = "
                               f"{number(total)} {label}.")


def _tonnes(quantity: Figure, unit: str, category: str, density: float | None
            ) -> tuple[float | None, str]:
    """Tonnes moved by road and how they were found; None when they cannot be."""
    if unit == "t":
        return quantity.value, f"{number(quantity.value)} t"
    if unit == "m3":
        if density:
            tonnes = quantity.value * density
            return tonnes, (f"{number(quantity.value)} m³ × {number(density)} t/m³ "
                            f"(listing's density) = {number(tonnes)} t")
        if _is_water(category):
            tonnes = quantity.value * WATER_DENSITY
            return tonnes, f"{number(quantity.value)} m³ × 1 t/m³ (water) = {number(tonnes)} t"
        return None, "no density stated for this volume"
    return None, ""


def _impact(agreement: Agreement, amounts: list[float], unit: str) -> AgreementImpact:
    contact = agreement.contact
    offer, want = contact.offer, contact.want
    version = exchanges_selectors.agreement_terms_current(agreement=agreement)
    category = offer.category or want.category or ""
    unit = unit or _canonical_of(version)
    quantity = _quantity(amounts, unit)
    a, b = offer.site, want.site
    km = haversine_km(a.latitude, a.longitude, b.latitude, b.longitude)
    distance = Figure(km, "km", (
        f"Great-circle distance between {a.name} ({a.latitude:.4f}, {a.longitude:.4f}) and "
        f"{b.name} ({b.latitude:.4f}, {b.longitude:.4f}) = {number(km, 1)} km."))

    road = transport_factor()
    tonnes, how = None, ""
    if unit == "MWh":
        tonne_km = Figure(0.0, "t·km", "Energy moves by pipe or wire: no road freight.")
        transport = Figure(0.0, "t CO2e", "No road freight: 0.")
    elif unit == "unit":
        tonne_km = Figure(None, "t·km", "Pieces have no mass stated: tonne-km not computed.")
        transport = Figure(None, "t CO2e", "Not computed (no mass).")
    else:
        density = offer.density_t_per_m3 or want.density_t_per_m3
        tonnes, how = _tonnes(quantity, unit, category, density)
        if tonnes is None:
            tonne_km = Figure(None, "t·km", f"Not computed: {how}.")
            transport = Figure(None, "t CO2e", "Not computed (no tonnes).")
        else:
            tkm = tonnes * km
            tonne_km = Figure(tkm, "t·km", f"{how} × {number(km, 1)} km = {number(tkm, 1)} t·km.")
            kg = tkm * road.value
            transport = Figure(kg / 1000.0, "t CO2e", (
                f"{number(tkm, 1)} t·km × {road.value:g} kg CO2e/t·km (road HGV, average "
                f"laden, well-to-wheel: {road.short_source}, {road.year}) = {number(kg, 1)} kg "
                f"= {number(kg / 1000.0)} t CO2e."))

    factor = avoided_factor(category=category, unit=unit) if unit in ("t", "MWh", "m3") else None
    basis, basis_text = quantity.value, str(quantity)
    if factor is None and unit == "m3" and tonnes is not None:
        # A volume whose mass is known is credited with the material's per-tonne factor.
        factor = avoided_factor(category=category, unit="t")
        basis, basis_text = tonnes, f"({how})"
    if factor is None:
        avoided = Figure(None, "t CO2e", (
            f"No avoided-emission factor for category “{category or 'none'}” per "
            f"{UNIT_LABELS.get(unit, unit) or 'unit'}: none claimed."))
    else:
        kg = basis * factor.value
        avoided = Figure(kg / 1000.0, "t CO2e", (
            f"{basis_text} × {factor.label} = {number(kg, 1)} kg = {number(kg / 1000.0)} t CO2e "
            f"({factor.item})."))

    transport_t = transport.value or 0.0
    if avoided.value is None:
        net = Figure(-transport_t if transport.value else None, "t CO2e", (
            f"No avoided figure; transport {number(transport_t)} t CO2e counted against it."
            if transport.value else "Not computed (no avoided figure)."))
    else:
        value = avoided.value - transport_t
        net = Figure(value, "t CO2e", (
            f"Avoided {number(avoided.value)} − transport {number(transport_t)} = "
            f"{number(value)} t CO2e."))

    savings = costs = None
    who = agreement.shared_by.name if agreement.shared_by_id else ""
    when = agreement.shared_at.date().isoformat() if agreement.shared_at else ""
    currency = agreement.shared_currency
    if agreement.shared_savings is not None:
        savings = Figure(float(agreement.shared_savings), currency, (
            f"Yearly savings both firms shared (entered by {who}, {when}): "
            f"{number(float(agreement.shared_savings), 2)} {currency} per year."))
    if agreement.shared_costs is not None:
        costs = Figure(float(agreement.shared_costs), currency, (
            f"One-off costs both firms shared (entered by {who}, {when}): "
            f"{number(float(agreement.shared_costs), 2)} {currency}."))

    return AgreementImpact(
        agreement_id=agreement.pk, state=agreement.state,
        state_label=agreement.get_state_display(),
        material=version.material if version else offer.title, category=category,
        ewc_code=offer.ewc_code or want.ewc_code or "",
        supplier=_site(a), receiver=_site(b), unit=unit, deliveries=len(amounts),
        quantity=quantity, distance=distance, tonne_km=tonne_km, transport_co2e=transport,
        avoided_co2e=avoided, net_co2e=net, savings=savings, costs=costs, factor=factor,
    )


def _canonical_of(version) -> str:
    if version is None or version.unit not in UNITS:
        return ""
    return CANONICAL_UNITS[UNITS[version.unit][0]]


def impact_list(*, agreements, start: dt.date | None = None, end: dt.date | None = None
                ) -> list[AgreementImpact]:
    """The impact of each agreement (rows of ``exchanges_selectors.agreement_list_*``,
    with contact, listings, sites and firms loaded) from its confirmed deliveries dated in
    [start, end]."""
    rows = list(agreements)
    amounts: dict[int, list[float]] = defaultdict(list)
    units: dict[int, str] = {}
    deliveries = exchanges_selectors.delivery_list_confirmed(
        agreements=[a.pk for a in rows], start=start, end=end)
    for agreement_id, quantity, unit in deliveries.values_list(
            "agreement_id", "canonical_quantity", "canonical_unit"):
        amounts[agreement_id].append(quantity)
        units[agreement_id] = unit
    return [_impact(a, amounts.get(a.pk, []), units.get(a.pk, "")) for a in rows]


def impact_for_agreement(*, agreement: Agreement, start: dt.date | None = None,
                         end: dt.date | None = None) -> AgreementImpact:
    return impact_list(agreements=[agreement], start=start, end=end)[0]


@dataclass(frozen=True)
class ImpactTotals:
    """Sums over agreements; the keys of the impact API."""

    quantity_t: float
    quantity_mwh: float
    quantity_m3: float
    co2e_avoided_t: float
    co2e_transport_t: float
    co2e_net_t: float
    deliveries: int
    savings: dict[str, float]
    formulas: dict[str, str]

    def as_dict(self) -> dict[str, float | int]:
        return {
            "quantity_t": round(self.quantity_t, 3),
            "quantity_mwh": round(self.quantity_mwh, 3),
            "quantity_m3": round(self.quantity_m3, 3),
            "co2e_avoided_t": round(self.co2e_avoided_t, 3),
            "co2e_transport_t": round(self.co2e_transport_t, 3),
            "co2e_net_t": round(self.co2e_net_t, 3),
            "deliveries": self.deliveries,
        }


def _sum_formula(parts: list[tuple[int, float]], unit: str) -> str:
    shown = [f"{number(v)} (agreement {pk})" for pk, v in parts if v]
    if not shown:
        return f"0 {unit}: nothing in the period."
    total = sum(v for _pk, v in parts)
    if len(shown) > 8:
        shown = shown[:8] + [f"… {len(shown) - 8} more"]
    return f"{' + '.join(shown)} = {number(total)} {unit}."


def impact_totals(*, impacts: list[AgreementImpact]) -> ImpactTotals:
    """Totals per canonical unit and of CO2e; net = avoided − transport."""
    by_key: dict[str, list[tuple[int, float]]] = defaultdict(list)
    for item in impacts:
        if item.dimension_key:
            by_key[item.dimension_key].append((item.agreement_id, item.quantity.value or 0.0))
    avoided = [(i.agreement_id, i.avoided_co2e.value or 0.0) for i in impacts]
    transport = [(i.agreement_id, i.transport_co2e.value or 0.0) for i in impacts]
    avoided_t = sum(v for _pk, v in avoided)
    transport_t = sum(v for _pk, v in transport)
    savings: dict[str, float] = defaultdict(float)
    for item in impacts:
        if item.savings is not None:
            savings[item.savings.unit] += item.savings.value
    return ImpactTotals(
        quantity_t=sum(v for _pk, v in by_key["quantity_t"]),
        quantity_mwh=sum(v for _pk, v in by_key["quantity_mwh"]),
        quantity_m3=sum(v for _pk, v in by_key["quantity_m3"]),
        co2e_avoided_t=avoided_t, co2e_transport_t=transport_t,
        co2e_net_t=avoided_t - transport_t,
        deliveries=sum(i.deliveries for i in impacts),
        savings=dict(savings),
        formulas={
            "quantity_t": _sum_formula(by_key["quantity_t"], "t"),
            "quantity_mwh": _sum_formula(by_key["quantity_mwh"], "MWh"),
            "quantity_m3": _sum_formula(by_key["quantity_m3"], "m³"),
            "co2e_avoided_t": _sum_formula(avoided, "t CO2e"),
            "co2e_transport_t": _sum_formula(transport, "t CO2e"),
            "co2e_net_t": (f"Avoided {number(avoided_t)} − transport {number(transport_t)} = "
                           f"{number(avoided_t - transport_t)} t CO2e."),
        },
    )
