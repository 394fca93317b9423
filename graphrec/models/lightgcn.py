r"""LightGCN (He et al., SIGIR 2020, https://arxiv.org/abs/2002.02126) and MF-BPR.

.. math::
    \mathbf{E}^{(l+1)} = \hat{\mathbf{A}} \mathbf{E}^{(l)}, \quad
    \hat{\mathbf{A}} = \mathbf{D}^{-1/2} \mathbf{A} \mathbf{D}^{-1/2}, \quad
    \mathbf{E} = \frac{1}{L+1} \sum_{l=0}^{L} \mathbf{E}^{(l)}

over the bipartite user-item graph. The propagation is a pre-normalised CSR ``torch.sparse.mm``
with a symmetric backward (:math:`\hat{\mathbf{A}}^\top = \hat{\mathbf{A}}`): the same maths as
PyG's ``LightGCN``/``LGConv``, about 20x faster per CPU epoch (see benchmarks/train). With
``num_layers=0`` it is matrix factorisation, which is how MF-BPR is served.

Losses (:mod:`graphrec.models.embedding`): ``bpr`` (the paper's, one uniform negative per
positive) or ``softmax`` (sampled softmax over cosine similarities with temperature ``tau``, the
batch's first ``in_batch`` positives plus ``num_negatives`` uniform items as negatives), which
converges in far fewer epochs.

``init="svd"`` starts from the closed form instead of noise: the layer-0 vectors are the top
singular vectors of the normalised user-item matrix, scaled by the square roots of their
singular values, so the untrained model is already GF-CF's ideal low-pass filter (each singular
pair is an eigenvector of the normalised adjacency, which the layers only rescale). Training then
refines it, and the start is evaluated first, so the model is never worse on validation than
the filter it starts from.

``users_from_items`` (:mod:`graphrec.models.embedding`) answers a shopper from their items'
vectors, the latest weighing most: with the start above, what makes LightGCN competitive on a
shop's leave-last-out split (benchmarks/quality).
"""

from __future__ import annotations

import warnings
from typing import Any

import numpy as np
import scipy.sparse as sp
import torch
from scipy.sparse.linalg import svds
from torch import Tensor

from graphrec.errors import InvalidInput
from graphrec.graph.splits import Split
from graphrec.models.embedding import EmbeddingModel

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


def spectral_start(normalised: sp.csr_matrix, dim: int, seed: int) -> np.ndarray:
    """Layer-0 vectors of every user, then every item: the top ``dim`` singular vectors of
    ``normalised`` (D_U^-1/2 R D_I^-1/2, the user x item block of :func:`normalized_adjacency`)
    times the square roots of their singular values."""
    users, items = normalised.shape
    rank = min(dim, min(users, items) - 1)
    if rank < 1:
        raise InvalidInput(f"init='svd' needs at least 2 users and 2 items, got {normalised.shape}")
    start = np.random.default_rng(seed).uniform(-1, 1, min(users, items))
    u, s, vt = svds(normalised.astype(np.float64), k=rank, v0=start)
    root = np.sqrt(np.maximum(s, 0.0))
    vectors = np.zeros((users + items, dim), dtype=np.float32)
    vectors[:users, :rank] = u * root
    vectors[users:, :rank] = vt.T * root
    return vectors


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


class LightGCN(EmbeddingModel):
    """LightGCN over the user-item graph, trained with BPR or sampled softmax.

    Args:
        embedding_dim: size of every vector (default 64).
        The training arguments default to :attr:`defaults`.
        num_layers: propagation steps L (default 3; 0 is matrix factorisation).
        **training: loss, lr, batch_size, weight_decay, epochs, eval_every, patience, tau,
            num_negatives, in_batch, seed, device, time_budget_s
            (:data:`graphrec.models.embedding.TRAINING_DEFAULTS`).
    """

    name = "lightgcn"
    #: Sampled softmax: tens of epochs instead of the paper's hundreds of BPR epochs, the
    #: configuration measured on Amazon Beauty (benchmarks/train/README.md).
    #: ``loss="bpr", lr=1e-3, batch_size=2048`` is the paper's.
    defaults: dict[str, Any] = {
        "loss": "softmax",
        "lr": 2e-3,
        "batch_size": 8192,
        "tau": 0.15,
        "num_negatives": 256,
        "in_batch": 256,
        "weight_decay": 1e-6,
        "epochs": 200,
        "eval_every": 2,
        "patience": 4,
    }
    INITS = ("normal", "svd")

    def __init__(
        self,
        embedding_dim: int = 64,
        num_layers: int = 3,
        init: str = "normal",
        **training: Any,
    ) -> None:
        if num_layers < 0 or embedding_dim < 1:
            raise InvalidInput(
                f"{self.name}: num_layers >= 0 and embedding_dim >= 1 are "
                f"required, got {num_layers} and {embedding_dim}"
            )
        if init not in self.INITS:
            raise InvalidInput(f"{self.name}: unknown init {init!r}; expected one of {self.INITS}")
        training = {**self.defaults, **training}
        super().__init__(
            embedding_dim=embedding_dim,
            num_layers=num_layers,
            init=init,
            **training,
        )
        #: the start is a solution already: evaluate it before the first epoch
        self.evaluate_start = init == "svd"

    def _setup(self, split: Split, generator: torch.Generator) -> list[torch.nn.Parameter]:
        adjacency = normalized_adjacency(split.train)
        self.adjacency = to_torch_csr(adjacency, self.device)
        users = self.num_users
        nodes, dim = users + self.num_items, int(self.config["embedding_dim"])
        if self.config["init"] == "svd":
            block = adjacency[:users, users:]
            start = torch.from_numpy(spectral_start(block, dim, int(self.config["seed"])))
        else:
            start = torch.empty(nodes, dim).normal_(0, 0.1, generator=generator)
        self.embedding = torch.nn.Parameter(start.to(self.device))
        return [self.embedding]

    def observe(self, history: sp.csr_matrix) -> None:
        if not hasattr(self, "embedding"):  # loaded from vectors: they already hold history
            return
        self.adjacency = to_torch_csr(normalized_adjacency(history), self.device)
        self.observe_items(history)
        self.final = None

    def _encode(self) -> tuple[Tensor, Tensor]:
        final = propagate(self.adjacency, self.embedding, int(self.config["num_layers"]))
        return final[: self.num_users], final[self.num_users :]

    def _regularised(self, users: Tensor, items: Tensor) -> Tensor:
        return torch.cat([self.embedding[users], self.embedding[self.num_users + items]])


class MF(LightGCN):
    """Matrix factorisation with BPR (Rendle et al., UAI 2009): LightGCN with no layers."""

    name = "mf"
    defaults: dict[str, Any] = {
        "loss": "bpr",
        "lr": 5e-3,
        "batch_size": 4096,
        "epochs": 300,
        "eval_every": 5,
        "patience": 4,
    }

    def __init__(self, **config: Any) -> None:
        config["num_layers"] = 0
        super().__init__(**config)
