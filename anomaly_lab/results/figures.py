"""The figures every run gets (scores, ROC, PR, SIC, training curves, latent space, efficiency), from plain arrays."""

from __future__ import annotations

import csv
from collections.abc import Sequence
from pathlib import Path

import numpy as np

from anomaly_lab.plotting import plt, save_figure


def _shared_bins(scores: np.ndarray, n: int = 60) -> tuple[np.ndarray, bool]:
    """Bins common to both classes; log-spaced when positive scores span more than 1.5 decades."""
    if scores.size == 0:
        return np.linspace(0.0, 1.0, n), False
    lo, hi = float(scores.min()), float(scores.max())
    if lo > 0 and hi / lo > 10**1.5:
        return np.geomspace(lo, hi, n), True
    if hi <= lo:  # a constant score still needs increasing edges
        lo, hi = lo - 0.5, hi + 0.5
    return np.linspace(lo, hi, n), False


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
    return plot_score_histograms_by_process(scores, labels, [background_name, signal_name], threshold, path, log_y)


def plot_roc(
    fpr: np.ndarray,
    tpr: np.ndarray,
    auroc: float,
    path: Path,
    operating_point: tuple[float, float] | None = None,
    log_x: bool = False,
) -> Path:
    """TPR against FPR with the chance diagonal; the chosen threshold's point marked."""
    fpr, tpr = np.asarray(fpr, float), np.asarray(tpr, float)
    fig, ax = plt.subplots(figsize=(4.8, 4.5))
    ax.plot(fpr, tpr, lw=1.8, label=f"AUC = {auroc:.4f}")
    diagonal = np.geomspace(1e-6, 1, 200) if log_x else np.array([0.0, 1.0])
    ax.plot(diagonal, diagonal, color="grey", ls=":", lw=1, label="chance")
    if operating_point is not None:
        op_fpr, op_tpr = operating_point
        ax.plot(op_fpr, op_tpr, "o", color="k", label=f"threshold: FPR {op_fpr:.3f}, TPR {op_tpr:.3f}")
    ax.set_xlabel("false-positive rate")
    ax.set_ylabel("true-positive rate")
    if log_x:
        positive = fpr[fpr > 0]
        ax.set_xscale("log")
        ax.set_xlim(positive.min() if positive.size else 1e-6, 1)
    else:
        ax.set_xlim(0, 1)
    ax.set_ylim(0, 1.01)
    ax.legend(loc="lower right")
    return save_figure(fig, path)


def _is_loss(column: str | None) -> bool:
    return bool(column) and (column.endswith("loss") or column.endswith("loss_epoch"))


def _read_loss_columns(metrics_csv: Path) -> dict[str, tuple[list[float], list[float]]]:
    """Loss columns of a CSVLogger file as (epochs, values); Lightning leaves most cells of a row empty."""
    series: dict[str, tuple[list[float], list[float]]] = {}
    with open(metrics_csv, newline="") as f:
        for row in csv.DictReader(f):
            epoch = _number(row.get("epoch"))
            for key, value in row.items():
                y = _number(value) if _is_loss(key) else None
                if epoch is not None and y is not None:
                    xs, ys = series.setdefault(key, ([], []))
                    xs.append(epoch)
                    ys.append(y)
    return series


def _number(cell: str | None) -> float | None:
    try:
        x = float(cell)
    except (TypeError, ValueError):
        return None
    return x if np.isfinite(x) else None


def plot_training_curves(metrics_csv: Path, path: Path) -> Path:
    """Every logged loss against epoch, from Lightning's CSVLogger file."""
    fig, ax = plt.subplots(figsize=(6.4, 4.2))
    series = _read_loss_columns(Path(metrics_csv)) if Path(metrics_csv).is_file() else {}
    for name, (xs, ys) in sorted(series.items()):
        ax.plot(xs, ys, "o-", ms=3, label=name)
    if series:
        ax.set_xlabel("epoch")
        ax.set_ylabel("loss")
        ax.legend()
    else:
        ax.text(0.5, 0.5, "no training history logged", ha="center", va="center", transform=ax.transAxes)
        ax.set_axis_off()
    return save_figure(fig, path)


def plot_efficiency_curve(
    bin_centres: np.ndarray,
    efficiencies: np.ndarray,
    errors_low: np.ndarray,
    errors_high: np.ndarray,
    path: Path,
    references: dict[str, np.ndarray] | None = None,
    xlabel: str = "optimal SNR",
    label: str = "autoencoder",
) -> Path:
    """Detection efficiency at the operating threshold per bin, beside reference detectors on the same bins."""
    series = dict(references or {})
    fig, ax = plt.subplots(figsize=(6.4, 4.2))
    ax.errorbar(bin_centres, efficiencies, yerr=[errors_low, errors_high], fmt="o-", capsize=3, label=label)
    for (name, values), marker in zip(series.items(), "sdv^<>p*", strict=False):
        ax.plot(bin_centres, values, marker + "--", label=name)
    ax.set_ylim(0, 1.05)
    ax.set_xlabel(xlabel)
    ax.set_ylabel("fraction flagged at the threshold")
    ax.grid(alpha=0.3)
    ax.legend(loc="lower right")
    return save_figure(fig, path)


def plot_precision_recall(precision: np.ndarray, recall: np.ndarray, average_precision: float, path: Path,
                          signal_fraction: float) -> Path:  # fmt: skip
    """Precision against recall (signal efficiency); the no-skill line is the test mix's signal fraction."""
    fig, ax = plt.subplots(figsize=(4.8, 4.5))
    ax.plot(recall, precision, lw=1.8, label=f"average precision = {average_precision:.4f}")
    ax.axhline(signal_fraction, color="grey", ls=":", lw=1, label=f"no skill ({signal_fraction:.3f})")
    ax.set_xlabel("recall (signal efficiency)")
    ax.set_ylabel("precision")
    ax.set_xlim(0, 1)
    ax.set_ylim(0, 1.01)
    ax.legend(loc="upper right")
    return save_figure(fig, path)


def plot_sic(tpr: np.ndarray, sic: np.ndarray, path: Path, min_background: int) -> Path:
    """Significance improvement TPR/sqrt(FPR) against signal efficiency, with its maximum marked."""
    fig, ax = plt.subplots(figsize=(4.8, 4.5))
    ax.plot(tpr, sic, lw=1.8)
    if sic.size:
        best = int(np.argmax(sic))
        ax.plot(tpr[best], sic[best], "o", color="k", label=f"max SIC {sic[best]:.2f} at TPR {tpr[best]:.3f}")
        ax.legend(loc="upper right")
    ax.axhline(1.0, color="grey", ls=":", lw=1)
    ax.set_xlabel("signal efficiency (TPR)")
    ax.set_ylabel("TPR / sqrt(FPR)")
    ax.set_title(f"cuts keeping at least {min_background} background samples", fontsize=9)
    ax.set_xlim(0, 1)
    return save_figure(fig, path)


def plot_latent(latent: np.ndarray, labels: np.ndarray, path: Path, names: Sequence[str], axes: str) -> Path:
    """Two latent coordinates per test sample, coloured by class or process code (0 first, underneath)."""
    fig, ax = plt.subplots(figsize=(5.2, 4.8))
    for cls, name in enumerate(names):
        pts = latent[labels == cls]
        ax.scatter(pts[:, 0], pts[:, 1], s=3, alpha=0.4, color=f"C{cls}", label=name, rasterized=True)
    ax.set_xlabel(f"{axes} 1")
    ax.set_ylabel(f"{axes} 2")
    ax.legend(markerscale=4)
    return save_figure(fig, path)


def plot_score_histograms_by_process(
    scores: np.ndarray, codes: np.ndarray, names: Sequence[str], threshold: float, path: Path, log_y: bool = True
) -> Path:
    """Score distributions of each class or process (code i is `names[i]`, background first) on shared bins, with
    the threshold line; each normalised to unit area."""
    scores, codes = np.asarray(scores, float), np.asarray(codes)
    keep = np.isfinite(scores)
    scores, codes = scores[keep], codes[keep]
    bins, log_x = _shared_bins(scores)
    fig, ax = plt.subplots(figsize=(6.4, 4.2))
    for code, name in enumerate(names):
        sel = scores[codes == code]
        ax.hist(sel, bins=bins, histtype="step", lw=1.5, label=name, density=sel.size > 0)
    ax.axvline(threshold, color="k", ls="--", label=f"threshold {threshold:.4g}")
    if log_x:
        ax.set_xscale("log")
    if log_y:
        ax.set_yscale("log")
    ax.set_xlabel("anomaly score")
    ax.set_ylabel("density")
    ax.legend(fontsize=8 if len(names) > 2 else None)
    return save_figure(fig, path)


def plot_roc_by_signal(curves: dict[str, dict[str, tuple[np.ndarray, np.ndarray, float]]], path: Path) -> Path:
    """TPR against FPR on a log-FPR axis, one colour per signal and one line style per scorer (first solid):
    `curves[scorer][signal] = (fpr, tpr, auc)`."""
    fig, ax = plt.subplots(figsize=(6.4, 5.0))
    styles = ("-", "--", ":", "-.")
    colours: dict[str, str] = {}
    lowest = 1.0
    for i, (scorer, by_signal) in enumerate(curves.items()):
        for signal, (fpr, tpr, auc) in by_signal.items():
            colour = colours.setdefault(signal, f"C{len(colours)}")
            positive = fpr > 0
            if positive.any():
                lowest = min(lowest, float(fpr[positive].min()))
            label = f"{signal}, {scorer} (AUC {auc:.3f})"
            ax.plot(fpr[positive], tpr[positive], ls=styles[i % len(styles)], color=colour, lw=1.4, label=label)
    ax.plot([lowest, 1], [lowest, 1], color="grey", ls=":", lw=1, label="chance")
    ax.set_xscale("log")
    ax.set_xlim(lowest, 1)
    ax.set_ylim(0, 1.01)
    ax.set_xlabel("background efficiency (FPR)")
    ax.set_ylabel("signal efficiency (TPR)")
    ax.legend(fontsize=6, loc="upper left")
    return save_figure(fig, path)
