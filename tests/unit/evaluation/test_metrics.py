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


def _cut_passing(n_passing: int, n_background: int = 10_000) -> tuple[np.ndarray, np.ndarray]:
    """100 signal events, 30 of them at 2.0 above the rest; exactly `n_passing` background events above them."""
    background = np.linspace(0.0, 1.0, n_background)
    background[:n_passing] = 3.0
    signal = np.r_[np.full(30, 2.0), np.linspace(0.0, 0.5, 70)]
    return np.r_[background, signal], np.repeat([0, 1], [n_background, 100])


def _inverse_clopper_pearson(k: int, n: int) -> tuple[float, float]:
    ci = binomtest(k, n).proportion_ci(confidence_level=0.68, method="exact")
    return 1 / ci.high, (1 / ci.low if ci.low > 0 else float("inf"))


def test_rejection_on_six_background_events_is_withheld_with_its_clopper_pearson_interval() -> None:
    rejection = metrics.RocCurve.of(*_cut_passing(6)).rejection(0.3)
    assert rejection.n_background_passing == 6 and not rejection.quoted
    assert rejection.value == pytest.approx(10_000 / 6, rel=1e-6)  # still recorded: sweeps read it
    low, high = _inverse_clopper_pearson(6, 10_000)
    assert (rejection.low, rejection.high) == (pytest.approx(low), pytest.approx(high))
    assert high / low > 2  # the +-40 % the number rests on


def test_rejection_on_twelve_background_events_is_quoted_inside_its_interval() -> None:
    rejection = metrics.RocCurve.of(*_cut_passing(12)).rejection(0.3)
    assert rejection.n_background_passing == 12 and rejection.quoted
    assert rejection.low < rejection.value < rejection.high
    low, high = _inverse_clopper_pearson(12, 10_000)
    assert (rejection.low, rejection.high) == (pytest.approx(low), pytest.approx(high))


def test_background_tied_with_the_cut_counts_as_passing_as_in_the_fpr() -> None:
    scores, labels = _cut_passing(6)
    scores[6:10] = 2.0  # four background events tie with the 30 signal events at the cut
    rejection = metrics.RocCurve.of(scores, labels).rejection(0.3)
    sk_fpr, sk_tpr, _ = sk_roc_curve(labels, scores)
    assert rejection.n_background_passing == 10 == int((scores[labels == 0] >= 2.0).sum())
    assert rejection.value == pytest.approx(1 / sk_fpr[sk_tpr >= 0.3].min(), rel=1e-6) and rejection.quoted


def test_rejection_without_background_passing_is_infinite_with_a_finite_lower_edge() -> None:
    rejection = metrics.RocCurve.of(*_cut_passing(0)).rejection(0.3)
    assert (rejection.value, rejection.n_background_passing, rejection.high) == (float("inf"), 0, float("inf"))
    assert rejection.low == pytest.approx(_inverse_clopper_pearson(0, 10_000)[0])


def test_uncertainties_count_the_events_behind_each_figure() -> None:
    scores, labels = _random(3000, 11, 1)  # rounded scores: ties at the threshold
    threshold = 1.0
    flagged = scores > threshold
    roc = metrics.RocCurve.of(scores, labels)
    u = metrics.uncertainties(roc, flagged, labels, 0.3, 0.05)
    k_sig, n_sig = int(flagged[labels == 1].sum()), int((labels == 1).sum())
    k_bg, n_bg = int(flagged[labels == 0].sum()), int((labels == 0).sum())
    assert (u["tpr_at_fpr_n_signal_passing"], u["fpr_at_threshold_n_background_passing"]) == (k_sig, k_bg)
    for key, (k, n) in {"tpr_at_fpr": (k_sig, n_sig), "fpr_at_threshold": (k_bg, n_bg)}.items():
        ci = binomtest(k, n).proportion_ci(confidence_level=0.68, method="exact")
        assert u[f"{key}_interval"] == [pytest.approx(ci.low), pytest.approx(ci.high)], key
    sk_fpr, sk_tpr, sk_thr = sk_roc_curve(labels, scores)
    cut = sk_thr[np.argmax(sk_tpr >= 0.3)]  # the ROC's first cut reaching 30 % TPR, ties passing
    assert u["background_rejection_n_background_passing"] == int((scores[labels == 0] >= cut).sum())
    k_roc = round(sk_tpr[sk_fpr <= 0.05].max() * n_sig)
    ci = binomtest(k_roc, n_sig).proportion_ci(confidence_level=0.68, method="exact")
    assert u["roc_tpr_at_target_fpr_interval"] == [pytest.approx(ci.low), pytest.approx(ci.high)]
    assert u["interval_confidence"] == 0.68


def test_binomial_interval_is_exact_clopper_pearson_at_68_percent() -> None:
    for k, n in [(0, 5), (3, 5), (5, 5), (6, 10_000)]:
        ci = binomtest(k, n).proportion_ci(confidence_level=0.68, method="exact")
        assert metrics.binomial_interval(k, n) == (pytest.approx(ci.low), pytest.approx(ci.high))
    assert np.isnan(metrics.binomial_interval(0, 0)).all()
