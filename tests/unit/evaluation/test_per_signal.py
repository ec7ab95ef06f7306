"""Per-signal metrics: each signal against the whole background, FPRs quoted only with enough background behind."""

from __future__ import annotations

import numpy as np
import pytest
from sklearn.metrics import roc_auc_score

from anomaly_lab.evaluation.per_signal import Processes, binomial_interval, operating_point, signal_results


def _descending(scores: np.ndarray) -> np.ndarray:
    return np.sort(scores)[::-1]


def test_binomial_interval_has_the_exact_clopper_pearson_edges() -> None:
    # k = 0 and k = n have closed forms: the upper edge solves (1 - p)^n = 0.025, the lower p^n = 0.025
    assert binomial_interval(0, 10) == (0.0, pytest.approx(1 - 0.025 ** (1 / 10)))
    assert binomial_interval(10, 10) == (pytest.approx(0.025 ** (1 / 10)), 1.0)
    low, high = binomial_interval(50, 100)
    assert low == pytest.approx(1 - high) and 0.39 < low < 0.40


def test_operating_point_passes_exactly_the_allowed_background() -> None:
    background = np.random.default_rng(0).permutation(20_000).astype(float)
    signal = np.arange(19_900, 20_100, dtype=float)  # 100 of 200 above the top 20 background scores
    p = operating_point(_descending(background), signal, 1e-3)
    assert p["n_background_above"] == 20 and p["threshold"] == 19_979
    assert p["n_signal_above"] == 120 and p["tpr"] == 0.6
    assert p["tpr_low"] < 0.6 < p["tpr_high"]


def test_fpr_resting_on_fewer_than_ten_background_events_is_not_quoted() -> None:
    background = np.arange(99_999.0)
    assert operating_point(_descending(background), np.ones(5), 1e-4) is None  # 9.9 events
    assert operating_point(_descending(np.arange(100_000.0)), np.ones(5), 1e-4) is not None


def test_each_signal_is_measured_against_the_whole_background_alone() -> None:
    rng = np.random.default_rng(1)
    scores = np.concatenate([rng.normal(0, 1, 12_000), rng.normal(2, 1, 300), rng.normal(0.5, 1, 500)])
    codes = np.repeat([0, 1, 2], [12_000, 300, 500])
    out, _ = signal_results(scores, Processes(codes, ["near", "far"][::-1]), threshold=1.0)
    for code, name in ((1, "far"), (2, "near")):
        sel = (codes == 0) | (codes == code)
        assert out[name]["auroc"] == pytest.approx(roc_auc_score(codes[sel] == code, scores[sel]))
        assert out[name]["tpr_at_threshold"] == pytest.approx(np.mean(scores[codes == code] > 1.0))
        assert out[name]["n_background"] == 12_000
        assert [p["fpr"] for p in out[name]["operating_points"]] == [1e-3]  # 1e-4 would rest on 1.2 events
    assert out["far"]["auroc"] > 0.9 > out["near"]["auroc"]


def test_tied_background_scores_count_as_they_pass_not_as_allowed() -> None:
    # 10 000 background events, the top 30 tied: a cut at FPR 1e-3 (10 allowed) sits on the tie and passes none
    background = np.r_[np.arange(9_970.0), np.full(30, 1e6)]
    assert operating_point(_descending(background), np.ones(5), 1e-3) is None
    # 20 000 events, 12 distinct on top, then 10 tied: 20 allowed, the cut sits on the tie and passes the 12
    background = np.r_[np.arange(19_978.0), np.full(10, 1e6), 2e6 + np.arange(12.0)]
    p = operating_point(_descending(background), np.array([3e6, 1e6, 0.0, 5e6]), 1e-3)
    assert (p["n_background_above"], p["test_fpr"], p["fpr"], p["tpr"]) == (12, 6e-4, 1e-3, 0.5)
