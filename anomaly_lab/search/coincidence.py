"""Coincidences between two detectors' triggers and their time-slide background.

Window: |t_a - t_b| <= light-travel time between the sites (lal's detectors; 10.0 ms for H1-L1) + a tolerance,
by default half the scan's window. A trigger's time is the centre of its loudest window, so it is known to the
scan's window (not its stride): the same signal can peak in windows up to half a window apart in the two
detectors, as the noise picks the loudest one of the overlapping windows that hold the signal.

Ranking: the smaller of the two scores. The autoencoder score is no likelihood ratio, so sums of scores have no
meaning across detectors; the smaller one is unchanged by any monotonic rescaling of the score and a coincidence is
only as loud as its quieter member, so one loud noise trigger cannot carry a quiet partner.

Background: the second detector's triggers shifted cyclically within the analysed span by k * slide_s,
k = +-1..+-K, each slide counted as one more span of live time; FAR(r) = slid coincidences ranked >= r / live time.
"""

from __future__ import annotations

from dataclasses import dataclass

import lal
import lalsimulation
import numpy as np

HOUR_S = 3600.0


def light_travel_s(a: str, b: str) -> float:
    """Light-travel time between two sites [s], from lal's detector locations."""
    det = lalsimulation.DetectorPrefixToLALDetector
    return lal.LightTravelTime(det(a), det(b)) * 1e-9


def ranking(score_a: np.ndarray, score_b: np.ndarray) -> np.ndarray:
    """The ranking statistic of coincident pairs: the smaller of the two scores."""
    return np.minimum(score_a, score_b)


@dataclass
class Coincidences:
    """Pairs of triggers within the window: indices into each detector's triggers, time difference b - a, ranking."""

    index_a: np.ndarray
    index_b: np.ndarray
    dt: np.ndarray
    ranking: np.ndarray

    def __len__(self) -> int:
        return len(self.ranking)


def coincidences(t_a: np.ndarray, s_a: np.ndarray, t_b: np.ndarray, s_b: np.ndarray, window_s: float) -> Coincidences:
    """Every pair with |t_b - t_a| <= window_s (a trigger may pair with several: with triggers at Poisson rates the
    pair count is what the accidental rate r_a r_b 2 window T predicts)."""
    order = np.argsort(t_b, kind="stable")
    tb = np.asarray(t_b)[order]
    lo = np.searchsorted(tb, np.asarray(t_a) - window_s, side="left")
    hi = np.searchsorted(tb, np.asarray(t_a) + window_s, side="right")
    index_a = np.repeat(np.arange(len(t_a)), hi - lo)
    offsets = np.arange(len(index_a)) - np.repeat(np.cumsum(hi - lo) - (hi - lo), hi - lo)
    index_b = order[np.repeat(lo, hi - lo) + offsets]
    keep = np.abs(np.asarray(t_b)[index_b] - np.asarray(t_a)[index_a]) <= window_s  # exact, after float rounding
    index_a, index_b = index_a[keep], index_b[keep]
    dt = np.asarray(t_b)[index_b] - np.asarray(t_a)[index_a]
    return Coincidences(index_a, index_b, dt, ranking(np.asarray(s_a)[index_a], np.asarray(s_b)[index_b]))


def slid(t: np.ndarray, shift_s: float, span: tuple[float, float]) -> np.ndarray:
    """Times shifted by `shift_s` cyclically within [start, end) of the span (what leaves at the end comes back at
    the start)."""
    start, end = span
    return start + np.mod(np.asarray(t) - start + shift_s, end - start)


@dataclass
class SlideBackground:
    """Slid coincidences' rankings (descending), the shifts and the coincidences per shift, the live time."""

    rankings: np.ndarray
    shifts_s: np.ndarray
    counts: np.ndarray
    live_s: float

    def far_per_hour(self, threshold: float) -> float:
        """Slid coincidences ranked at or above `threshold` per hour of slid live time."""
        return float(np.count_nonzero(self.rankings >= threshold)) / (self.live_s / HOUR_S)

    def threshold_at_far(self, far_per_hour: float) -> float:
        """The lowest ranking whose FAR (at or above it) is at most `far_per_hour`; -inf when even all slid
        coincidences together are within it."""
        allowed = int(np.floor(far_per_hour * self.live_s / HOUR_S))
        if allowed >= len(self.rankings):
            return -np.inf
        return float(np.nextafter(self.rankings[allowed], np.inf))


def check_slides(slide_s: float, n_slides: int, window_s: float, span: tuple[float, float]) -> None:
    """Slides farther apart than a coincidence window, all distinct modulo the span (2 K slide_s < span)."""
    length = span[1] - span[0]
    if slide_s <= 2 * window_s or n_slides < 1 or 2 * n_slides * slide_s >= length:
        raise ValueError(
            f"slide_s={slide_s}, slides={n_slides}: expected slide_s > twice the coincidence window "
            f"({window_s:.4g} s), slides >= 1 and 2 * slides * slide_s < the analysed span ({length:.6g} s)"
        )


def _in_span(t: np.ndarray, s: np.ndarray, span: tuple[float, float]) -> tuple[np.ndarray, np.ndarray]:
    keep = (np.asarray(t) >= span[0]) & (np.asarray(t) < span[1])
    return np.asarray(t)[keep], np.asarray(s)[keep]


def time_slides(
    a: tuple[np.ndarray, np.ndarray],
    b: tuple[np.ndarray, np.ndarray],
    window_s: float,
    slide_s: float,
    n_slides: int,
    span: tuple[float, float],
) -> SlideBackground:
    """Coincidences of (times, scores) `a` with `b` shifted by k * slide_s, k = +-1..+-n_slides, within `span`;
    each shift adds the span's length to the live time (the scans are taken to cover the span without gaps, as a
    simulated stretch's do). Triggers outside the span are left out."""
    check_slides(slide_s, n_slides, window_s, span)
    a, b = _in_span(*a, span), _in_span(*b, span)
    ks = np.concatenate([-np.arange(n_slides, 0, -1), np.arange(1, n_slides + 1)])
    rankings, counts = [], []
    for k in ks:
        c = coincidences(a[0], a[1], slid(b[0], k * slide_s, span), b[1], window_s)
        rankings.append(c.ranking)
        counts.append(len(c))
    all_rankings = np.sort(np.concatenate(rankings))[::-1] if rankings else np.zeros(0)
    return SlideBackground(all_rankings, ks * slide_s, np.array(counts), len(ks) * (span[1] - span[0]))
