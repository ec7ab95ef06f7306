"""Evaluation computed once: the threshold from validation, then the test ROC, operating points, per-bin
efficiencies and the same for every reference scorer, in one result object that `results` only writes and draws.
"""

from __future__ import annotations

import copy
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from anomaly_lab.evaluation import metrics
from anomaly_lab.evaluation.per_signal import Processes, signal_results
from anomaly_lab.evaluation.sculpting import SculptedVariable, sculpting_record
from anomaly_lab.evaluation.thresholds import ThresholdPolicy, flag, fpr_at_threshold

DEFAULT_ROC_FPR = 0.05
# background rejection 1/FPR is quoted at this signal efficiency, as in the top-tagging comparisons
REJECTION_SIGNAL_EFFICIENCY = 0.3


@dataclass(frozen=True)
class Binning:
    """Efficiency is measured in bins of a per-test-sample variable (e.g. the injected SNR)."""

    variable: str
    values: np.ndarray
    edges: list[float]


@dataclass
class ScorerResult:
    """One scorer on the labelled test mix: scores per split, its threshold, curves and operating points."""

    scores: dict[str, np.ndarray]
    labels: np.ndarray
    threshold: float
    metrics: dict[str, Any]
    roc: metrics.RocCurve
    precision_recall: tuple[np.ndarray, np.ndarray]
    # per binning variable, per group ("all" and each signal process): the efficiency rows
    efficiency_by: dict[str, dict[str, list[dict[str, float]]]] | None = None
    per_signal: dict[str, dict[str, Any]] | None = None  # by signal name, when the test mix holds several
    signal_rocs: dict[str, metrics.RocCurve] | None = None

    @property
    def efficiency(self) -> list[dict[str, float]] | None:
        """Efficiency rows of all signals against the first binning's variable (the headline table's)."""
        return next(iter(self.efficiency_by.values()))["all"] if self.efficiency_by else None

    @property
    def flagged(self) -> np.ndarray:
        """Test samples above the threshold."""
        return flag(self.scores["test"], self.threshold)


@dataclass
class Evaluation:
    """The model's result and each reference's, on the same test samples."""

    model: ScorerResult
    references: dict[str, ScorerResult] = field(default_factory=dict)
    binnings: list[Binning] = field(default_factory=list)
    processes: Processes | None = None

    @property
    def binning(self) -> Binning | None:
        """The first binning: the one of the headline efficiency table and figure."""
        return self.binnings[0] if self.binnings else None

    @property
    def labels(self) -> np.ndarray:
        return self.model.labels

    def scorers(self, model_name: str) -> dict[str, ScorerResult]:
        """The model under `model_name`, then the references."""
        return {model_name: self.model, **self.references}


def fit_threshold(policy: ThresholdPolicy, scores: dict[str, np.ndarray]) -> float:
    """Threshold from background validation scores (and labelled validation signal, if the policy needs it)."""
    val = np.concatenate([scores["val"], scores["val_signal"]])
    labels = np.concatenate([np.zeros(len(scores["val"]), int), np.ones(len(scores["val_signal"]), int)])
    return policy.fit(scores["val"], val, labels)


def val_auroc(scores: dict[str, np.ndarray]) -> float:
    """AUROC of validation background against validation signal (nan without both): what a hyperparameter search
    optimises, since the test set stays unseen until the search is over."""
    bg, sig = scores["val"], scores["val_signal"]
    if not (len(bg) and len(sig)):
        return float("nan")
    return metrics.auroc(np.concatenate([bg, sig]), np.repeat([0, 1], [len(bg), len(sig)]))


def as_binnings(binning: Binning | Sequence[Binning] | None) -> list[Binning]:
    """One binning, several, or none, as a list."""
    if binning is None:
        return []
    return [binning] if isinstance(binning, Binning) else list(binning)


def efficiency_groups(
    binning: Binning, flagged: np.ndarray, labels: np.ndarray, processes: Processes | None
) -> dict[str, list[dict[str, float]]]:
    """Efficiency rows (non-empty bins) of all signal samples, and of each signal process on its own."""
    edges = np.asarray(binning.edges, float)
    groups = {"all": labels == 1}
    if processes is not None:
        codes = np.asarray(processes.codes)
        groups |= {name: codes == i for i, name in enumerate(processes.names, start=1)}
    out = {}
    for name, keep in groups.items():
        rows = metrics.efficiency_by_bin(binning.values[keep], flagged[keep], edges)
        out[name] = [r for r in rows if r["n"] > 0]
    return out


def evaluate_scorer(
    policy: ThresholdPolicy,
    scores: dict[str, np.ndarray],
    labels: np.ndarray,
    binning: Binning | Sequence[Binning] | None = None,
    processes: Processes | None = None,
    sculpted: SculptedVariable | None = None,
) -> ScorerResult:
    """Threshold from validation, then every test metric from one ROC of the test scores (and the background shape
    of `sculpted` before and after the cut)."""
    threshold = fit_threshold(policy, scores)
    test = scores["test"]
    flagged = flag(test, threshold)
    roc = metrics.RocCurve.of(test, labels)
    roc_fpr = policy.target_fpr if policy.target_fpr is not None else DEFAULT_ROC_FPR
    values = {
        "policy": policy.name,
        "threshold": float(threshold),
        "target_fpr": policy.target_fpr,
        "auroc": metrics.auroc(test, labels),
        "val_auroc": val_auroc(scores),
        "tpr_at_fpr": float(flagged[labels == 1].mean()),
        "fpr_at_threshold": fpr_at_threshold(test[labels == 0], threshold),
        # the test ROC's own best TPR at that FPR: what a threshold tuned on the test set would reach
        "roc_tpr_at_target_fpr": roc.tpr_at_fpr(roc_fpr),
        "background_rejection": roc.rejection_at_tpr(REJECTION_SIGNAL_EFFICIENCY),
        "rejection_signal_efficiency": REJECTION_SIGNAL_EFFICIENCY,
        "max_sic": roc.max_sic(),
        "average_precision": metrics.average_precision(test, labels),
        "n_test_background": int((labels == 0).sum()),
        "n_test_signal": int((labels == 1).sum()),
    }
    # the event counts and 68 % intervals behind the rejection and the efficiencies above
    values |= metrics.uncertainties(roc, flagged, labels, REJECTION_SIGNAL_EFFICIENCY, roc_fpr)
    if sculpted is not None:
        values["sculpting"] = sculpting_record(sculpted, test, labels, float(threshold))
    pr = metrics.precision_recall_curve(test, labels)
    result = ScorerResult(scores, labels, float(threshold), values, roc, pr)
    binnings = as_binnings(binning)
    if binnings:
        result.efficiency_by = {b.variable: efficiency_groups(b, flagged, labels, processes) for b in binnings}
    if processes is not None:
        result.per_signal, result.signal_rocs = signal_results(test, processes, float(threshold))
    return result


def evaluate(
    policy: ThresholdPolicy,
    scores: dict[str, np.ndarray],
    labels: np.ndarray,
    references: dict[str, dict[str, np.ndarray]] | None = None,
    binning: Binning | Sequence[Binning] | None = None,
    processes: Processes | None = None,
    sculpted: SculptedVariable | None = None,
) -> Evaluation:
    """The model's scores and each reference's, each thresholded by its own copy of the policy; per signal
    process too when `processes` names several in the test mix; efficiencies in the bins of each binning."""
    refs = {
        name: evaluate_scorer(copy.deepcopy(policy), ref, labels, binning, processes, sculpted)
        for name, ref in (references or {}).items()
    }
    model = evaluate_scorer(policy, scores, labels, binning, processes, sculpted)
    return Evaluation(model, refs, as_binnings(binning), processes)
