"""The batched tensor loader gives the batches a per-sample DataLoader gives, in the same shuffled order."""

from __future__ import annotations

import torch
from torch.utils.data import DataLoader, TensorDataset

from anomaly_lab.data.loaders import tensor_loader


def _batches(loader: DataLoader, seed: int) -> list[list[torch.Tensor]]:
    torch.manual_seed(seed)
    return list(loader)


def test_same_batches_as_a_per_sample_loader_shuffled_or_not() -> None:
    x, y = torch.randn(70, 3, 4), torch.arange(70)
    for shuffle in (False, True):
        ours = _batches(tensor_loader(x, y, 16, shuffle), 7)
        plain = _batches(DataLoader(TensorDataset(x, y), batch_size=16, shuffle=shuffle), 7)
        assert [len(b[0]) for b in ours] == [16, 16, 16, 16, 6]
        for (xa, ya), (xb, yb) in zip(ours, plain, strict=True):
            assert torch.equal(xa, xb) and torch.equal(ya, yb)
    assert not torch.equal(ours[0][1], torch.arange(16))  # shuffled: not the input order


def test_worker_processes_get_the_same_batches() -> None:
    x, y = torch.randn(40, 5), torch.arange(40)
    ours = [b[1] for b in tensor_loader(x, y, 8, shuffle=False, num_workers=2)]
    assert torch.equal(torch.cat(ours), y)
