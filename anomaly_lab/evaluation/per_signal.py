"""Metrics per signal process when a test mix holds several (ADC2021's four): AUC against the whole test
background, and TPR at small FPRs with binomial 95 % intervals, each FPR quoted only where enough background
events stand behind it.

The threshold for FPR f is read off the test background itself (the score passed by floor(f * n) of its events),
as the trigger papers do; validation cannot set it, since it would need as many background events as the test.
An FPR is quoted only where at least MIN_BACKGROUND_ABOVE background events pass its threshold: 10⁻⁵ needs 10⁶
test background events.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from anomaly_lab.evaluation import metrics

FPR_POINTS = (1e-3, 1e-4, 1e-5)
MIN_BACKGROUND_ABOVE = 10
CONFIDENCE = 0.95


@dataclass(frozen=True)
class Processes:
    """Per test sample its process code (0 background, i + 1 the i-th signal) and the signals' names."""

    codes: np.ndarray
    names: list[str]


def binomial_interval(k: int, n: int, confidence: float = CONFIDENCE) -> tuple[float, float]:
    """`metrics.binomial_interval` at the per-signal tables' 95 % unless told otherwise."""
    return metrics.binomial_interval(k, n, confidence)


def operating_point(ranked: np.ndarray, signal: np.ndarray, fpr: float) -> dict[str, Any] | None:
    """TPR with its interval at the threshold passing at most floor(fpr * n) of the background scores `ranked`
    (sorted, highest first; fewer pass where scores tie), and the FPR it reaches; None where fewer than
    MIN_BACKGROUND_ABOVE pass (the FPR would rest on too few events to mean anything)."""
    n_bg = len(ranked)
    allowed = int(np.floor(fpr * n_bg + 1e-9))
    if allowed < MIN_BACKGROUND_ABOVE:
        return None
    threshold = float(ranked[allowed])  # strictly above it: at most `allowed` background events
    above = int((ranked > threshold).sum())
    if above < MIN_BACKGROUND_ABOVE:
        return None
    k = int((signal > threshold).sum())
    low, high = binomial_interval(k, len(signal))
    return {"fpr": fpr, "test_fpr": above / n_bg, "threshold": threshold, "tpr": k / len(signal), "tpr_low": low,
            "tpr_high": high, "n_background_above": above, "n_signal_above": k}  # fmt: skip


def signal_results(
    scores: np.ndarray, processes: Processes, threshold: float, fprs: tuple[float, ...] = FPR_POINTS
) -> tuple[dict[str, dict[str, Any]], dict[str, metrics.RocCurve]]:
    """Per signal name, against the whole test background: the metrics (AUC, TPR at the run's threshold and at each
    quotable FPR) and the ROC; signals without test events are left out."""
    codes = np.asarray(processes.codes)
    background = scores[codes == 0]
    ranked = np.sort(background)[::-1]
    out, rocs = {}, {}
    for i, name in enumerate(processes.names, start=1):
        signal = scores[codes == i]
        if not len(signal) or not len(background):
            continue
        mixed, labels = np.concatenate([background, signal]), np.repeat([0, 1], [len(background), len(signal)])
        k = int((signal > threshold).sum())
        low, high = binomial_interval(k, len(signal))
        points = [p for f in fprs if (p := operating_point(ranked, signal, f)) is not None]
        out[name] = {
            "auroc": metrics.auroc(mixed, labels),
            "tpr_at_threshold": k / len(signal), "tpr_at_threshold_low": low, "tpr_at_threshold_high": high,
            "n_signal": len(signal), "n_background": len(background), "operating_points": points,
        }  # fmt: skip
        rocs[name] = metrics.RocCurve.of(mixed, labels)
    return out, rocs
