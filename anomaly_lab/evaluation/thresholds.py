"""Threshold policies fitted on validation scores, kept apart from the model; score > threshold is anomalous."""

from __future__ import annotations

from typing import Protocol

import numpy as np


class ThresholdPolicy(Protocol):
    """What every policy offers: a name, its target FPR (None when it aims at none), and `fit`."""

    name: str
    target_fpr: float | None
    threshold: float | None

    def fit(
        self, background_scores: np.ndarray, scores: np.ndarray | None = None, labels: np.ndarray | None = None
    ) -> float: ...


def flag(scores: np.ndarray, threshold: float) -> np.ndarray:
    """Boolean mask of samples flagged anomalous (strictly above the threshold)."""
    return np.asarray(scores) > threshold


def fpr_at_threshold(background_scores: np.ndarray, threshold: float) -> float:
    """Fraction of background strictly above the threshold: the FPR a policy actually reaches."""
    return float(np.mean(flag(background_scores, threshold)))


def _background(scores: np.ndarray) -> np.ndarray:
    scores = np.asarray(scores, dtype=np.float64)
    if scores.ndim != 1 or len(scores) == 0 or not np.isfinite(scores).all():
        raise ValueError("background_scores: expected a non-empty 1-D array of finite scores")
    return scores


class FprThreshold:
    """Smallest threshold with at most `target_fpr` of background validation scores above it."""

    name = "fpr"

    def __init__(self, target_fpr: float = 0.05) -> None:
        if not 0 < target_fpr < 1:
            raise ValueError(f"threshold.target_fpr: expected a value in (0, 1), got {target_fpr}")
        self.target_fpr: float | None = float(target_fpr)
        self.threshold: float | None = None

    def fit(self, background_scores: np.ndarray, scores=None, labels=None) -> float:
        bg = np.sort(_background(background_scores))
        # the k-th smallest score leaves n - k above it at most (fewer when tied), so k = ceil(n (1 - fpr))
        k = int(np.ceil(len(bg) * (1 - self.target_fpr) - 1e-9))
        self.threshold = float(bg[max(k, 1) - 1])
        return self.threshold


class PercentileThreshold:
    """The q-th percentile of background validation scores, the seeds' habit (q = 95 aims at 5 % FPR)."""

    name = "percentile"

    def __init__(self, q: float = 95.0) -> None:
        if not 0 < q < 100:
            raise ValueError(f"threshold.q: expected a percentile in (0, 100), got {q}")
        self.q = float(q)
        self.target_fpr: float | None = 1 - self.q / 100
        self.threshold: float | None = None

    def fit(self, background_scores: np.ndarray, scores=None, labels=None) -> float:
        self.threshold = float(np.percentile(_background(background_scores), self.q))
        return self.threshold


class FixedThreshold:
    """A threshold given by hand, e.g. carried over from an earlier study."""

    name = "fixed"
    target_fpr: float | None = None

    def __init__(self, value: float) -> None:
        self.threshold: float | None = float(value)

    def fit(self, background_scores: np.ndarray, scores=None, labels=None) -> float:
        return float(self.threshold)


class EfficiencyThreshold:
    """Largest threshold keeping at least `target_tpr` of labelled validation signal above it."""

    name = "efficiency"
    target_fpr: float | None = None

    def __init__(self, target_tpr: float = 0.9) -> None:
        if not 0 < target_tpr <= 1:
            raise ValueError(f"threshold.target_tpr: expected a value in (0, 1], got {target_tpr}")
        self.target_tpr = float(target_tpr)
        self.threshold: float | None = None

    def fit(
        self, background_scores: np.ndarray, scores: np.ndarray | None = None, labels: np.ndarray | None = None
    ) -> float:
        if scores is None or labels is None:
            raise ValueError("threshold=efficiency needs labelled validation scores (signal and background)")
        signal = np.sort(np.asarray(scores, dtype=np.float64)[np.asarray(labels) == 1])
        if len(signal) == 0:
            raise ValueError("threshold=efficiency: the labelled validation data hold no signal")
        # keep m = ceil(tpr n) signal scores strictly above: just below the m-th largest
        m = int(np.ceil(self.target_tpr * len(signal) - 1e-9))
        self.threshold = float(np.nextafter(signal[len(signal) - m], -np.inf))
        return self.threshold
