"""The data flow every dataset shares: generated or read arrays -> fitted transform -> loaders per split."""

from __future__ import annotations

from abc import ABC, abstractmethod
from typing import Any

import lightning as L
import numpy as np
import torch
from torch.utils.data import DataLoader, TensorDataset

# Split arrays each dataset provides: background-only train/val, labelled signal for validation
# (efficiency thresholds) and a labelled test mix; anything else prefixed `test_` is a per-test-sample extra.
# A supervised baseline also gets `train_labels` (then `train` holds both classes) and is validated on
# val + val_signal; the background-only `val` split still sets the threshold.
SPLITS = ("train", "val", "val_signal", "test", "test_labels")


class AnomalyDataModule(L.LightningDataModule, ABC):
    """Background-only training; a dataset subclass only implements `build_arrays()`.

    The transform is fitted on the training background and kept in `state_dict`, so it travels with
    every Lightning checkpoint of the model.
    """

    def __init__(self, transform: Any, batch_size: int = 256, num_workers: int = 0) -> None:
        super().__init__()
        self.transform = transform
        self.batch_size, self.num_workers = batch_size, num_workers
        self.arrays: dict[str, np.ndarray] | None = None

    @abstractmethod
    def build_arrays(self) -> dict[str, np.ndarray]:
        """Raw (untransformed) arrays for every name in SPLITS plus `test_*` extras."""

    def setup(self, stage: str | None = None) -> None:
        if self.arrays is not None:
            return
        arrays = self.build_arrays()
        missing = [k for k in SPLITS if k not in arrays]
        if missing:
            raise KeyError(f"{type(self).__name__}.build_arrays() lacks splits {missing}")
        self.transform.fit(arrays["train"])
        self.arrays = arrays

    def reference_scores(self) -> dict[str, dict[str, np.ndarray]]:
        """Scores of reference methods the data itself defines, per split (none by default)."""
        return {}

    @property
    def test_extras(self) -> dict[str, np.ndarray]:
        """Per-test-sample information beside score and label (e.g. the injected SNR)."""
        assert self.arrays is not None, "setup() first"
        return {k[5:]: v for k, v in self.arrays.items() if k.startswith("test_") and k != "test_labels"}

    def inputs(self, split: str) -> torch.Tensor:
        """Transformed inputs of a split as a float32 tensor with a channel axis."""
        assert self.arrays is not None, "setup() first"
        return torch.from_numpy(self.transform(self.arrays[split])).unsqueeze(1)

    @property
    def supervised(self) -> bool:
        """True when the training split carries labels of both classes (a supervised upper bound)."""
        return self.arrays is not None and "train_labels" in self.arrays

    def _loader(self, split: str, labels: np.ndarray | None = None, shuffle: bool = False) -> DataLoader:
        x = self.inputs(split)
        y = torch.zeros(len(x), dtype=torch.long) if labels is None else torch.as_tensor(labels).long()
        return DataLoader(
            TensorDataset(x, y), batch_size=self.batch_size, shuffle=shuffle, num_workers=self.num_workers
        )

    def train_dataloader(self) -> DataLoader:
        assert self.arrays is not None
        return self._loader("train", self.arrays.get("train_labels"), shuffle=True)

    def val_dataloader(self) -> DataLoader:
        if not self.supervised:
            return self._loader("val")
        x = torch.cat([self.inputs("val"), self.inputs("val_signal")])
        y = torch.cat([torch.zeros(len(self.arrays["val"])), torch.ones(len(self.arrays["val_signal"]))]).long()
        return DataLoader(TensorDataset(x, y), batch_size=self.batch_size, num_workers=self.num_workers)

    def test_dataloader(self) -> DataLoader:
        assert self.arrays is not None
        return self._loader("test", self.arrays["test_labels"])

    def score_dataloader(self, split: str) -> DataLoader:
        """Unshuffled loader over one split, for scoring with `trainer.predict`."""
        return self._loader(split)

    def state_dict(self) -> dict[str, Any]:
        return {"transform": self.transform.state_dict()}

    def load_state_dict(self, state_dict: dict[str, Any]) -> None:
        self.transform.load_state_dict(state_dict["transform"])
