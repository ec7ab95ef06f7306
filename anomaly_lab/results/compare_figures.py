"""compare.png: a sweep's metric against each swept parameter, one panel per parameter, mean ± std over seeds."""

from __future__ import annotations

import math
from collections import defaultdict
from pathlib import Path

import numpy as np

from anomaly_lab.plotting import plt, save_figure

Point = tuple[dict[str, str], float]  # a finished job's overrides and its metric
MAX_LEGEND = 8  # series beyond this are drawn but not named


def axis_positions(values: list[str]) -> tuple[np.ndarray, list[str] | None, bool]:
    """x of each value: numbers as numbers (log axis when positive and spanning more than a decade), anything else
    as categories in order of first appearance; returns (x, category names or None, log axis)."""
    try:
        x = np.array([float(v) for v in values])
    except ValueError:
        x = None
    if x is not None and np.all(np.isfinite(x)):
        return x, None, bool(x.min() > 0 and x.max() / x.min() > 10)
    categories = list(dict.fromkeys(values))
    return np.array([categories.index(v) for v in values], float), categories, False


def _seed_means(ax: plt.Axes, x: np.ndarray, y: np.ndarray, points: list[Point], others: list[str]) -> None:
    """Mean ± std (ddof=1) over seeds at each x, one line per combination of the other swept parameters."""
    series: dict[tuple[str, ...], dict[float, list[float]]] = defaultdict(lambda: defaultdict(list))
    for xi, yi, (overrides, _) in zip(x, y, points, strict=True):
        series[tuple(overrides.get(k, "—") for k in others)][float(xi)].append(float(yi))
    for i, (combination, by_x) in enumerate(series.items()):
        xs = sorted(by_x)
        means = [float(np.mean(by_x[v])) for v in xs]
        stds = [float(np.std(by_x[v], ddof=1)) if len(by_x[v]) > 1 else 0.0 for v in xs]
        label = ", ".join(f"{k}={v}" for k, v in zip(others, combination, strict=True)) or "mean ± std over seeds"
        ax.errorbar(xs, means, yerr=stds, fmt="s-", capsize=3, color=f"C{i % 10}",
                    label=label if i < MAX_LEGEND else None)  # fmt: skip


def _panel(ax: plt.Axes, param: str, points: list[Point], swept: list[str], seed_key: str | None,
           metric: str) -> None:  # fmt: skip
    x, categories, log = axis_positions([overrides.get(param, "—") for overrides, _ in points])
    y = np.array([value for _, value in points])
    ax.plot(x, y, "o", color="0.55" if seed_key else "C0", alpha=0.7, label="jobs")
    if seed_key and param != seed_key:
        _seed_means(ax, x, y, points, [k for k in swept if k not in (param, seed_key)])
    if categories is not None:
        ax.set_xticks(range(len(categories)), categories, rotation=20 if len(categories) > 3 else 0)
        ax.set_xlim(-0.5, len(categories) - 0.5)
    elif log:
        ax.set_xscale("log")
    ax.set_xlabel(param)
    ax.set_ylabel(metric)
    ax.grid(alpha=0.3)
    ax.legend(fontsize="small")


def plot_compare(points: list[Point], swept: list[str], metric: str, path: Path, seed_key: str | None = None,
                 title: str | None = None) -> Path:  # fmt: skip
    """`metric` of each finished job against each swept parameter; with `seed_key` swept, the seeds are averaged
    per combination of the other parameters and seed itself gets no panel (unless it is the only one)."""
    params = [k for k in swept if k != seed_key] or list(swept)
    if not params or not points:
        raise ValueError("nothing to plot: no swept parameter or no finished job with the metric")
    finite = [(o, v) for o, v in points if math.isfinite(v)]
    ncols = min(3, len(params))
    nrows = math.ceil(len(params) / ncols)
    fig, axes = plt.subplots(nrows, ncols, figsize=(4.6 * ncols, 3.6 * nrows), squeeze=False)
    for ax, param in zip(axes.flat, params, strict=False):
        _panel(ax, param, finite, swept, seed_key, metric)
    for ax in list(axes.flat)[len(params) :]:
        ax.set_visible(False)
    if title:
        fig.suptitle(title, fontsize="medium")
    fig.tight_layout()
    return save_figure(fig, path)
