"""The run's figures as PNGs, each from plain arrays and written atomically (temp file, then rename)."""

from __future__ import annotations

import csv
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402

from anomaly_lab.atomic import atomic_path  # noqa: E402

DPI = 120


def _save(fig: plt.Figure, path: Path) -> Path:
    """Render to a temp file beside the target and rename, so a reader never sees a half-written PNG."""
    try:
        with atomic_path(path) as tmp:
            fig.savefig(tmp, dpi=DPI, bbox_inches="tight", format="png")
    finally:
        plt.close(fig)
    return Path(path)


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
    scores, labels = np.asarray(scores, float), np.asarray(labels)
    keep = np.isfinite(scores)
    scores, labels = scores[keep], labels[keep]
    bins, log_x = _shared_bins(scores)
    fig, ax = plt.subplots(figsize=(6.4, 4.2))
    for cls, name in ((0, background_name), (1, signal_name)):
        ax.hist(scores[labels == cls], bins=bins, histtype="step", lw=1.5, label=name, density=(labels == cls).any())
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
    return _save(fig, path)


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
    data, reconstruction = np.asarray(data, float), np.asarray(reconstruction, float)
    fig, (top, bottom) = plt.subplots(2, 1, figsize=(7.5, 5.2), sharex=True)
    top.plot(time_s, data, lw=0.8, color="0.55", label="input")
    top.plot(time_s, reconstruction, lw=1.0, color="C0", label="reconstruction")
    bottom.plot(time_s, data - reconstruction, lw=0.8, color="C3", label="residual")
    if injection is not None:
        for ax in (top, bottom):
            ax.plot(time_s, injection, lw=1.2, color="k", label="injected waveform (whitened)")
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
    return _save(fig, path)


def plot_image_panels(panels: dict[str, np.ndarray], path: Path, title: str | None = None) -> Path:
    """Images side by side on a shared logarithmic colour scale (jet images: mean images, input vs output)."""
    fig, axes = plt.subplots(1, len(panels), figsize=(3.2 * len(panels), 3.4), squeeze=False)
    positive = np.concatenate([p[p > 0].ravel() for p in panels.values()] or [np.ones(1)])
    vmin, vmax = (np.percentile(positive, 1), positive.max()) if positive.size else (1e-6, 1.0)
    norm = matplotlib.colors.LogNorm(vmin=max(vmin, 1e-8), vmax=max(vmax, 2e-8))
    for ax, (name, image) in zip(axes[0], panels.items(), strict=True):
        shown = ax.imshow(np.where(image > 0, image, np.nan), norm=norm, cmap="viridis")
        ax.set_title(name, fontsize=9)
        ax.set_xlabel("phi' (pixels)")
    axes[0, 0].set_ylabel("eta' (pixels)")
    fig.colorbar(shown, ax=axes[0].tolist(), shrink=0.8, label="pT fraction (scaled)")
    if title:
        fig.suptitle(title, fontsize=10)
    return _save(fig, path)


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
    return _save(fig, path)


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
    return _save(fig, path)


def plot_latent(latent: np.ndarray, labels: np.ndarray, path: Path, names: tuple[str, str], axes: str) -> Path:
    """Two latent coordinates per test sample, coloured by class (background drawn first, underneath)."""
    fig, ax = plt.subplots(figsize=(5.2, 4.8))
    for cls, name, colour in ((0, names[0], "tab:blue"), (1, names[1], "tab:orange")):
        pts = latent[labels == cls]
        ax.scatter(pts[:, 0], pts[:, 1], s=3, alpha=0.4, color=colour, label=name, rasterized=True)
    ax.set_xlabel(f"{axes} 1")
    ax.set_ylabel(f"{axes} 2")
    ax.legend(markerscale=4)
    return _save(fig, path)


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
    return _save(fig, path)


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
    return _save(fig, path)
