"""Figures of the yearly region report and the per-company report, grouped the way
sustainability reporting asks for them (ESRS E5 resource use and circular economy:
resource inflows, resource outflows, waste diverted from disposal by EWC chapter)."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass

from agency.impact.accounting import AgreementImpact, number
from matching import catalogue
from matching import selectors as matching_selectors

UNITS = ("t", "MWh", "m3")


@dataclass(frozen=True)
class FlowRow:
    """One material category's exchanged amounts per canonical unit."""

    category: str
    label: str
    amounts: dict[str, float]
    agreements: int
    co2e_avoided_t: float

    def amount(self, unit: str) -> str:
        return number(self.amounts[unit]) if self.amounts.get(unit) else ""


@dataclass(frozen=True)
class ChapterRow:
    """Waste diverted from disposal under one EWC chapter (tonnes; other units apart)."""

    chapter: str
    title: str
    tonnes: float
    hazardous_tonnes: float
    other: dict[str, float]
    agreements: int


def _labels() -> dict[str, str]:
    return {slug: str(label) for slug, label in catalogue.category_choices() if slug}


def flows_by_category(*, impacts: list[AgreementImpact]) -> list[FlowRow]:
    """Exchanged amounts per material category and unit, with their avoided CO2e."""
    amounts: dict[str, dict[str, float]] = defaultdict(lambda: defaultdict(float))
    counts: dict[str, int] = defaultdict(int)
    avoided: dict[str, float] = defaultdict(float)
    for item in impacts:
        if not item.deliveries:
            continue
        amounts[item.category][item.unit] += item.quantity.value or 0.0
        counts[item.category] += 1
        avoided[item.category] += item.avoided_co2e.value or 0.0
    labels = _labels()
    return sorted(
        (FlowRow(category=slug, label=labels.get(slug, slug or "No category"),
                 amounts=dict(amounts[slug]), agreements=counts[slug],
                 co2e_avoided_t=avoided[slug]) for slug in amounts),
        key=lambda row: row.label)


def waste_by_ewc_chapter(*, impacts: list[AgreementImpact]) -> list[ChapterRow]:
    """Diverted amounts by the EWC chapter of the offer's waste code (no code: '—')."""
    tonnes: dict[str, float] = defaultdict(float)
    hazardous: dict[str, float] = defaultdict(float)
    other: dict[str, dict[str, float]] = defaultdict(lambda: defaultdict(float))
    counts: dict[str, int] = defaultdict(int)
    for item in impacts:
        if not item.deliveries:
            continue
        chapter = item.ewc_code[:2] if item.ewc_code else ""
        counts[chapter] += 1
        value = item.quantity.value or 0.0
        if item.unit == "t":
            tonnes[chapter] += value
            entry = matching_selectors.ewc_entry_get(code=item.ewc_code) if item.ewc_code else None
            if entry is not None and entry.hazardous:
                hazardous[chapter] += value
        else:
            other[chapter][item.unit] += value
    return [
        ChapterRow(chapter=chapter or "—",
                   title=(matching_selectors.ewc_chapter_title(chapter=chapter) if chapter
                          else "No EWC code (by-product or energy)"),
                   tonnes=tonnes[chapter], hazardous_tonnes=hazardous[chapter],
                   other=dict(other[chapter]), agreements=counts[chapter])
        for chapter in sorted(counts, key=lambda c: (c == "", c))
    ]


def split_for_company(*, impacts: list[AgreementImpact], company_id: int
                      ) -> tuple[list[AgreementImpact], list[AgreementImpact]]:
    """(inflows: the firm receives, outflows: the firm supplies)."""
    inflows = [i for i in impacts if i.receiver.company_id == company_id]
    outflows = [i for i in impacts if i.supplier.company_id == company_id]
    return inflows, outflows


def split_for_sites(*, impacts: list[AgreementImpact], site_ids: set[int]
                    ) -> tuple[list[AgreementImpact], list[AgreementImpact]]:
    """(inflows: received at one of the sites, outflows: supplied from one of them)."""
    inflows = [i for i in impacts if i.receiver.site_id in site_ids]
    outflows = [i for i in impacts if i.supplier.site_id in site_ids]
    return inflows, outflows
