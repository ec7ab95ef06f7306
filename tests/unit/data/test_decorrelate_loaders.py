"""`data.decorrelate`: the train and val loaders add the named per-sample extra as a third tensor, in the samples'
order; without it batches stay (x, y); a split lacking the extra is a one-line config error."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest
import torch

from anomaly_lab.data.base import AnomalyDataModule
from anomaly_lab.data.transforms import Standardizer

SIZES = {"train": 50, "val": 20, "val_signal": 10, "test_background": 8, "test_signal": 8}


class ToyData(AnomalyDataModule):
    """Features whose first column is the sample's mjj, so a batch's third tensor can be checked against x."""

    channel_axis = False

    def __init__(self, with_val_mjj: bool = True, **common: Any) -> None:
        super().__init__(Standardizer(), SIZES, batch_size=16, **common)
        self.with_val_mjj = with_val_mjj

    def cache_config(self) -> dict[str, Any]:
        return {}

    def build_arrays(self) -> dict[str, np.ndarray]:
        return self.generate_arrays()

    def generate_arrays(self) -> dict[str, np.ndarray]:
        rng = np.random.default_rng(0)
        out: dict[str, np.ndarray] = {}
        for split, n in (("train", 50), ("val", 20), ("val_signal", 10), ("test", 16)):
            mjj = rng.uniform(1500, 5000, n)
            out[split] = np.c_[mjj, rng.normal(size=(n, 2))].astype(np.float32)
            out[f"{split}_mjj"] = mjj
        out["test_labels"] = np.repeat([0, 1], 8)
        if not self.with_val_mjj:
            del out["val_mjj"]
        return out


def _raw_mjj(dm: ToyData, batch: list[torch.Tensor]) -> torch.Tensor:
    """The first feature undone from the standardised inputs: the sample's own mjj."""
    return batch[0][:, 0] * float(dm.transform.std) + float(dm.transform.mean)


def test_loaders_yield_the_extra_of_each_sample_when_decorrelate_is_set() -> None:
    dm = ToyData(decorrelate="mjj")
    dm.setup()
    torch.manual_seed(0)
    for loader, split in ((dm.train_dataloader(), "train"), (dm.val_dataloader(), "val")):
        batches = list(loader)
        assert all(len(b) == 3 and b[2].dtype == torch.float32 for b in batches)
        v = torch.cat([b[2] for b in batches])
        assert sorted(v.tolist()) == pytest.approx(sorted(dm.arrays[f"{split}_mjj"].astype(np.float32).tolist()))
        for b in batches:  # the extra travels with its own sample, shuffled or not
            assert torch.allclose(_raw_mjj(dm, b), b[2], rtol=1e-4)


def test_without_decorrelate_batches_stay_x_and_y() -> None:
    dm = ToyData()
    dm.setup()
    assert all(len(b) == 2 for b in dm.train_dataloader())
    assert all(len(b) == 2 for b in dm.val_dataloader())


def test_a_split_without_the_extra_is_a_one_line_error_naming_the_key() -> None:
    dm = ToyData(with_val_mjj=False, decorrelate="mjj")
    dm.setup()
    dm.train_dataloader()
    with pytest.raises(ValueError, match=r"data\.decorrelate=mjj: split 'val' has no per-sample 'mjj'") as err:
        dm.val_dataloader()
    assert "\n" not in str(err.value)
    with pytest.raises(ValueError, match="data.decorrelate=nope: split 'train'"):
        dm2 = ToyData(decorrelate="nope")
        dm2.setup()
        dm2.train_dataloader()
