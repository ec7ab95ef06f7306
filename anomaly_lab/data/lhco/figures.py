"""LHC Olympics run figures: per-feature reconstruction of background and signal, and the background mjj
before and after the anomaly-score cut (does the cut sculpt a bump?)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import torch

from anomaly_lab.data.lhco.highlevel import HLF_NAMES
from anomaly_lab.results.figures import plot_feature_reconstruction, plot_mass_sculpting
from anomaly_lab.thresholds import flag

PARTICLE_FEATURES = ("pT", "eta", "phi")
N_SHOWN = 2000  # events per class in the reconstruction plot


@torch.no_grad()
def _reconstruct(model: torch.nn.Module, x: torch.Tensor) -> torch.Tensor:
    model.eval()
    out = model(x.to(model.device))
    return (out[0] if isinstance(out, tuple) else out).cpu()


def feature_values(x: torch.Tensor, reconstruction: torch.Tensor) -> tuple[dict, dict]:
    """Per feature name, the input and reconstructed values: real particles only for particle lists."""
    if x.ndim == 3:  # (events, particles, features + mask)
        real = x[..., -1] > 0
        names = PARTICLE_FEATURES
        return (
            {n: x[..., i][real].numpy() for i, n in enumerate(names)},
            {n: reconstruction[..., i][real].numpy() for i, n in enumerate(names)},
        )
    return (
        {n: x[:, i].numpy() for i, n in enumerate(HLF_NAMES)},
        {n: reconstruction.reshape(len(x), -1)[:, i].numpy() for i, n in enumerate(HLF_NAMES)},
    )


def example_figures(dm: Any, run_dir: Path, model: torch.nn.Module, scores: np.ndarray, threshold: float) -> dict:
    """The seed's per-feature reconstruction plots (background and signal) and the mjj sculpting check."""
    labels = dm.arrays["test_labels"]
    x = dm.inputs("test")
    figs: dict[str, Path] = {}
    if _reconstruct(model, x[:2]).ndim == x.ndim:  # a reconstruction, not one number per event
        for cls, name in ((0, "background"), (1, "signal")):
            rows = np.flatnonzero(labels == cls)[:N_SHOWN]
            inputs, outputs = feature_values(x[rows], _reconstruct(model, x[rows]))
            figs[f"feature reconstruction, {name}"] = plot_feature_reconstruction(
                inputs, outputs, run_dir / f"feature_reconstruction_{name}.png", f"test {name} events"
            )
    mjj = dm.arrays.get("test_mjj")
    if mjj is not None:
        bkg = labels == 0
        edges = np.linspace(*np.percentile(mjj[bkg], [0.5, 99.5]), 41)
        figs["background mjj before and after the cut"] = plot_mass_sculpting(
            mjj[bkg], flag(scores[bkg], threshold), run_dir / "mjj_sculpting.png", edges
        )
    return figs
