r"""LightGCN (He et al., SIGIR 2020, https://arxiv.org/abs/2002.02126) and MF-BPR.

.. math::
    \mathbf{E}^{(l+1)} = \hat{\mathbf{A}} \mathbf{E}^{(l)}, \quad
    \hat{\mathbf{A}} = \mathbf{D}^{-1/2} \mathbf{A} \mathbf{D}^{-1/2}, \quad
    \mathbf{E} = \frac{1}{L+1} \sum_{l=0}^{L} \mathbf{E}^{(l)}

over the bipartite user-item graph. The propagation is a pre-normalised CSR ``torch.sparse.mm``
with a symmetric backward (:math:`\hat{\mathbf{A}}^\top = \hat{\mathbf{A}}`): the same maths as
PyG's ``LightGCN``/``LGConv``, about 20x faster per CPU epoch (see benchmarks/train). With
``num_layers=0`` it is matrix factorisation, which is how MF-BPR is served.

Losses: ``bpr`` (the paper's, one uniform negative per positive) or ``softmax`` (sampled softmax
over cosine similarities with temperature ``tau``, the batch's other positives plus
``num_negatives`` uniform items as negatives), which converges in far fewer epochs.
"""

from __future__ import annotations

import time
import warnings
from typing import Any

import numpy as np
import scipy.sparse as sp
import torch
import torch.nn.functional as F
from torch import Tensor

from graphrec.errors import InvalidInput
from graphrec.graph.splits import Split
from graphrec.models.base import History, OnEval, Recommender, seed_everything

LOSSES = ("bpr", "softmax")
# torch marks CSR support as beta on every construction; the kernels used here are the stable ones.
warnings.filterwarnings("ignore", message="Sparse CSR tensor support is in beta")


def normalized_adjacency(train: sp.csr_matrix) -> sp.csr_matrix:
    """D^-1/2 A D^-1/2 of the (users + items) bipartite graph, as CSR."""
    users, items = train.shape
    adjacency = sp.bmat([[None, train], [train.T, None]], format="csr", dtype=np.float32)
    degree = np.asarray(adjacency.sum(axis=1)).ravel()
    inv_sqrt = np.zeros_like(degree)
    inv_sqrt[degree > 0] = degree[degree > 0] ** -0.5
    scaling = sp.diags(inv_sqrt)
    return (scaling @ adjacency @ scaling).tocsr().astype(np.float32)


def to_torch_csr(matrix: sp.csr_matrix, device: torch.device) -> Tensor:
    return torch.sparse_csr_tensor(
        torch.from_numpy(matrix.indptr.astype(np.int64)),
        torch.from_numpy(matrix.indices.astype(np.int64)),
        torch.from_numpy(matrix.data),
        size=matrix.shape,
        check_invariants=False,
    ).to(device)


class _SymmetricSpMM(torch.autograd.Function):
    """y = A x for a symmetric sparse A; the backward is A grad, no transpose needed."""

    @staticmethod
    def forward(ctx: Any, adjacency: Tensor, x: Tensor) -> Tensor:  # noqa: D102
        ctx.adjacency = adjacency
        return torch.sparse.mm(adjacency, x)

    @staticmethod
    def backward(ctx: Any, grad: Tensor) -> tuple[None, Tensor]:  # noqa: D102
        return None, torch.sparse.mm(ctx.adjacency, grad)


def propagate(adjacency: Tensor, embedding: Tensor, num_layers: int) -> Tensor:
    """The LightGCN layer combination with uniform weights 1 / (L + 1)."""
    out = embedding
    layer = embedding
    for _ in range(num_layers):
        layer = _SymmetricSpMM.apply(adjacency, layer)
        out = out + layer
    return out / (num_layers + 1)


class LightGCN(Recommender):
    """LightGCN trained with BPR or sampled softmax; early stopping on validation recall@20."""

    name = "lightgcn"

    def __init__(
        self,
        embedding_dim: int = 64,
        num_layers: int = 3,
        loss: str = "bpr",
        lr: float = 1e-3,
        batch_size: int = 2048,
        weight_decay: float = 1e-4,
        epochs: int = 1000,
        eval_every: int = 5,
        patience: int = 10,
        tau: float = 0.2,
        num_negatives: int = 1024,
        in_batch: int = 2048,
        seed: int = 0,
        device: str = "auto",
        time_budget_s: float | None = None,
    ) -> None:
        if loss not in LOSSES:
            raise InvalidInput(f"{self.name}: unknown loss {loss!r}; expected one of {LOSSES}")
        if num_layers < 0 or embedding_dim < 1 or batch_size < 1 or epochs < 1:
            raise InvalidInput(
                f"{self.name}: num_layers >= 0, embedding_dim, batch_size and "
                "epochs >= 1 are required"
            )
        super().__init__(
            embedding_dim=embedding_dim,
            num_layers=num_layers,
            loss=loss,
            lr=lr,
            batch_size=batch_size,
            weight_decay=weight_decay,
            epochs=epochs,
            eval_every=eval_every,
            patience=patience,
            tau=tau,
            num_negatives=num_negatives,
            in_batch=in_batch,
            seed=seed,
            device=device,
            time_budget_s=time_budget_s,
        )
        self.final: Tensor | None = None

    # -- training -------------------------------------------------------------------------
    def fit(self, split: Split, on_eval: OnEval | None = None) -> History:
        cfg = self.config
        seed_everything(int(cfg["seed"]))
        self.num_users, self.num_items = split.num_users, split.num_items
        nodes = self.num_users + self.num_items
        self.adjacency = to_torch_csr(normalized_adjacency(split.train), self.device)
        generator = torch.Generator().manual_seed(int(cfg["seed"]))
        self.embedding = torch.nn.Parameter(
            torch.empty(nodes, int(cfg["embedding_dim"]))
            .normal_(0, 0.1, generator=generator)
            .to(self.device)
        )
        optimizer = torch.optim.Adam([self.embedding], lr=float(cfg["lr"]))
        coo = split.train.tocoo()
        pos_users = torch.from_numpy(coo.row.astype(np.int64))
        pos_items = torch.from_numpy(coo.col.astype(np.int64))
        from graphrec.evaluation import validation_recall

        history = History()
        best, best_state, waited = -1.0, None, 0
        started = time.perf_counter()
        budget = cfg["time_budget_s"]
        for epoch in range(1, int(cfg["epochs"]) + 1):
            loss = self._epoch(optimizer, pos_users, pos_items, generator)
            if epoch % int(cfg["eval_every"]) and epoch != int(cfg["epochs"]):
                continue
            self.final = None
            recall = validation_recall(self, split)
            row = {
                "epoch": epoch,
                "loss": loss,
                "valid_recall@20": recall,
                "seconds": time.perf_counter() - started,
            }
            history.rows.append(row)
            if on_eval:
                on_eval(row)
            if recall > best:
                best, waited, history.best_epoch = recall, 0, epoch
                best_state = self.embedding.detach().clone()
            else:
                waited += 1
            if waited >= int(cfg["patience"]):
                break
            if budget is not None and time.perf_counter() - started > float(budget):
                break
        if best_state is not None:
            self.embedding.data.copy_(best_state)
        history.seconds = time.perf_counter() - started
        self.final = None
        return history

    def _epoch(
        self,
        optimizer: torch.optim.Optimizer,
        pos_users: Tensor,
        pos_items: Tensor,
        generator: torch.Generator,
    ) -> float:
        cfg = self.config
        order = torch.randperm(len(pos_users), generator=generator)
        batch_size = int(cfg["batch_size"])
        total, batches = 0.0, 0
        for start in range(0, len(order), batch_size):
            index = order[start : start + batch_size]
            users = pos_users[index].to(self.device)
            items = pos_items[index].to(self.device)
            final = propagate(self.adjacency, self.embedding, int(cfg["num_layers"]))
            if cfg["loss"] == "bpr":
                loss = self._bpr(final, users, items, generator)
            else:
                loss = self._softmax(final, users, items, generator)
            optimizer.zero_grad(set_to_none=True)
            loss.backward()
            optimizer.step()
            total += float(loss.detach())
            batches += 1
        return total / max(batches, 1)

    def _bpr(
        self, final: Tensor, users: Tensor, items: Tensor, generator: torch.Generator
    ) -> Tensor:
        negatives = torch.randint(0, self.num_items, (len(users),), generator=generator)
        negatives = negatives.to(self.device)
        offset = self.num_users
        u, p, n = final[users], final[offset + items], final[offset + negatives]
        scores = (u * p).sum(1) - (u * n).sum(1)
        e = self.embedding
        reg = (
            (
                e[users].square().sum()
                + e[offset + items].square().sum()
                + e[offset + negatives].square().sum()
            )
            / 2
            / len(users)
        )
        return F.softplus(-scores).mean() + float(self.config["weight_decay"]) * reg

    def _softmax(
        self, final: Tensor, users: Tensor, items: Tensor, generator: torch.Generator
    ) -> Tensor:
        """Sampled softmax: each row's positive against a shared pool of negatives, namely
        the batch's first ``in_batch`` positives and ``num_negatives`` uniform items."""
        cfg = self.config
        extra = torch.randint(
            0, self.num_items, (int(cfg["num_negatives"]),), generator=generator
        ).to(self.device)
        pool = torch.cat([items[: int(cfg["in_batch"])], extra])
        offset = self.num_users
        u = F.normalize(final[users], dim=1) / float(cfg["tau"])
        v = F.normalize(final[offset + items], dim=1)
        w = F.normalize(final[offset + pool], dim=1)
        positive = (u * v).sum(1)
        negative = (u @ w.T).masked_fill_(items.unsqueeze(1) == pool.unsqueeze(0), float("-inf"))
        # -log softmax of the positive among [positive, negatives], without building the row.
        loss = (torch.logaddexp(positive, torch.logsumexp(negative, dim=1)) - positive).mean()
        e = self.embedding
        reg = (e[users].square().sum() + e[offset + items].square().sum()) / 2 / len(users)
        return loss + float(cfg["weight_decay"]) * reg

    # -- serving --------------------------------------------------------------------------
    def _final(self) -> Tensor:
        if self.final is None:
            with torch.no_grad():
                final = propagate(self.adjacency, self.embedding, int(self.config["num_layers"]))
                if self.config["loss"] == "softmax":
                    final = F.normalize(final, dim=1)
                self.final = final
        return self.final

    @torch.no_grad()
    def user_scores(self, users: np.ndarray) -> Tensor:
        final = self._final()
        index = torch.from_numpy(np.asarray(users, dtype=np.int64)).to(self.device)
        return final[index] @ final[self.num_users :].T

    def user_vectors(self) -> Tensor:
        return self._final()[: self.num_users]

    def item_vectors(self) -> Tensor:
        return self._final()[self.num_users :]

    def state(self) -> dict[str, np.ndarray]:
        final = self._final().cpu().numpy()
        return {"user_vectors": final[: self.num_users], "item_vectors": final[self.num_users :]}

    def set_state(self, state: dict[str, np.ndarray]) -> None:
        users, items = state["user_vectors"], state["item_vectors"]
        self.num_users, self.num_items = len(users), len(items)
        self.final = torch.from_numpy(np.concatenate([users, items])).to(self.device)


class MF(LightGCN):
    """Matrix factorisation with BPR (Rendle et al., UAI 2009): LightGCN with no layers."""

    name = "mf"

    def __init__(self, **config: Any) -> None:
        config["num_layers"] = 0
        super().__init__(**config)
