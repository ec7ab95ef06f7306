"""Threshold policies: each reaches what it promises on the data it was fitted on and on fresh data."""

from __future__ import annotations

import numpy as np
import pytest

from anomaly_lab.evaluation.thresholds import (
    EfficiencyThreshold,
    FixedThreshold,
    FprThreshold,
    PercentileThreshold,
    flag,
    fpr_at_threshold,
)


def test_threshold_fpr_holds_on_fresh_background() -> None:
    rng = np.random.default_rng(0)
    policy = FprThreshold(0.05)
    threshold = policy.fit(rng.normal(size=20000))
    # binomial scatter of the fresh estimate: sqrt(0.05 * 0.95 / 20000) = 0.0015
    assert fpr_at_threshold(rng.normal(size=20000), threshold) == pytest.approx(0.05, abs=0.006)


@pytest.mark.parametrize("n", [7, 100, 1001])
def test_threshold_fpr_never_exceeds_target_on_its_data_even_with_ties(n: int) -> None:
    bg = np.round(np.random.default_rng(n).normal(size=n), 1)
    for target in (0.01, 0.05, 0.2, 0.5):
        threshold = FprThreshold(target).fit(bg)
        assert fpr_at_threshold(bg, threshold) <= target
        # and it is the smallest such threshold among the scores: one step lower overshoots the target
        lower = bg[bg < threshold]
        if len(lower):
            assert fpr_at_threshold(bg, lower.max()) > target


def test_percentile_policy_is_numpy_percentile() -> None:
    bg = np.random.default_rng(1).exponential(size=999)
    policy = PercentileThreshold(95)
    assert policy.fit(bg) == np.percentile(bg, 95)
    assert policy.target_fpr == pytest.approx(0.05)


def test_fixed_policy_returns_its_value() -> None:
    policy = FixedThreshold(1.25)
    assert policy.fit(np.zeros(3)) == 1.25 and policy.target_fpr is None


def test_efficiency_policy_reaches_its_target_tpr_on_labelled_data() -> None:
    rng = np.random.default_rng(2)
    scores = np.round(np.concatenate([rng.normal(size=500), rng.normal(2, 1, size=301)]), 1)
    labels = np.concatenate([np.zeros(500, int), np.ones(301, int)])
    for target in (0.5, 0.9, 0.99, 1.0):
        threshold = EfficiencyThreshold(target).fit(scores[labels == 0], scores, labels)
        assert flag(scores[labels == 1], threshold).mean() >= target
        # largest such threshold: the next signal score up no longer keeps the target
        higher = scores[labels == 1][scores[labels == 1] > threshold]
        assert flag(scores[labels == 1], higher.min()).mean() < target


def test_policies_reject_bad_settings_and_missing_labels() -> None:
    with pytest.raises(ValueError, match="target_fpr"):
        FprThreshold(1.5)
    with pytest.raises(ValueError, match=r"threshold\.q"):
        PercentileThreshold(100)
    with pytest.raises(ValueError, match="labelled validation"):
        EfficiencyThreshold(0.9).fit(np.zeros(4))
    with pytest.raises(ValueError, match="finite"):
        FprThreshold(0.05).fit(np.array([0.1, np.nan]))
