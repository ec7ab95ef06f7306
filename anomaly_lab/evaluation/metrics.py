"""Metrics on anomaly scores via torchmetrics: AUROC, ROC, TPR at a target FPR, background rejection, each quoted
figure with its 68 % Clopper-Pearson interval and the event count behind it; the seed's flagged table."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import torch
from scipy.stats import beta
from torchmetrics.functional.classification import (
    binary_auroc,
    binary_average_precision,
    binary_precision_recall_curve,
    binary_roc,
)

# a figure that divides by the FPR (SIC, 1/FPR) is only quoted where at least this many background samples pass
# the cut: with fewer, 1/FPR is noise (6 events: +-40 %)
MIN_BACKGROUND_PASSING = 10
SIC_MIN_BACKGROUND = MIN_BACKGROUND_PASSING
# the intervals on quoted fractions: central 68 % Clopper-Pearson (one sigma)
CONFIDENCE = 0.68


def _tensors(scores: np.ndarray, labels: np.ndarray) -> tuple[torch.Tensor, torch.Tensor]:
    scores, labels = np.asarray(scores, dtype=np.float64), np.asarray(labels)
    if scores.shape != labels.shape or scores.ndim != 1:
        raise ValueError(f"scores and labels: expected 1-D arrays of one length, got {scores.shape}, {labels.shape}")
    if not np.isin(labels, (0, 1)).all():
        raise ValueError("labels: expected only 0 (background) and 1 (signal)")
    if labels.min() == labels.max():
        raise ValueError("labels: expected both background (0) and signal (1) samples")
    return torch.from_numpy(scores), torch.from_numpy(labels.astype(np.int64))


def auroc(scores: np.ndarray, labels: np.ndarray) -> float:
    """Area under the ROC curve (exact, ties counted half)."""
    return float(binary_auroc(*_tensors(scores, labels), thresholds=None))


def roc_curve(scores: np.ndarray, labels: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(fpr, tpr, thresholds) at every distinct score."""
    fpr, tpr, thr = binary_roc(*_tensors(scores, labels), thresholds=None)
    return fpr.numpy(), tpr.numpy(), thr.numpy()


def binomial_interval(k: int, n: int, confidence: float = CONFIDENCE) -> tuple[float, float]:
    """Central Clopper-Pearson interval of a fraction k / n at the given confidence (exact, never outside [0, 1];
    nan when n = 0)."""
    if n <= 0:
        return float("nan"), float("nan")
    tail = (1 - confidence) / 2
    low = float(beta.ppf(tail, k, n - k + 1)) if k > 0 else 0.0
    high = float(beta.ppf(1 - tail, k + 1, n - k)) if k < n else 1.0
    return low, high


@dataclass(frozen=True)
class Rejection:
    """Background rejection 1/FPR at a cut, the background samples passing it (ties with the cut included, as in
    the FPR) and the 68 % interval on 1/FPR from the Clopper-Pearson interval on the FPR (inf where FPR can be 0)."""

    value: float
    n_background_passing: int
    low: float
    high: float

    @property
    def quoted(self) -> bool:
        """Whether enough background passes the cut for the number to mean anything."""
        return self.n_background_passing >= MIN_BACKGROUND_PASSING


def _inverse(fpr: float) -> float:
    return float("inf") if fpr == 0 else 1.0 / fpr


@dataclass(frozen=True)
class RocCurve:
    """The test ROC, computed once; every operating point and the SIC are read off it."""

    fpr: np.ndarray
    tpr: np.ndarray
    thresholds: np.ndarray
    n_background: int

    @classmethod
    def of(cls, scores: np.ndarray, labels: np.ndarray) -> RocCurve:
        return cls(*roc_curve(scores, labels), int((np.asarray(labels) == 0).sum()))

    def tpr_at_fpr(self, target_fpr: float) -> float:
        """Best TPR among points with FPR <= target: the curve's own operating point."""
        return float(self.tpr[self.fpr <= target_fpr + 1e-12].max())

    def rejection_at_tpr(self, target_tpr: float) -> float:
        """Background rejection 1/FPR at the smallest FPR reaching TPR >= target (inf when FPR is 0)."""
        return self.rejection(target_tpr).value

    def rejection(self, target_tpr: float) -> Rejection:
        """1/FPR at the smallest FPR reaching TPR >= target, with the background count and interval behind it."""
        best = float(self.fpr[self.tpr >= target_tpr - 1e-12].min())
        passing = int(np.rint(best * self.n_background))  # the ROC's FPR is a float32 fraction of whole events
        low, high = binomial_interval(passing, self.n_background)
        return Rejection(_inverse(best), passing, _inverse(high), _inverse(low))

    def sic(self) -> tuple[np.ndarray, np.ndarray]:
        """(tpr, TPR/sqrt(FPR)) on points where at least SIC_MIN_BACKGROUND background samples pass the cut."""
        keep = self.fpr * self.n_background >= SIC_MIN_BACKGROUND
        return self.tpr[keep], self.tpr[keep] / np.sqrt(self.fpr[keep])

    def max_sic(self) -> float:
        """Largest significance improvement over cuts passing enough background (nan when there is none)."""
        _, sic = self.sic()
        return float(sic.max()) if sic.size else float("nan")


def tpr_at_fpr(scores: np.ndarray, labels: np.ndarray, target_fpr: float) -> float:
    """Best TPR on the ROC among points with FPR <= target: the curve's own operating point."""
    return RocCurve.of(scores, labels).tpr_at_fpr(target_fpr)


def rejection_at_tpr(scores: np.ndarray, labels: np.ndarray, target_tpr: float) -> float:
    """Background rejection 1/FPR at the smallest FPR reaching TPR >= target (inf when FPR is 0)."""
    return RocCurve.of(scores, labels).rejection_at_tpr(target_tpr)


def precision_recall_curve(scores: np.ndarray, labels: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(precision, recall) at every distinct score; precision depends on the test mix's signal fraction."""
    precision, recall, _ = binary_precision_recall_curve(*_tensors(scores, labels), thresholds=None)
    return precision.numpy(), recall.numpy()


def average_precision(scores: np.ndarray, labels: np.ndarray) -> float:
    """Area under the precision-recall curve (step-wise, as scikit-learn's average precision)."""
    return float(binary_average_precision(*_tensors(scores, labels), thresholds=None))


def sic_curve(scores: np.ndarray, labels: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(tpr, TPR/sqrt(FPR)): the significance improvement of a cut, on points where at least
    SIC_MIN_BACKGROUND background samples pass it."""
    return RocCurve.of(scores, labels).sic()


def max_sic(scores: np.ndarray, labels: np.ndarray) -> float:
    """Largest significance improvement TPR/sqrt(FPR) over cuts passing enough background (see sic_curve)."""
    return RocCurve.of(scores, labels).max_sic()


def confusion_percent(flagged: np.ndarray, labels: np.ndarray) -> dict[str, dict[str, float]]:
    """Percent of each class flagged anomalous and kept regular (the seed paper's table, by column)."""
    flagged, labels = np.asarray(flagged, bool), np.asarray(labels)
    out = {}
    for name, value in (("signal", 1), ("background", 0)):
        sel = flagged[labels == value]
        pct = 100.0 * sel.mean() if len(sel) else float("nan")
        out[name] = {"flagged": pct, "regular": 100.0 - pct}
    return out


def confusion_table_markdown(
    flagged: np.ndarray, labels: np.ndarray, signal_name: str = "injected GW", background_name: str = "noise"
) -> str:
    """Markdown table: rows 'flagged anomalous' / 'regular', columns signal / background, in percent."""
    c = confusion_percent(flagged, labels)
    rows = [f"| | {signal_name} | {background_name} |", "|---|---:|---:|"]
    for row, key in (("flagged anomalous", "flagged"), ("regular", "regular")):
        rows.append(f"| {row} | {c['signal'][key]:.1f} % | {c['background'][key]:.1f} % |")
    return "\n".join(rows)


def efficiency_by_bin(values: np.ndarray, flagged: np.ndarray, edges: np.ndarray) -> list[dict[str, float]]:
    """Flagged fraction of samples in each [lo, hi) bin of `values`, with a 68 % Clopper-Pearson interval."""
    values, flagged = np.asarray(values, float), np.asarray(flagged, bool)
    rows = []
    for lo, hi in zip(edges[:-1], edges[1:], strict=True):
        sel = flagged[(values >= lo) & (values < hi)]
        n, k = len(sel), int(sel.sum())
        low, high = binomial_interval(k, n)
        eff = k / n if n else float("nan")
        rows.append({"lo": float(lo), "hi": float(hi), "n": n, "n_flagged": k, "efficiency": eff,
                     "low": low, "high": high})  # fmt: skip
    return rows


def uncertainties(
    roc: RocCurve, flagged: np.ndarray, labels: np.ndarray, target_tpr: float, roc_fpr: float
) -> dict[str, Any]:
    """metrics.json's counts and 68 % Clopper-Pearson intervals behind the quoted figures: the rejection at
    `target_tpr` (withheld by the tables under MIN_BACKGROUND_PASSING background samples passing), the TPR and FPR
    at the validation threshold (`flagged`, strictly above it) and the test ROC's own TPR at `roc_fpr`."""
    flagged, labels = np.asarray(flagged, bool), np.asarray(labels)
    n_signal, n_background = int((labels == 1).sum()), int((labels == 0).sum())
    signal_passing, background_passing = int(flagged[labels == 1].sum()), int(flagged[labels == 0].sum())
    rejection = roc.rejection(target_tpr)
    roc_signal_passing = int(np.rint(roc.tpr_at_fpr(roc_fpr) * n_signal))
    return {
        "background_rejection_interval": [rejection.low, rejection.high],
        "background_rejection_n_background_passing": rejection.n_background_passing,
        "tpr_at_fpr_interval": list(binomial_interval(signal_passing, n_signal)),
        "tpr_at_fpr_n_signal_passing": signal_passing,
        "fpr_at_threshold_interval": list(binomial_interval(background_passing, n_background)),
        "fpr_at_threshold_n_background_passing": background_passing,
        "roc_tpr_at_target_fpr_interval": list(binomial_interval(roc_signal_passing, n_signal)),
        "interval_confidence": CONFIDENCE,
    }
