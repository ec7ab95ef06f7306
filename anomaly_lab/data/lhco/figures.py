"""LHC Olympics run figures: per-feature reconstruction of background and signal, and the background mjj
before and after the anomaly-score cut (does the cut sculpt a bump?)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import torch

from anomaly_lab.data import figures
from anomaly_lab.data.lhco.highlevel import HLF_NAMES
from anomaly_lab.plotting import plt, save_figure


def reconstruction_figures(x: torch.Tensor, labels: np.ndarray, model: torch.nn.Module, run_dir: Path) -> dict:
    """Per-feature reconstruction of test background and signal: particles, or the high-level features."""
    return figures.reconstruction_figures(x, labels, model, run_dir, HLF_NAMES)


def sculpting_figure(mjj: np.ndarray, labels: np.ndarray, flagged: np.ndarray, run_dir: Path) -> dict:
    """Background mjj before and after the anomaly-score cut."""
    bkg = labels == 0
    edges = np.linspace(*np.percentile(mjj[bkg], [0.5, 99.5]), 41)
    path = plot_mass_sculpting(mjj[bkg], flagged[bkg], run_dir / "mjj_sculpting.png", edges)
    return {"background mjj before and after the cut": path}


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
