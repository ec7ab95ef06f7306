"""Single-detector FARs from noise-only window scores (the scanner's clustering at every threshold) and found
injections: triggers within the tolerance of the arrival time, pairs with both members there, SNR bins."""

from __future__ import annotations

import numpy as np
import pytest

from anomaly_lab.evaluation.per_signal import binomial_interval
from anomaly_lab.search.far import cluster_counts, far_per_hour, threshold_at_far
from anomaly_lab.search.found import Fraction, efficiency, found_pairs, near
from anomaly_lab.search.tables import Scan


def noise_scan(seconds: float = 1800.0, seed: int = 0) -> Scan:
    """Scores of 0.25 s windows every 1/16 s, correlated over a window like a real scan's."""
    n = int(seconds * 16)
    white = np.random.default_rng(seed).standard_normal(n + 3)
    score = np.convolve(white, np.ones(4) / 2, mode="valid")
    return Scan("H1", 1e9 + np.arange(n) / 16, score, 0.25, 0.0625)


def test_cluster_counts_are_the_scanners_clusters_at_every_threshold() -> None:
    scan = noise_scan(300.0)
    scores, counts = cluster_counts(scan)
    assert np.all(np.diff(scores) <= 0)
    for i in [0, 1, 5, 50, 500, 2000, len(scores) - 2]:
        assert counts[i] == len(scan.triggers(scores[i + 1])["score"]), i


def test_threshold_at_far_keeps_the_noise_within_the_rate() -> None:
    scan = noise_scan()
    assert scan.live_s == pytest.approx(1800.0)
    for target in (2.0, 20.0, 200.0):
        threshold = threshold_at_far(scan, target)
        assert far_per_hour(scan, threshold) <= target
        # a little lower lets in too many: the threshold is the lowest that keeps the rate
        assert far_per_hour(scan, threshold - 0.02) > target * 0.8
    assert threshold_at_far(scan, 2.0) > threshold_at_far(scan, 20.0) > threshold_at_far(scan, 200.0)
    assert threshold_at_far(scan, 1e-3) == scan.score.max()  # not one trigger in half an hour: nothing passes


def test_near_finds_triggers_within_the_tolerance_only() -> None:
    triggers = np.array([100.05, 200.3, 300.0])
    assert near(triggers, np.array([100.0, 200.0, 299.91, 400.0]), 0.1).tolist() == [True, False, True, False]
    assert near(np.zeros(0), np.array([1.0]), 0.1).tolist() == [False]


def test_found_pairs_need_both_members_near_their_arrival_times() -> None:
    t_h, t_l = np.array([100.02, 200.0, 300.0]), np.array([100.03, 200.5, 299.95])
    inj_h, inj_l = np.array([100.0, 200.0, 300.0, 400.0]), np.array([100.01, 200.005, 300.0, 400.0])
    assert found_pairs(t_h, t_l, inj_h, inj_l, 0.1).tolist() == [True, False, True, False]


def test_found_fraction_has_clopper_pearson_bounds() -> None:
    f = Fraction.of(np.array([True, True, False, True]))
    assert (f.k, f.n, f.value) == (3, 4, 0.75) and (f.low, f.high) == binomial_interval(3, 4)
    assert f.text().startswith("3/4 = 0.750 [")


def test_efficiency_bins_the_injections_by_snr() -> None:
    snr = np.array([5.0, 9.0, 11.0, 12.0, 25.0])
    found = np.array([False, False, True, True, True])
    bins = efficiency(snr, found, [0.0, 10.0, 20.0, 30.0])
    assert [(lo, hi, f.k, f.n) for lo, hi, f in bins] == [(0.0, 10.0, 0, 2), (10.0, 20.0, 2, 2), (20.0, 30.0, 1, 1)]
