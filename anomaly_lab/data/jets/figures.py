"""Jet-image run figures: mean images of both classes, and an anomalous jet beside the model's reconstruction."""

from __future__ import annotations

from pathlib import Path

import matplotlib
import numpy as np
import torch

from anomaly_lab.plotting import plt, save_figure


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
    return save_figure(fig, path)



def jet_figures(
    x: torch.Tensor, labels: np.ndarray, names: tuple[str, str], model: torch.nn.Module, scores: np.ndarray,
    run_dir: Path,
) -> dict[str, Path]:
    """Mean test images of both classes (background, anomaly `names`), and the median-score anomalous jet
    beside the model's reconstruction when the model reconstructs."""
    means = {f"mean {name}": x[labels == cls, 0].mean(0).numpy() for cls, name in enumerate(names)}
    figs = {"mean images": plot_image_panels(means, run_dir / "mean_images.png")}
    sig = np.flatnonzero(labels == 1)
    i = sig[np.argsort(scores[sig])[len(sig) // 2]]
    model.eval()
    with torch.no_grad():
        out = model.reconstruct(x[i : i + 1].to(model.device))
    if out is not None:
        figs["example reconstruction"] = plot_image_panels(
            {"input": x[i, 0].numpy(), "reconstruction": out[0, 0].float().cpu().numpy()},
            run_dir / "example_reconstruction.png",
            f"test jet {i} (anomalous class), median anomalous score {scores[i]:.3g}",
        )
    return figs
