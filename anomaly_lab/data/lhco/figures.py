"""LHC Olympics run figures: per-feature reconstruction of background and signal, and the background mjj
before and after the anomaly-score cut (does the cut sculpt a bump?)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import torch

from anomaly_lab.data.lhco.highlevel import HLF_NAMES
from anomaly_lab.plotting import plt, save_figure

PARTICLE_FEATURES = ("pT", "eta", "phi")
N_SHOWN = 2000  # events per class in the reconstruction plot


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


@torch.no_grad()
def reconstruction_figures(x: torch.Tensor, labels: np.ndarray, model: torch.nn.Module, run_dir: Path) -> dict:
    """The seed's per-feature reconstruction plots of test background and signal (none for a classifier)."""
    model.eval()
    figs: dict[str, Path] = {}
    for cls, name in ((0, "background"), (1, "signal")):
        rows = np.flatnonzero(labels == cls)[:N_SHOWN]
        reconstruction = model.reconstruct(x[rows].to(model.device))
        if reconstruction is None:
            return {}
        inputs, outputs = feature_values(x[rows], reconstruction.float().cpu())
        figs[f"feature reconstruction, {name}"] = plot_feature_reconstruction(
            inputs, outputs, run_dir / f"feature_reconstruction_{name}.png", f"test {name} events"
        )
    return figs


def sculpting_figure(mjj: np.ndarray, labels: np.ndarray, flagged: np.ndarray, run_dir: Path) -> dict:
    """Background mjj before and after the anomaly-score cut."""
    bkg = labels == 0
    edges = np.linspace(*np.percentile(mjj[bkg], [0.5, 99.5]), 41)
    path = plot_mass_sculpting(mjj[bkg], flagged[bkg], run_dir / "mjj_sculpting.png", edges)
    return {"background mjj before and after the cut": path}


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


def plot_mass_sculpting(mjj: np.ndarray, passed: np.ndarray, path: Path, edges: np.ndarray) -> Path:
    """Background mjj before and after the anomaly-score cut, both normalised, and their ratio: a cut that
    prefers some masses makes a bump in a smooth background."""
    fig, (ax, ratio_ax) = plt.subplots(2, 1, figsize=(6.0, 5.2), sharex=True, height_ratios=[3, 1])
    before, _ = np.histogram(mjj, edges)
    after, _ = np.histogram(mjj[passed], edges)
    widths = np.diff(edges)
    centres = 0.5 * (edges[1:] + edges[:-1])
    for counts, name in ((before, f"all background ({len(mjj)})"), (after, f"passing the cut ({passed.sum()})")):
        density = counts / max(counts.sum(), 1) / widths
        ax.step(edges[:-1], density, where="post", lw=1.5, label=name)
    ax.set_yscale("log")
    ax.set_ylabel("normalised density (1/GeV)")
    ax.legend(fontsize=8)
    with np.errstate(divide="ignore", invalid="ignore"):
        ratio = (after / max(after.sum(), 1)) / (before / max(before.sum(), 1))
        error = ratio / np.sqrt(np.maximum(after, 1))
    ok = before > 0
    ratio_ax.errorbar(centres[ok], ratio[ok], yerr=error[ok], fmt="o", ms=3)
    ratio_ax.axhline(1.0, color="grey", ls=":")
    ratio_ax.set_ylabel("after / before")
    ratio_ax.set_xlabel("m_jj (GeV)")
    return save_figure(fig, path)

