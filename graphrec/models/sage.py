r"""GraphSAGE (Hamilton et al., NeurIPS 2017, https://arxiv.org/abs/1706.02216) over the
heterogeneous User-Item-Category-Brand graph: inductive embeddings from content and neighbours.

An item's input is its title (a bag of hashed words through ``EmbeddingBag``); categories and
brands have learnt vectors; users start from nothing and are what their items say. Two
``HeteroConv`` layers of PyG ``SAGEConv`` (mean aggregation) pass messages along INTERACTED,
IN_CATEGORY and MADE_BY in both directions:

.. math::
    \mathbf{h}_v^{(l+1)} = \sum_{r} \left( \mathbf{W}_r^{(l)} \mathbf{h}_v^{(l)} +
        \mathbf{U}_r^{(l)} \operatorname{mean}_{u \in \mathcal{N}_r(v)} \mathbf{h}_u^{(l)} \right)

No item id is learnt, so an item with no interactions yet still gets a vector from its title,
category and brand: that is how new items are recommended (evaluated on the ``cold`` split).
Training is full-graph: the graphs here fit in memory, and PyG's neighbour loaders need
``pyg-lib`` or ``torch-sparse``, which the CPU machines cannot install.
"""

from __future__ import annotations

import re
import zlib
from typing import Any

import numpy as np
import scipy.sparse as sp
import torch
from torch import Tensor
from torch_geometric.nn import HeteroConv, SAGEConv

from graphrec.errors import InvalidInput
from graphrec.graph.snapshot import Snapshot
from graphrec.graph.splits import Split
from graphrec.models.embedding import EmbeddingModel

_WORD = re.compile(r"[a-z0-9]+")


def title_tokens(titles: list[str | None], buckets: int) -> tuple[Tensor, Tensor]:
    """Hashed word ids of every title and their offsets, as ``EmbeddingBag`` takes them."""
    tokens: list[int] = []
    offsets: list[int] = []
    for title in titles:
        offsets.append(len(tokens))
        words = {w for w in _WORD.findall((title or "").lower()) if len(w) > 1}
        tokens.extend(sorted(zlib.crc32(w.encode()) % buckets for w in words))
    return torch.tensor(tokens, dtype=torch.long), torch.tensor(offsets, dtype=torch.long)


class ItemGraph:
    """The content side of a snapshot: titles, item-category and item-brand edges."""

    def __init__(self, snapshot: Snapshot, buckets: int) -> None:
        self.num_items = snapshot.num_items
        self.num_categories = snapshot.categories.num_rows
        self.num_brands = snapshot.brands.num_rows
        self.tokens, self.offsets = title_tokens(
            snapshot.items.column("title").to_pylist(), buckets
        )
        pairs = snapshot.item_categories
        self.item_category = torch.from_numpy(
            np.stack([pairs.column("item").to_numpy(), pairs.column("category").to_numpy()]).astype(
                np.int64
            )
        )
        brand = snapshot.items.column("brand").to_numpy()
        has_brand = np.flatnonzero(brand >= 0)
        self.item_brand = torch.from_numpy(np.stack([has_brand, brand[has_brand]]).astype(np.int64))
        if len(self.tokens) == 0 and self.item_category.shape[1] == 0 and len(has_brand) == 0:
            raise InvalidInput(
                "sage needs item content (titles, categories or brands); this "
                "data has none — use lightgcn or mf"
            )


class GraphSAGE(EmbeddingModel):
    """Inductive user and item embeddings from the heterogeneous graph.

    Args:
        hidden: vector size (default 64).
        num_layers: message-passing layers (default 2).
        title_buckets: hashed vocabulary size for titles (default 2**15).
        **training: see :data:`graphrec.models.embedding.TRAINING_DEFAULTS`; the default loss
            here is ``softmax``.
    """

    name = "sage"

    def __init__(
        self, hidden: int = 64, num_layers: int = 2, title_buckets: int = 2**15, **training: Any
    ) -> None:
        if hidden < 1 or num_layers < 1 or title_buckets < 1:
            raise InvalidInput(f"{self.name}: hidden, num_layers and title_buckets must be >= 1")
        training = {"loss": "softmax", "lr": 5e-3, "weight_decay": 0.0, **training}
        super().__init__(
            hidden=hidden, num_layers=num_layers, title_buckets=title_buckets, **training
        )
        self.content: ItemGraph | None = None

    def use_snapshot(self, snapshot: Snapshot) -> None:
        super().use_snapshot(snapshot)
        self.content = ItemGraph(snapshot, int(self.config["title_buckets"]))

    def _setup(self, split: Split, generator: torch.Generator) -> list[torch.nn.Parameter]:
        if self.content is None:
            raise InvalidInput("sage needs the snapshot's item content: call use_snapshot first")
        torch.manual_seed(int(self.config["seed"]))
        hidden = int(self.config["hidden"])
        content = self.content
        self.title = torch.nn.EmbeddingBag(
            int(self.config["title_buckets"]), hidden, mode="mean"
        ).to(self.device)
        self.category = torch.nn.Embedding(max(content.num_categories, 1), hidden).to(self.device)
        self.brand = torch.nn.Embedding(max(content.num_brands, 1), hidden).to(self.device)
        self.edges: dict[tuple[str, str, str], Tensor] = self._interaction_edges(split.train)
        if content.item_category.shape[1]:
            self.edges[("item", "in_category", "category")] = content.item_category
            self.edges[("category", "rev_in_category", "item")] = content.item_category.flip(0)
        if content.item_brand.shape[1]:
            self.edges[("item", "made_by", "brand")] = content.item_brand
            self.edges[("brand", "rev_made_by", "item")] = content.item_brand.flip(0)
        self.edges = {k: v.to(self.device) for k, v in self.edges.items()}
        self.layers = torch.nn.ModuleList(
            [
                HeteroConv({edge: SAGEConv((-1, -1), hidden) for edge in self.edges}, aggr="sum")
                for _ in range(int(self.config["num_layers"]))
            ]
        ).to(self.device)
        self.tokens = content.tokens.to(self.device)
        self.offsets = content.offsets.to(self.device)
        with torch.no_grad():
            self._encode()  # materialise the lazy input sizes before the optimiser sees them
        modules = [self.title, self.category, self.brand, self.layers]
        return [p for module in modules for p in module.parameters()]

    def _interaction_edges(self, history: sp.csr_matrix) -> dict[tuple[str, str, str], Tensor]:
        coo = history.tocoo()
        interacted = torch.from_numpy(np.stack([coo.row, coo.col]).astype(np.int64))
        return {
            ("user", "interacted", "item"): interacted.to(self.device),
            ("item", "rev_interacted", "user"): interacted.flip(0).to(self.device),
        }

    def observe(self, history: sp.csr_matrix) -> None:
        if not hasattr(self, "layers"):  # loaded from vectors: they already hold history
            return
        self.edges = {**self.edges, **self._interaction_edges(history)}
        self.observe_items(history)
        self.final = None

    def _inputs(self) -> dict[str, Tensor]:
        hidden = int(self.config["hidden"])
        return {
            "user": torch.zeros(self.num_users, hidden, device=self.device),
            "item": self.title(self.tokens, self.offsets),
            "category": self.category.weight,
            "brand": self.brand.weight,
        }

    def _encode(self) -> tuple[Tensor, Tensor]:
        return self._propagate(self._inputs(), self.edges)

    def _propagate(
        self, x: dict[str, Tensor], edges: dict[tuple[str, str, str], Tensor]
    ) -> tuple[Tensor, Tensor]:
        for depth, layer in enumerate(self.layers):
            out = layer(x, edges)
            x = {**x, **out}
            if depth < len(self.layers) - 1:
                x = {kind: torch.relu(value) for kind, value in x.items()}
        return x["user"], x["item"]

    # -- the trained network, for items that arrive after training ----------------------------
    def _network(self) -> torch.nn.ModuleDict:
        return torch.nn.ModuleDict(
            {
                "title": self.title,
                "category": self.category,
                "brand": self.brand,
                "layers": self.layers,
            }
        )

    def state(self) -> dict[str, np.ndarray]:
        out = super().state()
        if hasattr(self, "layers"):
            for name, tensor in self._network().state_dict().items():
                out[f"net.{name}"] = tensor.detach().cpu().numpy()
        return out

    def set_state(self, state: dict[str, np.ndarray]) -> None:
        super().set_state({k: v for k, v in state.items() if not k.startswith("net.")})
        self._network_state = {
            k[4:]: torch.from_numpy(v) for k, v in state.items() if k.startswith("net.")
        }

    def _rebuild(self, snapshot: Snapshot) -> None:
        """The trained network again, over the training snapshot's graph."""
        if not getattr(self, "_network_state", None):
            raise InvalidInput("this sage artifact holds vectors only, not the network")
        self.use_snapshot(snapshot)
        users, items = snapshot.column("user"), snapshot.column("item")
        history = sp.csr_matrix(
            (np.ones(len(users), np.float32), (users, items)),
            shape=(snapshot.num_users, snapshot.num_items),
        )
        history.sum_duplicates()
        history.data[:] = 1.0
        final, sizes = self.final, (self.num_users, self.num_items)
        self.num_users, self.num_items = snapshot.num_users, snapshot.num_items
        empty = sp.csr_matrix(history.shape, dtype=np.float32)
        self._setup(Split("serve", history, empty, empty), torch.Generator())
        self._network().load_state_dict(self._network_state)
        self.final, (self.num_users, self.num_items) = final, sizes

    def can_embed_new_items(self) -> bool:
        """Whether this model holds its trained network (:meth:`embed_new_items` needs it)."""
        return bool(getattr(self, "_network_state", None))

    @torch.no_grad()
    def embed_new_items(
        self,
        snapshot: Snapshot,
        titles: list[str | None],
        categories: list[list[int]],
        brands: list[int],
    ) -> np.ndarray:
        """Vectors for items the model never saw, from their title, categories and brand
        (indices into ``snapshot``, the one the model was trained on), with the trained
        network: the same inductive step that ranks cold items in evaluation."""
        if not hasattr(self, "layers"):
            self._rebuild(snapshot)
        assert self.content is not None
        old = self.content.num_items
        tokens, offsets = title_tokens(titles, int(self.config["title_buckets"]))
        x = self._inputs()
        x["item"] = torch.cat(
            [x["item"], self.title(tokens.to(self.device), offsets.to(self.device))]
        )
        edges = dict(self.edges)
        extra = {
            ("item", "in_category", "category"): [
                (old + n, c) for n, cats in enumerate(categories) for c in cats
            ],
            ("item", "made_by", "brand"): [(old + n, b) for n, b in enumerate(brands) if b >= 0],
        }
        for kind, pairs in extra.items():
            reverse = (kind[2], f"rev_{kind[1]}", kind[0])
            if pairs and kind in edges:
                added = torch.tensor(pairs, dtype=torch.long, device=self.device).T
                edges[kind] = torch.cat([edges[kind], added], dim=1)
                edges[reverse] = torch.cat([edges[reverse], added.flip(0)], dim=1)
        _, vectors = self._propagate(x, edges)
        new = vectors[old:]
        if self.config["loss"] == "softmax":  # served as cosines, like the trained items
            new = torch.nn.functional.normalize(new, dim=1)
        return new.cpu().numpy().astype(np.float32)
