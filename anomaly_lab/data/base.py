"""The data flow every dataset shares: generated or read arrays -> fitted transform -> loaders per split.

A dataset subclass says what changes its arrays (`cache_config`), which files they come from
(`input_files`), how to make them (`generate_arrays`), and optionally what it can tell the report
(`describe`, `example_figures`). Everything else (sizes, caching, the fitted transform, loaders, per-sample
extras, reference scorers) is written once here.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Iterator, Mapping
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any, Protocol

import lightning as L
import numpy as np
import torch
from torch.utils.data import DataLoader

from anomaly_lab.data.cache import cached
from anomaly_lab.data.loaders import per_sample_column, tensor_loader

# Split arrays each dataset provides: background-only train/val, labelled signal for validation
# (efficiency thresholds) and a labelled test mix. `<split>_<name>` arrays are per-sample extras of a split
# (e.g. `test_snr`), 0-d arrays are constants of the data (e.g. the whitening's band fraction).
# A supervised baseline also gets `train_labels` (then `train` holds both classes) and is validated on
# val + val_signal; the background-only `val` split still sets the threshold.
SPLITS = ("train", "val", "val_signal", "test", "test_labels")
SCORED_SPLITS = ("val", "val_signal", "test")


@dataclass
class SplitSizes:
    """How many samples each split holds: background for train/val, labelled signal for the rest."""

    train: int
    val: int
    val_signal: int
    test_background: int
    test_signal: int


class FittedTransform(Protocol):
    """Input scaling fitted on the training split and saved in the checkpoint with the model."""

    def fit(self, train: np.ndarray) -> Any: ...

    def __call__(self, x: np.ndarray) -> np.ndarray: ...

    def state_dict(self) -> Any: ...

    def load_state_dict(self, state: Any) -> None: ...


class ReferenceScorer(Protocol):
    """A method the data is compared with (PCA, the matched filter...): scores per split from the DataModule.

    The scorers live in `anomaly_lab.evaluation.references` and reach the DataModule through its config.
    """

    name: str

    def score(self, dm: AnomalyDataModule) -> dict[str, np.ndarray]: ...


class AnomalyDataModule(L.LightningDataModule, ABC):
    """Background-only training; the transform is fitted on the training split and kept in `state_dict`,
    so it travels with every Lightning checkpoint of the model.

    For an anomaly detector the training split is background only; the supervised bound's training split
    holds both classes, as a classifier's must.
    """

    cache_prefix = "data"
    channel_axis = True  # inputs get a channel axis (1-D series, images); particle lists and features do not

    def __init__(
        self,
        transform: FittedTransform,
        sizes: SplitSizes | Mapping[str, int],
        seed: int = 12345,
        cache_dir: str = ".cache/anomaly_lab",
        batch_size: int = 256,
        num_workers: int = 0,
        score_batch_size: int = 4096,
        references: Mapping[str, ReferenceScorer] | None = None,
        decorrelate: str | None = None,
    ) -> None:
        super().__init__()
        self.transform = transform
        self.sizes = sizes if isinstance(sizes, SplitSizes) else SplitSizes(**sizes)
        self.seed, self.cache_dir = seed, cache_dir
        self.batch_size, self.num_workers, self.score_batch_size = batch_size, num_workers, score_batch_size
        self.references = dict(references or {})
        # a per-sample extra (e.g. mjj) the train and val loaders add as a third tensor, for a decorrelation loss
        self.decorrelate = decorrelate or None
        self.arrays: dict[str, np.ndarray] | None = None
        self._prepared: dict[str, np.ndarray] | None = None

    @property
    def counts(self) -> dict[str, int]:
        """Split sizes by name."""
        return asdict(self.sizes)

    @abstractmethod
    def cache_config(self) -> dict[str, Any]:
        """Everything that changes the arrays, and nothing else (not batch size, not worker counts)."""

    @abstractmethod
    def generate_arrays(self) -> dict[str, np.ndarray]:
        """Raw (untransformed) arrays for every name in SPLITS plus extras and constants."""

    def input_files(self) -> list[Path]:
        """Files the arrays are read from; the cache rebuilds when one of them changes."""
        return []

    def build_arrays(self) -> dict[str, np.ndarray]:
        """The arrays, from the cache when it holds them for this config and these input files."""
        return cached(self.cache_dir, self.cache_prefix, self.cache_config(), self.generate_arrays, self.input_files())

    def prepare_data(self) -> None:
        """Make the arrays once (Lightning calls this on one process per node); the other ranks' `setup` reads
        them from the cache, this process's keeps them, so they are neither hashed nor read twice."""
        self._prepared = self.build_arrays()

    def setup(self, stage: str | None = None) -> None:
        if self.arrays is not None:
            return
        arrays = self._prepared if self._prepared is not None else self.build_arrays()
        self._prepared = None
        missing = [k for k in SPLITS if k not in arrays]
        if missing:
            raise KeyError(f"{type(self).__name__}.generate_arrays() lacks splits {missing}")
        for split in SPLITS[:4]:
            bad = np.flatnonzero(~np.isfinite(arrays[split].reshape(len(arrays[split]), -1)).all(1))
            if bad.size:
                raise ValueError(f"data: split '{split}' holds NaN or Inf values (first in sample {bad[0]})")
        self.transform.fit(arrays["train"])
        self.arrays = arrays

    def file_samples(self, path: Path, chunk_size: int) -> Iterator[tuple[np.ndarray, dict[str, np.ndarray]]]:
        """Raw samples of one event file in chunks of at most `chunk_size`, laid out as the dataset's split arrays,
        with per-sample extras (`labels`, 1 = anomaly, when the file has them): what `anomaly_lab.scan` scores."""
        raise ValueError(f"{path}: {type(self).__name__} has no event files to scan (a checkpoint of another dataset?)")

    def signal_processes(self) -> list[str]:
        """Names of the test mix's signal processes, by the `process` extra's codes 1..n (0 is background), each
        reported on its own; none for a dataset with one signal."""
        return []

    def describe(self) -> list[str]:
        """Lines for the report's Data section: where the data come from, sizes, what the signal is."""
        return []

    def example_figures(
        self, run_dir: Path, model: torch.nn.Module, scores: np.ndarray, threshold: float
    ) -> dict[str, Path]:
        """The dataset's own pictures of test inputs and reconstructions, by caption (none by default)."""
        return {}

    def reference_scores(self) -> dict[str, dict[str, np.ndarray]]:
        """Scores per split of each configured reference method, by the method's name."""
        return {ref.name: ref.score(self) for ref in self.references.values()}

    def extras(self, split: str) -> dict[str, np.ndarray]:
        """Per-sample information of a split beside its inputs (e.g. the injected SNR of each test window)."""
        assert self.arrays is not None, "setup() first"
        owned = sorted((s for s in SPLITS if s != "test_labels"), key=len, reverse=True)
        out = {}
        for key, value in self.arrays.items():
            if key in SPLITS:  # a split (val_signal, test_labels) is not an extra of a shorter one
                continue
            owner = next((s for s in owned if key.startswith(f"{s}_")), None)
            if owner == split:
                out[key[len(split) + 1 :]] = value
        return out

    @property
    def test_extras(self) -> dict[str, np.ndarray]:
        """Per-test-sample information beside score and label."""
        return self.extras("test")

    @property
    def constants(self) -> dict[str, float]:
        """Numbers measured while the data were made (0-d arrays), e.g. the whitening's band fraction."""
        assert self.arrays is not None, "setup() first"
        return {k: float(v) for k, v in self.arrays.items() if np.ndim(v) == 0}

    def inputs(self, split: str) -> torch.Tensor:
        """Transformed inputs of a split as a float32 tensor, in the layout the models take."""
        assert self.arrays is not None, "setup() first"
        x = torch.from_numpy(self.transform(self.arrays[split]))
        return x.unsqueeze(1) if self.channel_axis else x

    def training_background(self) -> torch.Tensor:
        """Transformed background training inputs (the supervised bound's signal left out)."""
        assert self.arrays is not None, "setup() first"
        x = self.inputs("train")
        return x[torch.from_numpy(self.arrays["train_labels"] == 0)] if self.supervised else x

    @property
    def supervised(self) -> bool:
        """True when the training split carries labels of both classes (a supervised upper bound)."""
        return self.arrays is not None and "train_labels" in self.arrays

    def decorrelated(self, *splits: str) -> torch.Tensor | None:
        """The `data.decorrelate` extra of the splits, concatenated as float32 (None when not set)."""
        if self.decorrelate is None:
            return None
        return torch.cat([per_sample_column(self.extras(split), self.decorrelate, split) for split in splits])

    def _loader(
        self, x: torch.Tensor, labels: np.ndarray | None = None, shuffle: bool = False, v: torch.Tensor | None = None
    ) -> DataLoader:
        y = torch.zeros(len(x), dtype=torch.long) if labels is None else torch.as_tensor(labels).long()
        # pinned host batches make Lightning's copy to a GPU asynchronous: a pageable copy waits for the GPU each step
        on_gpu = self.trainer is not None and self.trainer.strategy.root_device.type == "cuda"
        return tensor_loader(x, y, self.batch_size, shuffle, self.num_workers, pin_memory=on_gpu, v=v)

    def train_dataloader(self) -> DataLoader:
        assert self.arrays is not None
        x, v = self.inputs("train"), self.decorrelated("train")
        return self._loader(x, self.arrays.get("train_labels"), shuffle=True, v=v)

    def val_dataloader(self) -> DataLoader:
        if not self.supervised:
            return self._loader(self.inputs("val"), v=self.decorrelated("val"))
        x = torch.cat([self.inputs("val"), self.inputs("val_signal")])
        labels = np.repeat([0, 1], [len(self.arrays["val"]), len(self.arrays["val_signal"])])
        return self._loader(x, labels, v=self.decorrelated("val", "val_signal"))

    def state_dict(self) -> dict[str, Any]:
        """The fitted transform and the shape of one raw sample, so a checkpoint knows the data it was fitted on."""
        shape = list(self.arrays["train"].shape[1:]) if self.arrays is not None else None
        return {"transform": self.transform.state_dict(), "sample_shape": shape}

    def load_state_dict(self, state_dict: dict[str, Any]) -> None:
        theirs = state_dict.get("sample_shape")
        ours = list(self.arrays["train"].shape[1:]) if self.arrays is not None else None
        if theirs is not None and ours is not None and list(theirs) != ours:
            raise ValueError(
                f"checkpoint: fitted on samples of shape {tuple(theirs)}, this data config gives {tuple(ours)}; "
                "use the data options it was trained with"
            )
        self.transform.load_state_dict(state_dict["transform"])
