"""Figures a dataset of particle or object lists draws for its report: per-feature (pT, eta, phi) inputs against
their reconstructions, real particles only (the LHC Olympics and ADC2021 seeds' diagnostic)."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import numpy as np
import torch

from anomaly_lab.plotting import plt, save_figure

PARTICLE_FEATURES = ("pT", "eta", "phi")
N_SHOWN = 2000  # events per class in the reconstruction plot


def feature_values(x: torch.Tensor, reconstruction: torch.Tensor, flat_names: Sequence[str] = ()) -> tuple[dict, dict]:
    """Per feature name, the input and reconstructed values: real particles only for particle lists, and the
    features named `flat_names` for (events, features) inputs."""
    if x.ndim == 3:  # (events, particles, features + mask)
        real = x[..., -1] > 0
        names = PARTICLE_FEATURES
        return (
            {n: x[..., i][real].numpy() for i, n in enumerate(names)},
            {n: reconstruction[..., i][real].numpy() for i, n in enumerate(names)},
        )
    return (
        {n: x[:, i].numpy() for i, n in enumerate(flat_names)},
        {n: reconstruction.reshape(len(x), -1)[:, i].numpy() for i, n in enumerate(flat_names)},
    )


@torch.no_grad()
def reconstruction_figures(
    x: torch.Tensor, labels: np.ndarray, model: torch.nn.Module, run_dir: Path, flat_names: Sequence[str] = ()
) -> dict:
    """The seed's per-feature reconstruction plots of test background and signal (none for a classifier)."""
    model.eval()
    figs: dict[str, Path] = {}
    for cls, name in ((0, "background"), (1, "signal")):
        rows = np.flatnonzero(labels == cls)[:N_SHOWN]
        reconstruction = model.reconstruct(x[rows].to(model.device))
        if reconstruction is None:
            return {}
        inputs, outputs = feature_values(x[rows], reconstruction.float().cpu(), flat_names)
        figs[f"feature reconstruction, {name}"] = plot_feature_reconstruction(
            inputs, outputs, run_dir / f"feature_reconstruction_{name}.png", f"test {name} events"
        )
    return figs


def plot_feature_reconstruction(
    inputs: dict[str, np.ndarray], outputs: dict[str, np.ndarray], path: Path, title: str | None = None
) -> Path:
    """Per feature: the distribution of the inputs and of the model's reconstructions (seed's diagnostic)."""
    fig, axes = plt.subplots(1, len(inputs), figsize=(3.6 * len(inputs), 3.4), squeeze=False)
    for ax, name in zip(axes[0], inputs, strict=True):
        both = np.concatenate([inputs[name], outputs[name]])
        bins = np.linspace(*np.percentile(both, [0.5, 99.5]), 60)
        ax.hist(inputs[name], bins=bins, histtype="step", lw=1.5, label="input", density=True)
        ax.hist(outputs[name], bins=bins, histtype="step", lw=1.5, label="reconstruction", density=True)
        ax.set_xlabel(f"{name} (scaled)")
        ax.set_yscale("log")
    axes[0, 0].set_ylabel("density")
    axes[0, 0].legend(fontsize=8)
    if title:
        fig.suptitle(title, fontsize=10)
    return save_figure(fig, path)
