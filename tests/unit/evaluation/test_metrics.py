"""Our torchmetrics-based metrics agree with scikit-learn on random scores, ties included."""

from __future__ import annotations

import numpy as np
import pytest
from scipy.stats import binomtest
from sklearn.metrics import average_precision_score, roc_auc_score
from sklearn.metrics import precision_recall_curve as sk_precision_recall_curve
from sklearn.metrics import roc_curve as sk_roc_curve

from anomaly_lab.evaluation import metrics


def _random(n: int, seed: int, decimals: int | None) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    labels = rng.integers(0, 2, n)
    scores = rng.normal(size=n) + 0.8 * labels
    return (np.round(scores, decimals) if decimals is not None else scores), labels


@pytest.mark.parametrize("n", [20, 333, 5000])
@pytest.mark.parametrize("decimals", [None, 1, 0])
def test_auroc_and_roc_match_sklearn(n: int, decimals: int | None) -> None:
    scores, labels = _random(n, n, decimals)
    # torchmetrics accumulates in float32
    assert metrics.auroc(scores, labels) == pytest.approx(roc_auc_score(labels, scores), abs=1e-6)
    fpr, tpr, _ = metrics.roc_curve(scores, labels)
    sk_fpr, sk_tpr, _ = sk_roc_curve(labels, scores, drop_intermediate=False)
    # one vertex per distinct score, the same vertices (torchmetrics works in float32)
    np.testing.assert_allclose(fpr, sk_fpr, atol=1e-6)
    np.testing.assert_allclose(tpr, sk_tpr, atol=1e-6)


@pytest.mark.parametrize("decimals", [None, 1])
@pytest.mark.parametrize("target", [0.01, 0.05, 0.3])
def test_tpr_at_fpr_matches_sklearn_roc(decimals: int | None, target: float) -> None:
    scores, labels = _random(4000, 7, decimals)
    sk_fpr, sk_tpr, _ = sk_roc_curve(labels, scores)
    assert metrics.tpr_at_fpr(scores, labels, target) == pytest.approx(sk_tpr[sk_fpr <= target].max())


def test_rejection_at_tpr_is_inverse_fpr() -> None:
    scores, labels = _random(3000, 3, None)
    sk_fpr, sk_tpr, _ = sk_roc_curve(labels, scores)
    assert metrics.rejection_at_tpr(scores, labels, 0.3) == pytest.approx(1 / sk_fpr[sk_tpr >= 0.3].min())


@pytest.mark.parametrize("decimals", [None, 1])
def test_precision_recall_matches_sklearn(decimals: int | None) -> None:
    scores, labels = _random(2000, 5, decimals)
    assert metrics.average_precision(scores, labels) == pytest.approx(average_precision_score(labels, scores), abs=1e-5)
    precision, recall = metrics.precision_recall_curve(scores, labels)
    sk_precision, sk_recall, _ = sk_precision_recall_curve(labels, scores)
    np.testing.assert_allclose(np.sort(recall), np.sort(sk_recall), atol=1e-6)
    np.testing.assert_allclose(np.sort(precision), np.sort(sk_precision), atol=1e-6)


def test_max_sic_is_tpr_over_root_fpr_with_enough_background() -> None:
    scores, labels = _random(4000, 9, None)
    sk_fpr, sk_tpr, _ = sk_roc_curve(labels, scores, drop_intermediate=False)
    n_background = (labels == 0).sum()
    ok = sk_fpr * n_background >= metrics.SIC_MIN_BACKGROUND
    assert metrics.max_sic(scores, labels) == pytest.approx((sk_tpr[ok] / np.sqrt(sk_fpr[ok])).max(), rel=1e-5)
    # a perfect separator has no cut with background left at high purity: SIC is bounded by 1/sqrt(10/n)
    perfect = np.r_[np.zeros(1000), np.ones(100)]
    assert metrics.max_sic(perfect + np.r_[np.linspace(0, 0.5, 1000), np.zeros(100)], perfect.astype(int)) == (
        pytest.approx(1 / np.sqrt(10 / 1000))
    )


def test_seed_table_counts_percent_of_each_column() -> None:
    flagged = np.array([1, 1, 1, 0, 0, 1, 0, 0, 0, 0], bool)
    labels = np.array([1, 1, 1, 1, 0, 0, 0, 0, 0, 0])
    c = metrics.confusion_percent(flagged, labels)
    assert c["signal"] == {"flagged": 75.0, "regular": 25.0}
    assert c["background"]["flagged"] == pytest.approx(100 / 6)
    table = metrics.confusion_table_markdown(flagged, labels, "injected GW", "noise")
    assert "| flagged anomalous | 75.0 % | 16.7 % |" in table
    assert "| regular | 25.0 % | 83.3 % |" in table


def test_efficiency_by_bin_counts_and_brackets_the_estimate() -> None:
    values = np.array([5.0, 6.0, 7.5, 9.0, 9.5, 12.0])
    flagged = np.array([0, 1, 1, 1, 1, 0], bool)
    rows = metrics.efficiency_by_bin(values, flagged, np.array([5.0, 8.0, 10.0, 20.0]))
    assert [(r["n"], r["n_flagged"]) for r in rows] == [(3, 2), (2, 2), (1, 0)]
    assert [r["efficiency"] for r in rows] == [2 / 3, 1.0, 0.0]
    for r in rows:  # the 68 % Clopper-Pearson interval, as scipy's exact binomial test gives it
        ci = binomtest(r["n_flagged"], r["n"]).proportion_ci(confidence_level=0.68, method="exact")
        assert (r["low"], r["high"]) == (pytest.approx(ci.low), pytest.approx(ci.high))
    assert rows[1]["high"] == 1.0 and rows[2]["low"] == 0.0


@pytest.mark.parametrize(
    ("scores", "labels", "message"),
    [
        ([0.1, 0.2], [0, 1, 1], "one length"),
        ([0.1, 0.2], [0, 2], "only 0"),
        ([0.1, 0.2], [1, 1], "both background"),
    ],
)
def test_bad_inputs_are_named(scores: list, labels: list, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        metrics.auroc(np.array(scores), np.array(labels))
