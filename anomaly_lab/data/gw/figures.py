"""Gravitational-wave run figures: one injected test window with the model's reconstruction and the residual."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from anomaly_lab.plotting import plt, save_figure


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
    return save_figure(fig, path)
