"""Single-detector false-alarm rates: clustered triggers per hour of noise-only scanned time above a threshold."""

from __future__ import annotations

import bisect

import numpy as np

from anomaly_lab.scan.triggers import TOLERANCE_S
from anomaly_lab.search.tables import Scan

HOUR_S = 3600.0


def cluster_counts(scan: Scan) -> tuple[np.ndarray, np.ndarray]:
    """(scores in descending order, clustered triggers among the windows scoring at least each): the scanner's
    clustering (windows closer than max(window, stride) join) at every threshold, in one pass that adds windows
    loudest first and counts windows minus joins of time neighbours."""
    reach = max(scan.window_s, scan.stride_s) + TOLERANCE_S
    order = np.argsort(scan.score, kind="stable")[::-1]
    times: list[float] = []
    counts = np.zeros(len(order), np.int64)
    n = 0
    for i, t in enumerate(scan.gps_start[order].tolist()):
        j = bisect.bisect(times, t)
        before = j > 0 and t - times[j - 1] <= reach
        after = j < len(times) and times[j] - t <= reach
        joined = j > 0 and j < len(times) and times[j] - times[j - 1] <= reach
        n += 1 - before - after + joined
        times.insert(j, t)
        counts[i] = n
    return scan.score[order], counts


def threshold_at_far(scan: Scan, far_per_hour: float) -> float:
    """The lowest threshold at and above which the noise gives at most `far_per_hour` clustered triggers per hour
    (triggers are windows scoring > threshold); the loudest noise score when even one trigger is too many."""
    scores, counts = cluster_counts(scan)
    allowed = int(np.floor(far_per_hour * scan.live_s / HOUR_S))
    # a count is complete at the last window of a run of equal scores; every lower threshold must keep to it too
    last_of_ties = np.append(scores[1:] != scores[:-1], True)
    good = np.flatnonzero((np.maximum.accumulate(counts) <= allowed) & last_of_ties)
    if not len(good):
        return float(scores[0])  # nothing scores above the loudest window
    if good[-1] == len(scores) - 1:
        return float(np.nextafter(scores[-1], -np.inf))  # every window may pass
    return float(scores[good[-1] + 1])


def far_per_hour(scan: Scan, threshold: float) -> float:
    """Clustered noise triggers above `threshold` per hour of scanned time."""
    return len(scan.triggers(threshold)["score"]) / (scan.live_s / HOUR_S)
