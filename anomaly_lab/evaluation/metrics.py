"""Metrics on anomaly scores via torchmetrics: AUROC, ROC, TPR at a target FPR; the seed's flagged table."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import torch
from scipy.stats import beta
from torchmetrics.functional.classification import (
    binary_auroc,
    binary_average_precision,
    binary_precision_recall_curve,
    binary_roc,
)

# SIC is only quoted where at least this many background samples pass the cut: beyond, 1/sqrt(FPR) is noise
SIC_MIN_BACKGROUND = 10


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
        best = float(self.fpr[self.tpr >= target_tpr - 1e-12].min())
        return float("inf") if best == 0 else 1.0 / best

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
        low = float(beta.ppf(0.16, k, n - k + 1)) if k > 0 else 0.0
        high = float(beta.ppf(0.84, k + 1, n - k)) if k < n else 1.0
        eff = k / n if n else float("nan")
        rows.append({"lo": float(lo), "hi": float(hi), "n": n, "n_flagged": k, "efficiency": eff,
                     "low": low if n else float("nan"), "high": high if n else float("nan")})  # fmt: skip
    return rows
