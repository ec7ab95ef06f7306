"""One self-contained file per export (ONNX or TorchScript): the scoring graph, its metadata, written atomically;
and the way back: a scorer that runs such a file, and the metadata it holds.

ONNX goes through torch's torch.export-based exporter (`dynamo=True`, the default since torch 2.9): the
TorchScript-based one still runs in torch 2.13 but warns that it will be removed. onnx, onnxscript and
onnxruntime are imported only here and only when needed (the `export` extra).
"""

from __future__ import annotations

import contextlib
import io
import json
import logging
import warnings
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import numpy as np
import torch
from torch import nn

from anomaly_lab.atomic import atomic_path

FORMATS = {"onnx": ".onnx", "torchscript": ".pt"}
INPUT, OUTPUT = "samples", "score"
METADATA_FILE = "anomaly_lab.json"  # the TorchScript extra file; ONNX keeps the same keys in metadata_props
OPSET = 18
Scorer = Callable[[np.ndarray], np.ndarray]


def needs_onnx(package: str = "onnxruntime") -> Any:
    """Import an optional ONNX package, or fail with one line naming the extra that provides it."""
    try:
        return __import__(package)
    except ImportError:
        raise ValueError(
            f"format=onnx needs {package}: pip install 'anomaly_lab[export]' (onnx, onnxscript, onnxruntime)"
        ) from None


@contextlib.contextmanager
def quiet() -> Iterator[None]:
    """Silence the exporters' progress prints, deprecation warnings and log chatter (the CLI says what matters)."""
    logger = logging.getLogger("torch.onnx")
    level = logger.level
    logger.setLevel(logging.ERROR)
    try:
        with warnings.catch_warnings(), contextlib.redirect_stdout(io.StringIO()):
            warnings.simplefilter("ignore")
            yield
    finally:
        logger.setLevel(level)


def write_onnx(graph: nn.Module, example: torch.Tensor, path: Path, metadata: dict[str, Any]) -> None:
    """Export `graph` with a dynamic batch axis to one ONNX file (weights inside), metadata in metadata_props."""
    needs_onnx("onnxscript")
    onnx = needs_onnx("onnx")
    with quiet():
        torch.onnx.export(
            graph, (example,), path, input_names=[INPUT], output_names=[OUTPUT], opset_version=OPSET,
            dynamo=True, external_data=False, dynamic_shapes=({0: torch.export.Dim("batch")},),
        )  # fmt: skip
    model = onnx.load(path)
    for key, value in metadata.items():
        model.metadata_props.add(key=key, value=json.dumps(value))
    onnx.save(model, path)


def write_torchscript(graph: nn.Module, example: torch.Tensor, path: Path, metadata: dict[str, Any]) -> None:
    """Trace `graph` (any batch size runs: no operation depends on it) and save it with the metadata file."""
    with quiet(), torch.no_grad():
        traced = torch.jit.trace(graph, example, check_trace=False)  # the caller checks scores
    torch.jit.save(traced, str(path), _extra_files={METADATA_FILE: json.dumps(metadata)})


def write(fmt: str, graph: nn.Module, example: torch.Tensor, path: str | Path, metadata: dict[str, Any]) -> Path:
    """Write the scoring graph as `fmt` to `path` atomically: a temporary file beside it, renamed when complete."""
    writer = {"onnx": write_onnx, "torchscript": write_torchscript}[fmt]
    with atomic_path(path) as tmp:
        writer(graph.eval(), example, tmp, metadata)
    return Path(path)


def format_of(path: str | Path) -> str:
    """The format of an exported file, from its suffix."""
    suffix = Path(path).suffix
    for fmt, ext in FORMATS.items():
        if suffix == ext:
            return fmt
    raise ValueError(f"{path}: expected an exported file ending in one of {list(FORMATS.values())}")


def read_metadata(path: str | Path) -> dict[str, Any]:
    """The metadata an exported file holds (input shape, threshold, policy, checkpoint...)."""
    if format_of(path) == "onnx":
        model = needs_onnx("onnx").load(str(path), load_external_data=False)
        return {p.key: json.loads(p.value) for p in model.metadata_props}
    files = {METADATA_FILE: ""}
    torch.jit.load(str(path), map_location="cpu", _extra_files=files)
    return json.loads(files[METADATA_FILE])


def load_scorer(path: str | Path, device: str = "cpu") -> Scorer:
    """A function from a raw float32 sample batch to its scores, running the exported file (ONNX Runtime or
    TorchScript) on `device` ("cpu" or "cuda")."""
    if format_of(path) == "onnx":
        ort = needs_onnx("onnxruntime")
        providers = ["CUDAExecutionProvider"] if device == "cuda" else ["CPUExecutionProvider"]
        session = ort.InferenceSession(str(path), providers=providers)
        return lambda x: session.run(None, {INPUT: np.ascontiguousarray(x, np.float32)})[0]
    module = torch.jit.load(str(path), map_location=device).eval()

    def score(x: np.ndarray) -> np.ndarray:
        with torch.no_grad():
            return module(torch.from_numpy(np.ascontiguousarray(x, np.float32)).to(device)).cpu().numpy()

    return score
