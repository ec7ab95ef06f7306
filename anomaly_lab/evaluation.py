"""Fits the threshold policy on validation scores and measures the test set: AUROC, ROC, operating point."""

from __future__ import annotations

import copy
from typing import Any

import numpy as np

from anomaly_lab import metrics
from anomaly_lab.thresholds import ThresholdPolicy, flag, fpr_at_threshold

DEFAULT_ROC_FPR = 0.05
# background rejection 1/FPR is quoted at this signal efficiency, as in the top-tagging comparisons
REJECTION_SIGNAL_EFFICIENCY = 0.3


def fit_threshold(policy: ThresholdPolicy, scores: dict[str, np.ndarray]) -> float:
    """Threshold from background validation scores (and labelled validation signal, if the policy needs it)."""
    val = np.concatenate([scores["val"], scores["val_signal"]])
    labels = np.concatenate([np.zeros(len(scores["val"]), int), np.ones(len(scores["val_signal"]), int)])
    return policy.fit(scores["val"], val, labels)


def evaluate(policy: ThresholdPolicy, scores: dict[str, np.ndarray], labels: np.ndarray) -> dict[str, Any]:
    """Metrics of one scorer: threshold from validation, then AUROC and rates on the labelled test mix."""
    threshold = fit_threshold(policy, scores)
    test = scores["test"]
    flagged = flag(test, threshold)
    roc_fpr = policy.target_fpr if policy.target_fpr is not None else DEFAULT_ROC_FPR
    return {
        "policy": policy.name,
        "threshold": float(threshold),
        "target_fpr": policy.target_fpr,
        "auroc": metrics.auroc(test, labels),
        "tpr_at_fpr": float(flagged[labels == 1].mean()),
        "fpr_at_threshold": fpr_at_threshold(test[labels == 0], threshold),
        # the test ROC's own best TPR at that FPR: what a threshold tuned on the test set would reach
        "roc_tpr_at_target_fpr": metrics.tpr_at_fpr(test, labels, roc_fpr),
        "background_rejection": metrics.rejection_at_tpr(test, labels, REJECTION_SIGNAL_EFFICIENCY),
        "rejection_signal_efficiency": REJECTION_SIGNAL_EFFICIENCY,
        "max_sic": metrics.max_sic(test, labels),
        "average_precision": metrics.average_precision(test, labels),
        "n_test_background": int((labels == 0).sum()),
        "n_test_signal": int((labels == 1).sum()),
    }


def evaluate_reference(policy: ThresholdPolicy, scores: dict[str, np.ndarray], labels: np.ndarray) -> dict[str, Any]:
    """The same evaluation for a reference scorer, with its own copy of the policy."""
    return evaluate(copy.deepcopy(policy), scores, labels)
