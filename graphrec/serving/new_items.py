"""Items the model never saw (added after its training), placed by their title: each is scored
like the known items whose titles are nearest (:mod:`graphrec.models.item_text`: by hashed
words, else as ``GRAPHREC_NEW_ITEM_TEXT`` says), weighted by how near. Its vector is the
weighted mean of theirs, and its item-item score the weighted mean of theirs
(:meth:`NewItems.add_history`), so a new item reaches the shoppers of its look-alikes under
every model. An item whose title is near no known one gets its brand's and category's mean
vector (:func:`content_vector`)."""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from graphrec.models.item_text import KnownTexts, nearest
from graphrec.serving.cold_start import content_vector
from graphrec.serving.live import LiveGraph

#: Known items a new item is scored like.
NEIGHBOURS = 20


class NewItems:
    """The placed items, their look-alikes and weights; the known items' texts (made when
    first needed: half a second for 12,000 titles as hashed words).

    ``text``: how titles are compared (``words``, ``sentences`` or ``both``, see
    :class:`~graphrec.models.item_text.KnownTexts`)."""

    def __init__(self, live: LiveGraph, text: str = "words") -> None:
        self.live = live
        self.text = text
        #: for ``sentences`` and ``both``: a unit sentence vector per item of the store at
        #: start (zeros for an item the model was not trained with or without a title), set
        #: by whoever builds the engine
        self.sentences: np.ndarray | None = None
        self.items = np.zeros(0, dtype=np.int64)
        self.neighbours = np.zeros((0, NEIGHBOURS), dtype=np.int64)
        self.weights = np.zeros((0, NEIGHBOURS), dtype=np.float32)
        self._known: tuple[KnownTexts, np.ndarray] | None = None

    def adopt(self, arrays: dict[str, np.ndarray]) -> None:
        """The placements made by another process from the same data (shared arrays)."""
        self.items = arrays["new_items"]
        self.neighbours = arrays["new_item_neighbours"]
        self.weights = arrays["new_item_weights"]

    def arrays(self) -> dict[str, np.ndarray]:
        return {
            "new_items": self.items,
            "new_item_neighbours": self.neighbours,
            "new_item_weights": self.weights,
        }

    def _known_texts(self, known: np.ndarray) -> tuple[KnownTexts, np.ndarray]:
        if self._known is None:
            indices = np.flatnonzero(known)
            vectors = None
            if self.text != "words":
                if self.sentences is None:
                    raise ValueError(f"new item text {self.text!r} needs the sentence vectors")
                indices = indices[indices < len(self.sentences)]
                vectors = np.asarray(self.sentences[indices])
            titles = [self.live.titles[i] or "" for i in indices.tolist()]
            self._known = (KnownTexts(titles, self.text, vectors), indices)
        return self._known

    def place(self, item: int, vectors: np.ndarray, known: np.ndarray) -> np.ndarray | None:
        """The vector of new item ``item`` from the known items (``known``: a mask over
        ``vectors``) nearest by title, remembering them for its item-item score; None when its
        title shares no word with theirs."""
        title = self.live.titles[item] if item < len(self.live.titles) else None
        if not title:
            return None
        texts, indices = self._known_texts(known)
        if not len(indices):
            return None
        top, weights = nearest(texts.cosines([title]), NEIGHBOURS)
        if weights.sum() <= 0:
            return None
        chosen = np.zeros(NEIGHBOURS, dtype=np.int64)
        chosen_weights = np.zeros(NEIGHBOURS, dtype=np.float32)
        chosen[: top.shape[1]] = indices[top[0]]
        chosen_weights[: top.shape[1]] = weights[0]
        self.items = np.append(self.items, item)
        self.neighbours = np.vstack([self.neighbours, chosen[None, :]])
        self.weights = np.vstack([self.weights, chosen_weights[None, :]])
        return np.asarray(chosen_weights @ vectors[chosen], dtype=np.float32)

    def look_alikes(self, item: int, known: np.ndarray, k: int) -> tuple[np.ndarray, np.ndarray]:
        """The ``k`` known items whose titles are nearest to ``item``'s, with their cosines
        (only positive ones), nearest first."""
        title = self.live.titles[item] if item < len(self.live.titles) else None
        texts, indices = self._known_texts(known)
        if not title or not len(indices):
            return np.zeros(0, dtype=np.int64), np.zeros(0)
        sims = texts.cosines([title])[0]
        order = np.lexsort((indices, -sims))[:k]
        order = order[sims[order] > 0]
        return indices[order], sims[order].astype(np.float64)

    def vector(
        self,
        item: int,
        vectors: np.ndarray,
        known: np.ndarray,
        encode: Callable[[int], np.ndarray | None] | None = None,
    ) -> np.ndarray:
        """New item ``item``'s vector: :meth:`place`'s, else the model's network's (``encode``,
        GraphSAGE), else its content's. Title look-alikes come first: on Amazon Beauty's cold
        split they ranked new items better than GraphSAGE's own vectors for them, with GraphSAGE
        too (benchmarks/quality)."""
        placed = self.place(item, vectors, known)
        if placed is None and encode is not None:
            placed = encode(item)
        return placed if placed is not None else content_vector(self.live, vectors, known, item)

    def add_history(self, out: np.ndarray) -> None:
        """Each placed item's item-item score: the weighted mean of its look-alikes'."""
        if len(self.items):
            placed = self.items < len(out)
            items = self.items[placed]
            out[items] = (out[self.neighbours[placed]] * self.weights[placed]).sum(axis=1)
