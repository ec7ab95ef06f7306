"""Loaders over in-memory tensors that index a whole batch at once: no per-sample `__getitem__` and `torch.stack`,
which at small samples and batch 256 cost the CPU more than a GPU step does. Same sampler, same shuffled order, and
Lightning still swaps in its distributed sampler under DDP."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import torch
from torch.utils.data import DataLoader, TensorDataset


class BatchedTensorDataset(TensorDataset):
    """A TensorDataset that hands the DataLoader whole batches, one advanced-indexing op per tensor."""

    def __getitems__(self, indices: Sequence[int]) -> list[torch.Tensor]:
        index = torch.as_tensor(indices, dtype=torch.long)
        return [t[index] for t in self.tensors]


def keep_batch(batch: list[torch.Tensor]) -> list[torch.Tensor]:
    """The collate function of a batched dataset: the batch is already stacked."""
    return batch


def tensor_loader(
    x: torch.Tensor,
    y: torch.Tensor,
    batch_size: int,
    shuffle: bool,
    num_workers: int = 0,
    pin_memory: bool = False,
    v: torch.Tensor | None = None,
) -> DataLoader:
    """Batches `[x, y]` (or `[x, y, v]` with a per-sample variable to decorrelate from) of `batch_size` samples (the
    last one shorter), in the order DataLoader's samplers give."""
    tensors = (x, y) if v is None else (x, y, v)
    return DataLoader(
        BatchedTensorDataset(*tensors), batch_size=batch_size, shuffle=shuffle, num_workers=num_workers,
        collate_fn=keep_batch, pin_memory=pin_memory,
    )  # fmt: skip


def per_sample_column(extras: dict[str, np.ndarray], name: str, split: str) -> torch.Tensor:
    """A split's per-sample extra `name` as float32 (the `data.decorrelate` variable); a one-line error saying what
    the split has instead."""
    values = extras.get(name)
    if values is None or np.ndim(values) != 1:
        raise ValueError(
            f"data.decorrelate={name}: split '{split}' has no per-sample '{name}' "
            f"(its extras: {sorted(extras) or 'none'}; an old cache?)"
        )
    return torch.as_tensor(np.asarray(values, np.float32))
