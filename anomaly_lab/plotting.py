"""Plotting helpers every layer shares: the non-interactive backend and an atomic PNG save."""

from __future__ import annotations

from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402

from anomaly_lab.atomic import atomic_path  # noqa: E402

DPI = 120


def save_figure(fig: plt.Figure, path: Path) -> Path:
    """Render to a temp file beside the target and rename, so a reader never sees a half-written PNG."""
    try:
        with atomic_path(path) as tmp:
            fig.savefig(tmp, dpi=DPI, bbox_inches="tight", format="png")
    finally:
        plt.close(fig)
    return Path(path)
