"""`python -m anomaly_lab.export ckpt=<file> format=onnx|torchscript [output=<file>] [config=<run config>]`.

Writes one file that scores raw samples (the fitted transform inside), with the run's threshold and policy in its
metadata, then checks it against the PyTorch pipeline (numpy transform + eager model) on random valid samples.
"""

from __future__ import annotations

import hashlib
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import torch

from anomaly_lab import errors
from anomaly_lab.export.formats import FORMATS, INPUT, OUTPUT, load_scorer, needs_onnx, write
from anomaly_lab.export.graph import ScoringGraph
from anomaly_lab.export.samples import random_samples, sample_shape
from anomaly_lab.trained import TrainedModel, load_trained

KEYS = ("ckpt", "format", "output", "config")
TOLERANCE = 1e-5  # absolute for scores up to 1, relative above (float32 scores of any scale)
N_CHECK = 64


@dataclass
class Options:
    """What the command line asks for."""

    ckpt: Path
    format: str = "onnx"
    output: Path | None = None
    config: Path | None = None


def parse(argv: list[str]) -> Options:
    """key=value arguments, as Hydra spells overrides; an unknown key or a bad value is a one-line error."""
    given: dict[str, str] = {}
    for arg in argv:
        key, sep, value = arg.partition("=")
        if not sep or key not in KEYS:
            raise ValueError(f"export: expected key=value with a key of {list(KEYS)}, got {arg!r}")
        given[key] = value
    if not given.get("ckpt"):
        raise ValueError("export: ckpt=<checkpoint file> is required")
    fmt = given.get("format", "onnx")
    if fmt not in FORMATS:
        raise ValueError(f"format: expected one of {list(FORMATS)}, got {fmt!r}")
    output, config = given.get("output"), given.get("config")
    if output and Path(output).suffix != FORMATS[fmt]:
        raise ValueError(f"output: a {fmt} file ends in {FORMATS[fmt]}, got {output!r}")
    return Options(Path(given["ckpt"]), fmt, Path(output) if output else None, Path(config) if config else None)


def score_difference(exported: np.ndarray, reference: np.ndarray) -> float:
    """Largest |exported - reference|, relative where the reference exceeds 1 in size (TOLERANCE's measure)."""
    return float(np.max(np.abs(exported - reference) / np.maximum(1.0, np.abs(reference)), initial=0.0))


def pipeline_scores(trained: TrainedModel, raw: np.ndarray) -> np.ndarray:
    """Scores of the training pipeline itself: the numpy transform, then the eager model's predict_step."""
    x = trained.inputs(raw)
    with torch.no_grad():
        return trained.model.predict_step((x, torch.zeros(len(x))), 0).numpy()


def recorded_shape(trained: TrainedModel) -> tuple[int, ...]:
    """The raw sample shape the checkpoint's transform was fitted on (or, if it has none, the data config's)."""
    return trained.sample_shape or sample_shape(trained.datamodule)


def metadata(trained: TrainedModel, shape: tuple[int, ...]) -> dict[str, Any]:
    """What a user of the file needs beside it: input and output, the operating point and where it came from."""
    return {
        "input": {"name": INPUT, "shape": ["batch", *shape], "dtype": "float32", "layout": "raw samples"},
        "output": {"name": OUTPUT, "shape": ["batch"], "meaning": "anomaly score; above threshold = anomaly"},
        "threshold": trained.threshold,
        "policy": trained.policy,
        "checkpoint": str(trained.checkpoint.resolve()),
        "checkpoint_sha256": hashlib.sha256(trained.checkpoint.read_bytes()).hexdigest(),
        "model": str(trained.cfg.model.get("_target_")),
        "net": str(trained.cfg.model.net.get("_target_")),
        "transform": type(trained.datamodule.transform).__name__,
    }


def export(opts: Options) -> tuple[Path, dict[str, Any], float]:
    """Write the exported file; returns its path, its metadata and its largest score difference from the pipeline."""
    if opts.format == "onnx":  # before any work: a missing package is one line, not a half-done export
        for package in ("onnx", "onnxscript", "onnxruntime"):
            needs_onnx(package)
    trained = load_trained(opts.ckpt, opts.config)
    shape = recorded_shape(trained)
    graph = ScoringGraph(trained.datamodule.transform.as_module(), trained.model, trained.datamodule.channel_axis)
    example = torch.from_numpy(random_samples(trained.datamodule.transform, shape, 4, seed=1))
    output = opts.output or trained.run_dir / f"model{FORMATS[opts.format]}"
    meta = metadata(trained, shape)
    path = write(opts.format, graph, example, output, meta)
    raw = random_samples(trained.datamodule.transform, shape, N_CHECK, seed=2)
    return path, meta, score_difference(load_scorer(path)(raw), pipeline_scores(trained, raw))


def main(argv: list[str] | None = None) -> None:
    """Parse, export, and print what was written and how closely it reproduces the pipeline's scores."""
    try:
        opts = parse(sys.argv[1:] if argv is None else argv)
        path, meta, diff = export(opts)
    except Exception as err:  # expected errors become one line and exit 1; anything else re-raises
        errors.exit_on_user_error(err)
        return
    shape = ", ".join(str(n) for n in meta["input"]["shape"])
    runtime = "ONNX Runtime" if opts.format == "onnx" else "TorchScript"
    print(
        f"wrote {path} ({opts.format}, {path.stat().st_size / 1024:.0f} kB): {INPUT} ({shape}) float32 -> {OUTPUT} "
        f"(batch); threshold {meta['threshold']} ({meta['policy']})"
    )
    print(f"verified: max |{runtime} - PyTorch| = {diff:.2e} on {N_CHECK} random valid samples (tolerance {TOLERANCE})")
    if diff > TOLERANCE:
        errors.exit_on_user_error(ValueError(f"export: {path} differs from the PyTorch scores by {diff:.2e}"))
