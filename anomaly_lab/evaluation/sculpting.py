"""How much a cut on the anomaly score sculpts the background's distribution of a variable (mjj for a bump hunt):
the Jensen-Shannon distance between the test background before and after the cut, in fixed bins.

Bins are equal-count quantiles of the whole test background, so the "before" histogram is flat and no bin is
empty: the distance then weighs every part of the spectrum by its events rather than by the width of a mass
window, and needs no unit or range per variable. With 20 bins a few hundred passing events already fill each.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
from scipy.spatial.distance import jensenshannon

from anomaly_lab.evaluation.metrics import MIN_BACKGROUND_PASSING
from anomaly_lab.evaluation.thresholds import flag

log = logging.getLogger(__name__)

N_BINS = 20
# signal efficiencies of the extra cuts summarised beside the policy threshold's
SIGNAL_EFFICIENCIES = (0.1, 0.3, 0.5)
# random selections of the same size that estimate the distance statistics alone give (its floor)
N_RANDOM_CUTS = 200


@dataclass(frozen=True)
class SculptedVariable:
    """A per-test-sample variable whose background shape a cut should leave alone (e.g. mjj)."""

    name: str
    values: np.ndarray


def sculpted_variable(name: str | None, test_extras: Mapping[str, np.ndarray]) -> SculptedVariable | None:
    """`evaluation.sculpting_variable` as the test split carries it; None when off or the test split lacks it."""
    if not name:
        return None
    values = test_extras.get(name)
    if values is None or np.ndim(values) != 1 or values.dtype.names is not None:
        log.warning("evaluation.sculpting_variable=%s: the test split has no such per-sample extra; skipped", name)
        return None
    return SculptedVariable(name, np.asarray(values, float))


def equal_count_edges(values: np.ndarray, n_bins: int = N_BINS) -> np.ndarray:
    """Bin edges holding equal numbers of `values` (fewer bins where ties make quantiles coincide)."""
    return np.unique(np.quantile(np.asarray(values, float), np.linspace(0, 1, n_bins + 1)))


def js_distance(before: np.ndarray, after: np.ndarray, edges: np.ndarray) -> float:
    """Jensen-Shannon distance (base 2, so in [0, 1]) between the normalised histograms of two samples."""
    p, _ = np.histogram(before, edges)
    q, _ = np.histogram(after, edges)
    return float(jensenshannon(p, q, base=2))


def random_cut_distance(background: np.ndarray, n_passing: int, edges: np.ndarray, seed: int = 0) -> float:
    """Mean distance of random selections of `n_passing` background events: what a cut blind to the variable
    gives by statistics alone (about 0.27 for 55 events in 20 bins, 0.10 for 350), the floor to compare with."""
    rng = np.random.default_rng(seed)
    draws = [js_distance(background, rng.choice(background, n_passing, replace=False), edges)
             for _ in range(N_RANDOM_CUTS)]  # fmt: skip
    return float(np.mean(draws))


def sculpting(values: np.ndarray, labels: np.ndarray, passing: np.ndarray, n_bins: int = N_BINS) -> dict[str, Any]:
    """Background shape of `values` before and after the cut `passing`: the distance and its random-cut floor
    (None below MIN_BACKGROUND_PASSING passing background events), the events passing and the bins used."""
    background = np.asarray(values, float)[np.asarray(labels) == 0]
    kept = background[np.asarray(passing, bool)[np.asarray(labels) == 0]]
    edges = equal_count_edges(background, n_bins)
    enough = len(kept) >= MIN_BACKGROUND_PASSING and len(edges) > 1
    return {
        "js_distance": js_distance(background, kept, edges) if enough else None,
        "js_random_cut": random_cut_distance(background, len(kept), edges) if enough else None,
        "n_background_passing": int(len(kept)),
        "n_background": int(len(background)),
        "bins": int(len(edges) - 1),
    }


def sculpting_record(
    variable: SculptedVariable,
    scores: np.ndarray,
    labels: np.ndarray,
    threshold: float,
    signal_efficiencies: Sequence[float] = SIGNAL_EFFICIENCIES,
) -> dict[str, Any]:
    """metrics.json's `sculpting`: at the policy threshold, and at cuts keeping given fractions of the test signal."""
    scores, labels = np.asarray(scores), np.asarray(labels)
    out = {"variable": variable.name, "threshold": float(threshold)}
    out |= sculpting(variable.values, labels, flag(scores, threshold))
    signal = scores[labels == 1]
    rows = []
    for eff in signal_efficiencies if len(signal) else ():
        cut = float(np.quantile(signal, 1 - eff))
        row = {"signal_efficiency": float(eff), "threshold": cut, "tpr": float((signal > cut).mean())}
        rows.append(row | sculpting(variable.values, labels, scores > cut))
    out["at_signal_efficiency"] = rows
    return out
