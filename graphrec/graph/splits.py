"""Train / validation / test splits of a snapshot, as sparse user x item matrices.

- ``given``: the split the data came with (the LightGCN benchmark's train.txt / test.txt). A
  validation set for early stopping is carved out of train (``valid_fraction`` of each user's
  training items, at random), so the test set is only ever read once, at the end.
- ``cold``: new items. A random ``cold_fraction`` of the items leave training entirely (all their
  interactions become test), another such share becomes the validation items; models rank only
  among the held-out items, as a shop ranks the new arrivals it has no interactions for yet.
- ``temporal``: per-user leave-last-out: each user's latest interaction is the test item, the one
  before it validation, the rest train. A user's own future never reaches training. Users with
  fewer than three distinct items stay wholly in train.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

import numpy as np
import pyarrow as pa
import scipy.sparse as sp

from graphrec.errors import InvalidInput
from graphrec.graph.snapshot import Snapshot

SPLITS = ("auto", "given", "temporal", "cold")

#: Interaction kinds that say "not for me": never a positive example for training.
NEGATIVE_KINDS = ("not_interested",)


@dataclass
class Split:
    """Binary user x item matrices; an item is in at most one of train, valid and test per user."""

    kind: str
    train: sp.csr_matrix
    valid: sp.csr_matrix
    test: sp.csr_matrix
    #: Items ranked when evaluating on valid / test (None: the whole catalogue).
    valid_candidates: np.ndarray | None = None
    test_candidates: np.ndarray | None = None

    @property
    def num_users(self) -> int:
        return int(self.train.shape[0])

    @property
    def num_items(self) -> int:
        return int(self.train.shape[1])

    def seen(self) -> sp.csr_matrix:
        """Everything a user had before the test period: masked when ranking for test."""
        return _binary(self.train + self.valid)

    def describe(self) -> dict[str, int]:
        return {
            "users": self.num_users,
            "items": self.num_items,
            "train": self.train.nnz,
            "valid": self.valid.nnz,
            "test": self.test.nnz,
        }


def _binary(matrix: sp.spmatrix) -> sp.csr_matrix:
    out = sp.csr_matrix(matrix, dtype=np.float32)
    out.sum_duplicates()
    out.data[:] = 1.0
    out.eliminate_zeros()
    return out


def _matrix(users: np.ndarray, items: np.ndarray, shape: tuple[int, int]) -> sp.csr_matrix:
    return _binary(sp.csr_matrix((np.ones(len(users), np.float32), (users, items)), shape=shape))


def _minus(a: sp.csr_matrix, b: sp.csr_matrix) -> sp.csr_matrix:
    """Entries of a that are not in b."""
    return _binary(a - a.multiply(b))


def given_split(snapshot: Snapshot, valid_fraction: float = 0.05, seed: int = 0) -> Split:
    if "test" not in snapshot.meta["splits"] or "train" not in snapshot.meta["splits"]:
        raise InvalidInput("the data has no given train/test split; use the temporal split")
    shape = (snapshot.num_users, snapshot.num_items)
    users, items = snapshot.column("user"), snapshot.column("item")
    is_test = snapshot.split_mask("test")
    train_all = _matrix(users[~is_test], items[~is_test], shape)
    test = _minus(_matrix(users[is_test], items[is_test], shape), train_all)
    rng = np.random.default_rng(seed)
    coo = train_all.tocoo()
    counts = np.diff(train_all.indptr)[coo.row]
    held = (rng.random(coo.nnz) < valid_fraction) & (counts >= 3)
    valid = _matrix(coo.row[held], coo.col[held], shape)
    train = _matrix(coo.row[~held], coo.col[~held], shape)
    return Split("given", train, valid, test)


def temporal_split(snapshot: Snapshot) -> Split:
    shape = (snapshot.num_users, snapshot.num_items)
    users, items, ts = snapshot.column("user"), snapshot.column("item"), snapshot.column("ts")
    # Last occurrence of each (user, item) in time, then rank each user's items by it.
    order = np.lexsort((items, ts, users))
    users, items, ts = users[order], items[order], ts[order]
    pair = users.astype(np.int64) * shape[1] + items
    last = np.ones(len(pair), dtype=bool)
    _, first_from_end = np.unique(pair[::-1], return_index=True)
    last[:] = False
    last[len(pair) - 1 - first_from_end] = True
    users, items, ts = users[last], items[last], ts[last]
    order = np.lexsort((items, ts, users))
    users, items = users[order], items[order]
    per_user = np.bincount(users, minlength=shape[0])
    end = np.cumsum(per_user)
    position_from_end = end[users] - 1 - np.arange(len(users))
    eligible = per_user[users] >= 3
    is_test = eligible & (position_from_end == 0)
    is_valid = eligible & (position_from_end == 1)
    is_train = ~(is_test | is_valid)
    return Split(
        "temporal",
        _matrix(users[is_train], items[is_train], shape),
        _matrix(users[is_valid], items[is_valid], shape),
        _matrix(users[is_test], items[is_test], shape),
    )


def cold_item_split(snapshot: Snapshot, cold_fraction: float = 0.1, seed: int = 0) -> Split:
    shape = (snapshot.num_users, snapshot.num_items)
    everything = _matrix(snapshot.column("user"), snapshot.column("item"), shape)
    rng = np.random.default_rng(seed)
    items = np.flatnonzero(np.asarray(everything.sum(axis=0)).ravel() > 0)
    order = rng.permutation(items)
    size = max(1, int(len(items) * cold_fraction))
    test_items, valid_items = np.sort(order[:size]), np.sort(order[size : 2 * size])
    by_item = everything.tocsc()

    def only(columns: np.ndarray) -> sp.csr_matrix:
        keep = np.zeros(shape[1], dtype=np.float32)
        keep[columns] = 1.0
        return _binary(by_item @ sp.diags(keep)).tocsr()

    test, valid = only(test_items), only(valid_items)
    train = _minus(_minus(everything, test), valid)
    return Split(
        "cold", train, valid, test, valid_candidates=valid_items, test_candidates=test_items
    )


def make_split(snapshot: Snapshot, kind: str = "auto", seed: int = 0) -> Split:
    """``auto`` takes the given split when the data has one, else the temporal one."""
    if kind not in SPLITS:
        raise InvalidInput(f"unknown split {kind!r}; expected one of {', '.join(SPLITS)}")
    kinds: list[str] = snapshot.meta["kinds"]
    negative = [kinds.index(name) for name in NEGATIVE_KINDS if name in kinds]
    if negative:
        keep = ~np.isin(snapshot.column("kind"), negative)
        snapshot = replace(snapshot, interactions=snapshot.interactions.filter(pa.array(keep)))
    if kind == "auto":
        kind = "given" if "test" in snapshot.meta["splits"] else "temporal"
    if kind == "cold":
        return cold_item_split(snapshot, seed=seed)
    return given_split(snapshot, seed=seed) if kind == "given" else temporal_split(snapshot)
