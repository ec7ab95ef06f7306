"""Coincidence between two detectors and the time-slide background: the light-travel window, the accidental rate of
Poisson triggers, and a FAR that is slid counts over slid live time."""

from __future__ import annotations

import numpy as np
import pytest

from anomaly_lab.search.coincidence import coincidences, light_travel_s, ranking, slid, time_slides

WINDOW = light_travel_s("H1", "L1") + 0.125


def test_light_travel_between_hanford_and_livingston_is_ten_ms() -> None:
    assert light_travel_s("H1", "L1") == pytest.approx(0.01001, abs=1e-4)
    assert light_travel_s("H1", "V1") > light_travel_s("H1", "L1")


def test_planted_pair_is_found_and_one_just_outside_the_window_is_not() -> None:
    t_h = np.array([100.0, 200.0, 300.0])
    t_l = np.array([100.0 + WINDOW - 1e-4, 200.0 - WINDOW - 1e-3, 350.0])
    c = coincidences(t_h, np.array([5.0, 6.0, 7.0]), t_l, np.array([3.0, 9.0, 1.0]), WINDOW)
    assert (c.index_a.tolist(), c.index_b.tolist()) == ([0], [0])
    assert c.dt == pytest.approx([WINDOW - 1e-4]) and c.ranking.tolist() == [3.0]  # the smaller score


def test_every_pair_within_the_window_counts() -> None:
    c = coincidences(np.array([10.0, 10.05]), np.ones(2), np.array([9.95, 10.0, 10.1, 20.0]), np.ones(4), WINDOW)
    assert sorted(zip(c.index_a.tolist(), c.index_b.tolist(), strict=True)) == [
        (0, 0),
        (0, 1),
        (0, 2),
        (1, 0),
        (1, 1),
        (1, 2),
    ]


def test_ranking_is_the_smaller_score() -> None:
    assert ranking(np.array([1.0, 4.0]), np.array([2.0, 3.0])).tolist() == [1.0, 3.0]


def test_slides_are_cyclic_within_the_span() -> None:
    assert slid(np.array([1.0, 9.5]), 1.0, (0.0, 10.0)) == pytest.approx([2.0, 0.5])
    assert slid(np.array([1.0]), -3.0, (0.0, 10.0)) == pytest.approx([8.0])


def poisson(rate: float, span: tuple[float, float], rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    t = np.sort(rng.uniform(*span, rng.poisson(rate * (span[1] - span[0]))))
    return t, rng.exponential(1.0, len(t))


def test_slides_count_the_accidental_rate_of_poisson_triggers() -> None:
    rng = np.random.default_rng(1)
    span, rate_h, rate_l, k = (1e9, 1e9 + 3600.0), 0.2, 0.3, 20
    h, l1 = poisson(rate_h, span, rng), poisson(rate_l, span, rng)
    bg = time_slides(h, l1, WINDOW, 7.0, k, span)
    expected = rate_h * rate_l * 2 * WINDOW * 3600.0  # per slide: 58.3
    # 40 slides: 2333 expected, Poisson sd 48 (2 %), plus the rates' own spread (each about 1.5 %): 8 % is 3 sd
    assert len(bg.counts) == 2 * k and bg.live_s == pytest.approx(2 * k * 3600.0)
    assert bg.counts.sum() == pytest.approx(2 * k * expected, rel=0.08)
    assert bg.counts.sum() == pytest.approx(2 * k * len(h[0]) * len(l1[0]) * 2 * WINDOW / 3600.0, rel=0.06)
    assert sorted(bg.shifts_s.tolist()) == [7.0 * i for i in range(-k, k + 1) if i]


def test_slid_far_falls_with_the_threshold_and_is_counts_over_live_time() -> None:
    rng = np.random.default_rng(2)
    span = (0.0, 1800.0)
    bg = time_slides(poisson(0.3, span, rng), poisson(0.3, span, rng), WINDOW, 6.0, 30, span)
    live_h = 60 * 1800.0 / 3600.0
    thresholds = np.linspace(0, 5, 51)
    fars = np.array([bg.far_per_hour(x) for x in thresholds])
    assert np.all(np.diff(fars) <= 0) and fars[0] > 10 * fars[-1]
    for x, far in zip(thresholds, fars, strict=True):
        assert far == pytest.approx(np.count_nonzero(bg.rankings >= x) / live_h)
    for target in (0.5, 2.0, 10.0):
        rho = bg.threshold_at_far(target)
        assert bg.far_per_hour(rho) <= target < bg.far_per_hour(np.nextafter(rho, -np.inf) - 1e-12)


def test_threshold_is_minus_infinity_when_every_slid_coincidence_is_allowed() -> None:
    span = (0.0, 100.0)
    bg = time_slides((np.array([10.0]), np.array([1.0])), (np.array([15.0]), np.array([1.0])), WINDOW, 5.0, 2, span)
    assert len(bg.rankings) == 1  # the slide by +-5 s brings 15 onto 10
    assert bg.threshold_at_far(1000.0) == -np.inf and bg.far_per_hour(-np.inf) == pytest.approx(1 / (400 / 3600))


def test_slides_that_repeat_or_overlap_the_window_are_refused() -> None:
    empty = (np.zeros(0), np.zeros(0))
    with pytest.raises(ValueError, match="slide_s=0.2"):
        time_slides(empty, empty, WINDOW, 0.2, 3, (0.0, 100.0))
    with pytest.raises(ValueError, match="slides=11"):
        time_slides(empty, empty, WINDOW, 5.0, 11, (0.0, 100.0))
