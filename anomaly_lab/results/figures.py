"""The run's figures as PNGs, each from plain arrays and written atomically (temp file, then rename)."""

from __future__ import annotations

import csv
import os
import tempfile
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402

DPI = 120


def _save(fig: plt.Figure, path: Path) -> Path:
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, suffix=".png")
    os.close(fd)
    try:
        fig.savefig(tmp, dpi=DPI, bbox_inches="tight")
        os.replace(tmp, path)
    finally:
        plt.close(fig)
        Path(tmp).unlink(missing_ok=True)
    return path


def plot_score_histograms(
    scores: np.ndarray,
    labels: np.ndarray,
    threshold: float,
    path: Path,
    signal_name: str = "signal",
    background_name: str = "background",
    log_y: bool = True,
) -> Path:
    """Background and signal score distributions on shared bins, with the threshold line."""
    scores, labels = np.asarray(scores, float), np.asarray(labels)
    lo, hi = scores.min(), scores.max()
    log_x = lo > 0 and hi / lo > 10**1.5
    bins = np.geomspace(lo, hi, 60) if log_x else np.linspace(lo, hi, 60)
    fig, ax = plt.subplots(figsize=(6.4, 4.2))
    ax.hist(scores[labels == 0], bins=bins, histtype="step", lw=1.5, label=background_name, density=True)
    ax.hist(scores[labels == 1], bins=bins, histtype="step", lw=1.5, label=signal_name, density=True)
    ax.axvline(threshold, color="k", ls="--", label=f"threshold {threshold:.4g}")
    if log_x:
        ax.set_xscale("log")
    if log_y:
        ax.set_yscale("log")
    ax.set_xlabel("anomaly score")
    ax.set_ylabel("density")
    ax.legend()
    return _save(fig, path)


def plot_roc(
    fpr: np.ndarray, tpr: np.ndarray, auroc: float, path: Path, operating_point: tuple[float, float] | None = None
) -> Path:
    """TPR against FPR with the chance diagonal; the chosen threshold's point marked."""
    fig, ax = plt.subplots(figsize=(4.8, 4.5))
    ax.plot(fpr, tpr, lw=1.8, label=f"AUC = {auroc:.4f}")
    ax.plot([0, 1], [0, 1], color="grey", ls=":", lw=1)
    if operating_point is not None:
        ax.plot(
            *operating_point,
            "o",
            color="k",
            label=f"threshold: FPR {operating_point[0]:.3f}, TPR {operating_point[1]:.3f}",
        )
    ax.set_xlabel("false-positive rate")
    ax.set_ylabel("true-positive rate")
    ax.set_xlim(0, 1)
    ax.set_ylim(0, 1.01)
    ax.legend(loc="lower right")
    return _save(fig, path)


def _read_loss_columns(metrics_csv: Path) -> dict[str, tuple[list[float], list[float]]]:
    series: dict[str, tuple[list[float], list[float]]] = {}
    with open(metrics_csv, newline="") as f:
        for row in csv.DictReader(f):
            epoch = row.get("epoch") or ""
            for key, value in row.items():
                if key and (key.endswith("loss") or key.endswith("loss_epoch")) and value not in ("", None) and epoch:
                    xs, ys = series.setdefault(key, ([], []))
                    xs.append(float(epoch))
                    ys.append(float(value))
    return series


def plot_training_curves(metrics_csv: Path, path: Path) -> Path:
    """Every logged loss against epoch, from Lightning's CSVLogger file."""
    fig, ax = plt.subplots(figsize=(6.4, 4.2))
    series = _read_loss_columns(Path(metrics_csv)) if Path(metrics_csv).is_file() else {}
    for name, (xs, ys) in sorted(series.items()):
        ax.plot(xs, ys, "o-", ms=3, label=name)
    if series:
        ax.set_xlabel("epoch")
        ax.set_ylabel("loss (MSE)")
        ax.legend()
    else:
        ax.text(0.5, 0.5, "no training history logged", ha="center", va="center", transform=ax.transAxes)
        ax.set_axis_off()
    return _save(fig, path)


def plot_example_window(
    time_s: np.ndarray,
    data: np.ndarray,
    reconstruction: np.ndarray,
    path: Path,
    injection: np.ndarray | None = None,
    title: str = "",
) -> Path:
    """Input with reconstruction (top) and residual (bottom), the injected waveform overlaid on both."""
    fig, (top, bottom) = plt.subplots(2, 1, figsize=(7.5, 5.2), sharex=True)
    top.plot(time_s, data, lw=0.8, color="0.55", label="input")
    top.plot(time_s, reconstruction, lw=1.0, color="C0", label="reconstruction")
    bottom.plot(time_s, data - reconstruction, lw=0.8, color="C3", label="residual")
    if injection is not None:
        for ax in (top, bottom):
            ax.plot(time_s, injection, lw=1.2, color="k", label="injected waveform")
    top.set_ylabel("whitened strain")
    bottom.set_ylabel("whitened strain")
    bottom.set_xlabel("time [s]")
    top.set_title(title)
    top.legend(loc="upper left", fontsize=8)
    bottom.legend(loc="upper left", fontsize=8)
    return _save(fig, path)


def plot_efficiency_curve(
    bin_centres: np.ndarray,
    efficiencies: np.ndarray,
    errors_low: np.ndarray,
    errors_high: np.ndarray,
    path: Path,
    references: dict[str, np.ndarray] | None = None,
    xlabel: str = "optimal SNR",
) -> Path:
    """Detection efficiency at the operating threshold against a binned variable, with reference detectors."""
    fig, ax = plt.subplots(figsize=(6.4, 4.2))
    ax.errorbar(bin_centres, efficiencies, yerr=[errors_low, errors_high], fmt="o-", capsize=3, label="autoencoder")
    for (name, values), marker in zip((references or {}).items(), "sdv^", strict=False):
        ax.plot(bin_centres, values, marker + "--", label=name)
    ax.set_ylim(0, 1.05)
    ax.set_xlabel(xlabel)
    ax.set_ylabel("fraction flagged at the threshold")
    ax.grid(alpha=0.3)
    ax.legend(loc="lower right")
    return _save(fig, path)
