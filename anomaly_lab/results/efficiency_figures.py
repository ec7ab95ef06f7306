"""Efficiency per signal family against a binned variable (e.g. SNR), one panel per family, every scorer in each."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from anomaly_lab.plotting import plt, save_figure


def plot_efficiency_by_signal(
    curves: dict[str, dict[str, list[dict[str, float]]]], signals: list[str], path: Path, xlabel: str
) -> Path:
    """One panel per signal: efficiency at each scorer's threshold against the binned variable, the first scorer with
    its binomial interval; `curves[scorer][signal]` are efficiency rows (lo, hi, efficiency, low, high)."""
    cols = min(4, len(signals))
    rows = int(np.ceil(len(signals) / cols))
    fig, axes = plt.subplots(
        rows, cols, figsize=(3.4 * cols, 3.0 * rows), squeeze=False, sharey=True, layout="constrained"
    )
    for ax, signal in zip(axes.flat, signals, strict=False):
        for i, (scorer, by_signal) in enumerate(curves.items()):
            bins = by_signal.get(signal) or []
            x = np.array([(r["lo"] + r["hi"]) / 2 for r in bins])
            y = np.array([r["efficiency"] for r in bins])
            if i == 0 and len(bins):
                err = [y - np.array([r["low"] for r in bins]), np.array([r["high"] for r in bins]) - y]
                ax.errorbar(x, y, yerr=err, fmt="o-", ms=3, capsize=2, label=scorer)
            elif len(bins):
                ax.plot(x, y, "sdv^<>p*"[(i - 1) % 8] + "--", ms=3, label=scorer)
        ax.set_title(signal, fontsize=9)
        ax.set_ylim(0, 1.05)
        ax.grid(alpha=0.3)
        ax.set_xlabel(xlabel, fontsize=8)
    for ax in list(axes.flat)[len(signals) :]:
        ax.set_axis_off()
    axes.flat[0].set_ylabel("fraction flagged at the threshold")
    axes.flat[0].legend(fontsize=6, loc="lower right")
    return save_figure(fig, path)
