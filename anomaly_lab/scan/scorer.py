"""The trained model on the scanning device: its scores in batches, with the run's precision and fitted transform."""

from __future__ import annotations

import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch

from anomaly_lab.evaluation.scoring import score_inputs
from anomaly_lab.export.formats import load_scorer, write_onnx
from anomaly_lab.export.graph import ScoringGraph
from anomaly_lab.trained import TrainedModel

DEVICES = ("auto", "cpu", "cuda")
# windows per forward pass: the GPU wants large batches; on the CPU activations (256 channels x 512 samples for
# the gw network) stay in cache better in smaller ones
DEFAULT_BATCH = {"cpu": 256, "cuda": 4096}


def resolve_device(name: str) -> torch.device:
    """`auto`: CUDA when this torch sees a GPU, else the CPU; `cuda` without one is a user error."""
    if name not in DEVICES:
        raise ValueError(f"device={name}: expected one of {', '.join(DEVICES)}")
    if name == "cuda" and not torch.cuda.is_available():
        raise ValueError(f"device=cuda: this torch ({torch.__version__}) sees no CUDA device; use device=cpu")
    if name == "auto":
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    return torch.device(name)


@dataclass
class Scorer:
    """Scores model inputs on `device` in batches of `batch_size`, under `precision` (autocast as in training)."""

    trained: TrainedModel
    device: torch.device
    batch_size: int
    precision: str
    runtime: str = "torch"
    _onnx: Callable[[np.ndarray], np.ndarray] | None = None

    @classmethod
    def of(
        cls, trained: TrainedModel, device: str, batch_size: int | None, precision: str | None, runtime: str = "torch"
    ) -> Scorer:
        """The model moved to the device; precision defaults to the run's trainer precision, so scores match
        the ones its threshold was set on. `runtime=onnx` scores with ONNX Runtime on the CPU, in float32."""
        dev = resolve_device("cpu" if runtime == "onnx" and device == "auto" else device)
        if runtime == "onnx" and dev.type != "cpu":
            raise ValueError(f"runtime=onnx scores on the CPU (ONNX Runtime's CPU provider): device={device} cannot")
        if runtime == "onnx":
            precision = "32-true"
        if batch_size is not None and batch_size < 1:
            raise ValueError(f"batch_size={batch_size}: expected a positive number of samples")
        precision = precision or str(trained.cfg.get("trainer", {}).get("precision", "32-true"))
        trained.model.to(dev)
        return cls(trained, dev, batch_size or DEFAULT_BATCH[dev.type], precision, runtime)

    def warm_up(self, sample_shape: tuple[int, ...]) -> float:
        """Score one full batch of zeros (CUDA's lazy loading, cuDNN's choices, a compiled model's compilation
        happen here, not in the first file's time); the seconds it took."""
        start = time.perf_counter()
        self.scores(torch.zeros((self.batch_size, *sample_shape), device=self.device))
        return time.perf_counter() - start

    def scores(self, x: torch.Tensor) -> np.ndarray:
        """Anomaly score per sample of model inputs `x` (on any device), in order."""
        if self.runtime == "torch":
            return score_inputs(self.trained.model, x, self.batch_size, self.precision)
        if self._onnx is None:  # exported on first use, for the inputs' shape
            self._onnx = onnx_runtime_scorer(self.trained, x[:1].detach().cpu().float())
        arr = np.ascontiguousarray(x.detach().cpu().float().numpy())
        parts = [self._onnx(arr[i : i + self.batch_size]) for i in range(0, len(arr), self.batch_size)]
        return np.concatenate(parts).astype(np.float64) if parts else np.zeros(0)


def onnx_runtime_scorer(trained: TrainedModel, example: torch.Tensor) -> Callable[[np.ndarray], np.ndarray]:
    """The model (the transform left to the caller) exported to ONNX in a temporary file, run by ONNX Runtime."""
    graph = ScoringGraph(torch.nn.Identity(), trained.model.cpu(), channel_axis=False)
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "model.onnx"
        write_onnx(graph, example, path, {"checkpoint": str(trained.checkpoint)})
        return load_scorer(path, "cpu")
