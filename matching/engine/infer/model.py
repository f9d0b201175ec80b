"""``InferenceModel``: matchers, taxonomy and pathway matrices and the block map derived
once from a knowledge base, and the profiles it infers for listings.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import scipy.sparse as sp

from matching.engine.config import DEFAULT_TUNING
from matching.engine.infer.concepts import Concept, ConceptMatcher
from matching.engine.infer.evidence import (
    _EWC_NOISE,
    ACCEPTS_CATEGORY,
    BLOCK_MIN_CONFIDENCE,
    BLOCK_RELATIVE,
    BLOCK_TOP,
    CACHE_SIZE,
    CATEGORY_SAME,
    CATEGORY_STATED,
    CODE_CHAPTER,
    CODE_EXACT,
    CODE_NOS,
    CODE_SUB_CHAPTER,
    CODE_SURE,
    FULL_EVIDENCE,
    GROUP_SAME,
    NACE_CONFIDENCE,
    Profiles,
    _digits,
    _nace_related,
    either,
    evidence_weight,
    keep_top,
    normalise_rows,
    short_source,
)
from matching.engine.infer.tokens import TITLE_WEIGHT, phrase_key, tokens, weighted_tokens

# How much a want's phrase that also names a use counts as evidence of its material.
PURPOSE_PHRASE_WEIGHT = 0.5


class InferenceModel:
    """Matchers, taxonomy and pathway matrices, block map: derived once from a Knowledge."""

    def __init__(self, knowledge) -> None:
        kb = knowledge
        self.materials = tuple(kb.materials.values())
        self.uses = tuple(kb.uses.values())
        self.material_index = {m.slug: i for i, m in enumerate(self.materials)}
        self.use_index = {u.slug: i for i, u in enumerate(self.uses)}
        n_mat, n_use = len(self.materials), len(self.uses)

        # Top-level group of each material (taxonomy: two materials of one group are near).
        def group(category: str) -> str:
            return kb.category_group(category) if category else "other"

        groups = [slug for slug, c in kb.categories.items() if not c.parent]
        for material in self.materials:
            if group(material.category) not in groups:
                groups.append(group(material.category))
        group_index = {g: i for i, g in enumerate(groups)}
        self.material_block = np.array(
            [group_index[group(m.category)] for m in self.materials], dtype=np.int64
        )

        # Blocks: the material categories (a group without sub-categories is one). A
        # category names its block; a group names the blocks of all its categories.
        children: dict[str, list[str]] = {}
        for slug, c in kb.categories.items():
            if c.parent:
                children.setdefault(c.parent, []).append(slug)
        leaves = [slug for slug in kb.categories if slug not in children]
        for material in self.materials:
            if material.category and material.category not in leaves:
                leaves.append(material.category)
        if "other" not in leaves:
            leaves.append("other")
        self.blocks = tuple(leaves)
        self.block_index = {b: i for i, b in enumerate(self.blocks)}
        self.category_blocks: dict[str, list[int]] = {b: [i] for b, i in self.block_index.items()}
        for parent, kids in children.items():
            self.category_blocks[parent] = [self.block_index[k] for k in kids]
        material_leaf = np.array(
            [self.block_index[m.category or "other"] for m in self.materials], dtype=np.int64
        )

        # Taxonomy similarity between materials.
        cats = np.array([m.category for m in self.materials], dtype=object)
        same_cat = (cats[:, None] == cats[None, :]) if n_mat else np.zeros((0, 0), bool)
        same_group = self.material_block[:, None] == self.material_block[None, :]
        sim = np.where(same_cat, CATEGORY_SAME, np.where(same_group, GROUP_SAME, 0.0))
        np.fill_diagonal(sim, 1.0)
        self.taxonomy = sp.csr_matrix(sim)
        self.taxonomy_dense = sim

        # Pathways: documented ones at their evidence weight, else category acceptance.
        self.pathway_at: dict[tuple[int, int], object] = {}
        acc = np.zeros((n_mat, n_use))
        for j, use in enumerate(self.uses):
            accepted = set(use.accepts_categories)
            for i, material in enumerate(self.materials):
                if material.category in accepted or group(material.category) in accepted:
                    acc[i, j] = ACCEPTS_CATEGORY
        for pathway in kb.pathways:
            i = self.material_index.get(pathway.material)
            j = self.use_index.get(pathway.use)
            if i is None or j is None:
                continue
            weight = evidence_weight(pathway.evidence)
            if weight >= acc[i, j]:
                acc[i, j] = weight
                self.pathway_at[(i, j)] = pathway
        self.pathway = sp.csr_matrix(acc)
        self.pathway_dense = acc

        # Blocks a use accepts: its categories and those of the materials it takes.
        use_blocks = np.zeros((n_use, len(self.blocks)), dtype=np.int8)
        for j, use in enumerate(self.uses):
            for category in use.accepts_categories:
                use_blocks[j, self.category_blocks.get(category, [])] = 1
        rows, cols = np.nonzero(acc > 0)
        use_blocks[cols, material_leaf[rows]] = 1
        self.use_blocks = sp.csr_matrix(use_blocks)
        self.material_blocks = sp.csr_matrix(
            (np.ones(n_mat, dtype=np.int8), (np.arange(n_mat), material_leaf)),
            shape=(n_mat, len(self.blocks)),
        )

        # Codes and sectors.
        self.ewc_materials: dict[str, list[int]] = {}
        for i, material in enumerate(self.materials):
            for code in material.ewc:
                self.ewc_materials.setdefault(code, []).append(i)
        self.category_materials: dict[str, list[int]] = {}
        for i, material in enumerate(self.materials):
            self.category_materials.setdefault(material.category, []).append(i)
            self.category_materials.setdefault(group(material.category), []).append(i)
        self.nace_flows = tuple(kb.nace_flows)
        self.use_nace = tuple((j, code) for j, use in enumerate(self.uses) for code in use.nace)

        # Text matchers.
        def ewc_words(codes: Sequence[str]) -> str:
            return ". ".join(
                _EWC_NOISE.sub("", kb.ewc[code].description) for code in codes if code in kb.ewc
            )

        material_concepts = [
            Concept(
                slug=m.slug,
                kind="material",
                name=m.name,
                terms=m.terms,
                document=". ".join([m.name, *m.terms, ewc_words(m.ewc)]),
            )
            for m in self.materials
        ]
        use_concepts = [
            Concept(
                slug=u.slug,
                kind="use",
                name=u.name,
                terms=u.terms,
                document=". ".join([u.name, *u.terms]),
            )
            for u in self.uses
        ]
        self.material_matcher = ConceptMatcher(
            material_concepts, kb.synonyms, families=[m.category for m in self.materials]
        )
        self.synonym_terms = tuple(kb.synonyms)
        self.use_matcher = ConceptMatcher(use_concepts, kb.synonyms)
        # A want's phrase that is also a use's term ("alternative fuel", "secondary fuel")
        # names what the want is for: it counts less as the material asked for, so that
        # the materials serving that use (pathways) are not outweighed by the one
        # material that happens to share the phrase.
        self.material_matcher.set_purpose(
            set(self.material_matcher.index.phrases) & set(self.use_matcher.index.phrases),
            PURPOSE_PHRASE_WEIGHT,
        )
        self.ewc_text = {code: entry.description for code, entry in kb.ewc.items()}
        self._cache: dict[tuple, tuple] = {}
        self._sector_cache: dict[tuple[str, str], tuple[list[int], list[int]]] = {}

    @classmethod
    def build(cls, knowledge) -> InferenceModel:
        return cls(knowledge)

    def synonyms_of(self, text: str) -> list[str]:
        """Synonyms of the phrases a text uses (not the phrases themselves), in group order."""
        matcher = self.material_matcher
        found = matcher.synonyms.find([(t, 1.0) for t in tokens(text)])
        extra: list[str] = []
        for key in found:
            for g in matcher.synonyms.phrases[key]:
                extra.extend(t for t in self.synonym_terms[g] if phrase_key(t) not in found)
        return list(dict.fromkeys(extra))

    def describe_pathway(self, m: int, u: int) -> str:
        """``"fly ash → clinker substitute (EU cement BREF, 2013)"``."""
        material, use = self.materials[m], self.uses[u]
        pathway = self.pathway_at.get((m, u))
        text = f"{material.name} → {use.name}"
        if pathway is None:
            return text
        source = short_source(pathway.source, pathway.source_year)
        return f"{text} ({source})" if source else text

    def describe_materials(self, m: int, w: int) -> str:
        """``"same material: fly ash"`` or ``"related materials: fly ash and bottom ash"``."""
        a, b = self.materials[m], self.materials[w]
        if m == w:
            return f"same material: {a.name}"
        return f"related materials: {a.name} and {b.name}"

    @property
    def n_materials(self) -> int:
        return len(self.materials)

    @property
    def n_uses(self) -> int:
        return len(self.uses)

    # --- per-listing evidence -----------------------------------------------------------

    def _token_lists(self, record) -> tuple[list, list]:
        """(material tokens, use tokens): a want's purpose clause counts less for material.

        An offer has no use tokens (its uses are not inferred)."""
        want = record.kind == "want"
        split = {"purpose_split": want, "source_split": not want}
        title = [(t, w * TITLE_WEIGHT) for t, w in weighted_tokens(record.title, **split)]
        body = weighted_tokens(record.description, **split)
        extra = []
        code = _digits(record.ewc_code)
        if code and not self._code_materials(code):
            # A code no material covers still says something in its wording.
            extra = weighted_tokens(self.ewc_text.get(code, ""))
        material = title + [("|", 0.0)] + body + [("|", 0.0)] + extra
        if not want:
            return material, []
        use_title = [(t, TITLE_WEIGHT) for t in tokens(record.title)]
        use_body = [(t, 1.0) for t in tokens(record.description)]
        return material, use_title + [("|", 0.0)] + use_body

    def _code_materials(self, code: str) -> list[tuple[int, float]]:
        """Materials a stated code points to, with how sure the code makes us."""
        if not code:
            return []
        found: dict[int, float] = {}
        # An exact entry is near-certain, unless it is a "not otherwise specified" (99)
        # entry; a sub-chapter or chapter listed for a material is a loose hint.
        exact = CODE_NOS if code.endswith("99") else CODE_EXACT
        for length, confidence in ((6, exact), (4, CODE_SUB_CHAPTER), (2, CODE_CHAPTER)):
            for i in self.ewc_materials.get(code[:length], []):
                found[i] = max(found.get(i, 0.0), confidence)
        return list(found.items())

    def _sector_prior(self, sector: str, kind: str) -> tuple[list[int], list[int]]:
        """(materials, uses) a sector typically puts out (offers) or takes in (wants).

        A flow applies when one NACE code is a prefix of the other ("23" and "23.51").
        """
        key = (_digits(sector), kind)
        cached = self._sector_cache.get(key)
        if cached is not None:
            return cached
        direction = "output" if kind == "offer" else "input"
        materials: list[int] = []
        uses: list[int] = []
        for flow in self.nace_flows:
            if flow.direction != direction or not _nace_related(flow.nace, sector):
                continue
            if flow.target in self.material_index:
                materials.append(self.material_index[flow.target])
            elif flow.target in self.use_index and kind == "want":
                uses.append(self.use_index[flow.target])
        if kind == "want":
            uses.extend(j for j, code in self.use_nace if _nace_related(code, sector))
        self._sector_cache[key] = (materials, uses)
        return materials, uses

    def _priors(self, records) -> tuple[sp.csr_matrix, sp.csr_matrix, sp.csr_matrix]:
        """(code/category material evidence, NACE material prior, NACE use prior).

        Each row is a distribution scaled by its confidence (see ``CODE_*``, ``NACE_*``).
        """
        n = len(records)
        code_rows, code_cols, code_vals = [], [], []
        nm_rows, nm_cols, nu_rows, nu_cols = [], [], [], []
        for r, record in enumerate(records):
            found = dict(self._code_materials(_digits(record.ewc_code)))
            for i in self.category_materials.get(record.category, []) if record.category else ():
                found[i] = max(found.get(i, 0.0), CATEGORY_STATED)
            if found:
                best = max(found.values())
                share = best / len(found)
                for i, confidence in found.items():
                    code_rows.append(r)
                    code_cols.append(i)
                    code_vals.append(share * confidence / best)
            if not record.sector:
                continue
            materials, uses = self._sector_prior(record.sector, record.kind)
            nm_rows.extend([r] * len(materials))
            nm_cols.extend(materials)
            nu_rows.extend([r] * len(uses))
            nu_cols.extend(uses)

        def prior(rows, cols, width):
            out = sp.csr_matrix((np.ones(len(rows)), (rows, cols)), shape=(n, width))
            out.data[:] = 1.0  # duplicates collapse to one
            return normalise_rows(out) * NACE_CONFIDENCE

        coded = sp.csr_matrix((code_vals, (code_rows, code_cols)), shape=(n, self.n_materials))
        return (
            coded,
            prior(nm_rows, nm_cols, self.n_materials),
            prior(nu_rows, nu_cols, self.n_uses),
        )

    @staticmethod
    def _text_evidence(raw: sp.csr_matrix) -> sp.csr_matrix:
        """The strongest concepts of each row as a distribution scaled by confidence.

        Confidence grows with the best evidence: a specific phrase in the title is full
        certainty, a partial resemblance of the wording much less.
        """
        kept = keep_top(raw, top=ConceptMatcher.TOP, relative=ConceptMatcher.RELATIVE_CUTOFF)
        best = np.asarray(kept.max(axis=1).todense(), dtype=np.float64).ravel()
        confidence = np.minimum(1.0, best / FULL_EVIDENCE)
        return sp.csr_matrix(sp.diags(confidence) @ normalise_rows(kept))

    def profiles(self, records: Sequence, *, batch: int = DEFAULT_TUNING.profile_batch
                 ) -> Profiles:
        """Material and use profiles and blocks of records (a single record is cached),
        inferred ``batch`` records at a time."""
        if len(records) == 1:
            record = records[0]
            key = (
                record.kind,
                record.title,
                record.description,
                record.ewc_code,
                record.category,
                record.sector,
            )
            cached = self._cache.get(key)
            if cached is None:
                cached = self.batch_profiles([record])
                if len(self._cache) >= CACHE_SIZE:
                    self._cache.clear()
                self._cache[key] = cached
            return cached
        parts = [self.batch_profiles(part) for part in self.batches(records, size=batch)]
        return parts[0] if len(parts) == 1 else Profiles.stack(parts)

    @staticmethod
    def batches(records: Sequence, *, size: int = DEFAULT_TUNING.profile_batch
                ) -> list[Sequence]:
        """Consecutive parts of ``records`` (at most ``size`` each) whose profiles, stacked,
        are those of all: rows are independent, and batches bound the memory of token
        lists and spans."""
        if len(records) <= size:
            return [records]
        return [records[i : i + size] for i in range(0, len(records), size)]

    def batch_profiles(self, records: Sequence) -> Profiles:
        """Profiles of one of ``batches(records)`` (or of any few records)."""
        n = len(records)
        lists = [self._token_lists(record) for record in records]
        mat_raw = self.material_matcher.scores(
            [m for m, _ in lists], [record.kind == "want" for record in records]
        )
        # Only a want's uses are ever read (pathways run from an offer's materials to a
        # want's uses): an offer's row stays empty, which saves most of the use matching.
        wants = [r for r, record in enumerate(records) if record.kind == "want"]
        to_rows = sp.csr_matrix(
            (np.ones(len(wants)), (wants, np.arange(len(wants)))), shape=(n, len(wants))
        )
        use_raw = sp.csr_matrix(to_rows @ self.use_matcher.scores([lists[r][1] for r in wants]))
        coded, nace_mat, nace_use = self._priors(records)
        material = either(self._text_evidence(mat_raw), coded, nace_mat)
        use = either(self._text_evidence(use_raw), sp.csr_matrix(to_rows @ (to_rows.T @ nace_use)))
        # Blocks are narrowed only for a listing whose material is known with some
        # confidence: a want whose material is unclear (only its purpose is) meets all.
        confidence = np.asarray(material.sum(axis=1)).ravel()
        blocks = self._blocks(records, coded, mat_raw, use_raw, confidence)
        if material.shape != (n, self.n_materials):
            material = sp.csr_matrix((n, self.n_materials))
        if use.shape != (n, self.n_uses):
            use = sp.csr_matrix((n, self.n_uses))
        return Profiles(material=material, use=use, blocks=blocks)

    def _blocks(self, records, coded, mat_raw, use_raw, confidence) -> sp.csr_matrix:
        """Offers: the blocks of what they may be; wants: of what they may accept.

        Built from stated codes and words only (not the sector prior) and from weaker
        candidates than the profiles keep; a listing whose material is unknown or only
        guessed (profile confidence below ``BLOCK_MIN_CONFIDENCE``) meets every block.
        """
        n, n_blocks = len(records), len(self.blocks)
        if not n_blocks:
            return sp.csr_matrix((n, 0), dtype=np.int8)
        mats = keep_top(mat_raw, top=BLOCK_TOP, relative=BLOCK_RELATIVE) + (coded >= CODE_SURE)
        found = (mats > 0).astype(np.int8) @ self.material_blocks
        is_want = np.array([r.kind == "want" for r in records])
        if is_want.any():
            uses = keep_top(use_raw, top=BLOCK_TOP, relative=BLOCK_RELATIVE)
            from_uses = (uses > 0).astype(np.int8) @ self.use_blocks
            found = found + sp.diags(is_want.astype(np.float64)) @ from_uses
        stated = [
            (r, block)
            for r, record in enumerate(records)
            for block in self.category_blocks.get(record.category, ())
        ]
        if stated:
            rows, cols = zip(*stated, strict=True)
            found = found + sp.csr_matrix(
                (np.ones(len(rows), dtype=np.int8), (rows, cols)), shape=(n, n_blocks)
            )
        found = sp.csr_matrix(found)
        found.data = np.minimum(found.data, 1)
        found.eliminate_zeros()
        empty = np.flatnonzero(
            (np.diff(found.indptr) == 0) | (np.asarray(confidence) < BLOCK_MIN_CONFIDENCE)
        )
        if len(empty):
            keep = np.ones(n)
            keep[empty] = 0.0
            found = sp.csr_matrix(sp.diags(keep) @ found)
            found.eliminate_zeros()
            fill = sp.csr_matrix(
                (
                    np.ones(len(empty) * n_blocks, dtype=np.int8),
                    (np.repeat(empty, n_blocks), np.tile(np.arange(n_blocks), len(empty))),
                ),
                shape=(n, n_blocks),
            )
            found = found + fill
        out = sp.csr_matrix(found, dtype=np.int8)
        out.sort_indices()
        return out
