"""Trigger clustering: windows above the threshold that overlap, touch or follow at the stride are one trigger."""

from __future__ import annotations

import numpy as np
import pytest

from anomaly_lab.scan.triggers import TRIGGER_COLUMNS, cluster_triggers

GPS = 1126259446.0
WINDOW, STRIDE = 0.25, 0.0625


def starts(n: int, stride: float = STRIDE) -> np.ndarray:
    return GPS + stride * np.arange(n)


def test_nothing_above_the_threshold_gives_an_empty_table_with_every_column() -> None:
    out = cluster_triggers(starts(10), np.zeros(10), 1.0, WINDOW, STRIDE)
    assert list(out) == list(TRIGGER_COLUMNS) and all(len(v) == 0 for v in out.values())
    assert out["n_windows"].dtype == np.int64


def test_all_windows_above_make_one_trigger_spanning_the_scan() -> None:
    scores = np.linspace(2, 3, 40)
    scores[17] = 9.0
    out = cluster_triggers(starts(40), scores, 1.0, WINDOW, STRIDE)
    assert len(out["score"]) == 1
    assert out["gps_start"][0] == GPS and out["gps_end"][0] == pytest.approx(GPS + 39 * STRIDE + WINDOW)
    # the peak is the centre of the loudest window, and its score
    assert out["gps_peak"][0] == pytest.approx(GPS + 17 * STRIDE + WINDOW / 2) and out["score"][0] == 9.0
    assert out["n_windows"][0] == 40 and out["duration"][0] == pytest.approx(39 * STRIDE + WINDOW)


def test_separated_groups_are_separate_triggers_and_overlapping_windows_merge() -> None:
    scores = np.zeros(100)
    scores[10:13] = [2, 5, 3]  # three consecutive windows
    scores[20] = 4  # 7 strides (0.4375 s) later: more than a window away, a trigger of its own
    scores[24] = 6  # 4 strides (= one window length) after window 20: they touch, so they merge
    scores[60] = 1.5
    out = cluster_triggers(starts(100), scores, 1.0, WINDOW, STRIDE)
    np.testing.assert_array_equal(out["n_windows"], [3, 2, 1])
    np.testing.assert_allclose(out["gps_start"] - GPS, [10 * STRIDE, 20 * STRIDE, 60 * STRIDE])
    np.testing.assert_allclose(out["gps_end"] - GPS, [12 * STRIDE + WINDOW, 24 * STRIDE + WINDOW, 60 * STRIDE + WINDOW])
    np.testing.assert_allclose(out["score"], [5, 6, 1.5])
    np.testing.assert_allclose(out["gps_peak"] - GPS, [11 * STRIDE + WINDOW / 2, 24 * STRIDE + WINDOW / 2,
                                                       60 * STRIDE + WINDOW / 2])  # fmt: skip


def test_a_single_window_is_a_trigger_of_one_window_length() -> None:
    scores = np.zeros(5)
    scores[2] = 7.0
    out = cluster_triggers(starts(5), scores, 1.0, WINDOW, STRIDE)
    assert out["n_windows"].tolist() == [1] and out["duration"][0] == pytest.approx(WINDOW)
    assert out["gps_peak"][0] == pytest.approx(GPS + 2 * STRIDE + WINDOW / 2)


def test_windows_at_a_stride_longer_than_the_window_merge_only_when_consecutive() -> None:
    # stride 0.5 s > window 0.25 s: consecutive windows never overlap but are adjacent in the scan
    scores = np.array([0, 3, 4, 0, 5, 0.0])
    out = cluster_triggers(starts(6, 0.5), scores, 1.0, WINDOW, 0.5)
    assert out["n_windows"].tolist() == [2, 1]


def test_windows_across_a_data_gap_stay_apart_and_order_does_not_matter() -> None:
    t = np.concatenate([starts(4), starts(4) + 30.0])
    scores = np.full(8, 2.0)
    order = np.random.default_rng(0).permutation(8)
    out = cluster_triggers(t[order], scores[order], 1.0, WINDOW, STRIDE)
    assert out["n_windows"].tolist() == [4, 4] and out["gps_start"][1] == pytest.approx(GPS + 30.0)


def test_equal_to_the_threshold_is_not_above_it() -> None:
    assert len(cluster_triggers(starts(3), np.ones(3), 1.0, WINDOW, STRIDE)["score"]) == 0


def test_mismatched_inputs_are_refused() -> None:
    with pytest.raises(ValueError, match="two equal 1-D arrays"):
        cluster_triggers(starts(3), np.ones(4), 1.0, WINDOW, STRIDE)
