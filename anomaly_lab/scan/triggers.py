"""Triggers: windows scoring above the threshold, clustered so that one loud event is one trigger, not a run of
overlapping windows."""

from __future__ import annotations

import numpy as np

TRIGGER_COLUMNS = ("gps_start", "gps_end", "gps_peak", "score", "duration", "n_windows")
# GPS times are float64 around 1e9 s: about 1e-7 s of rounding, far below any sample spacing
TOLERANCE_S = 1e-6


def cluster_triggers(
    gps_start: np.ndarray, scores: np.ndarray, threshold: float, window_s: float, stride_s: float
) -> dict[str, np.ndarray]:
    """Triggers from per-window start times and scores: windows with score > threshold that overlap, touch or
    follow each other at the scan's stride form one trigger, from the first window's start to the last one's end,
    peaking at the centre of its highest-scoring window with that window's score.

    Returns the columns of TRIGGER_COLUMNS (empty arrays when nothing is above the threshold)."""
    gps_start, scores = np.asarray(gps_start, np.float64), np.asarray(scores, np.float64)
    if gps_start.shape != scores.shape or gps_start.ndim != 1:
        raise ValueError(f"gps_start {gps_start.shape} and scores {scores.shape}: expected two equal 1-D arrays")
    above = np.flatnonzero(scores > threshold)
    order = above[np.argsort(gps_start[above], kind="stable")]
    t, s = gps_start[order], scores[order]
    if not len(t):
        return {name: np.zeros(0, np.int64 if name == "n_windows" else np.float64) for name in TRIGGER_COLUMNS}
    # a new trigger where the gap to the previous window is more than both its length and the stride
    reach = max(window_s, stride_s) + TOLERANCE_S
    starts = np.flatnonzero(np.concatenate([[True], np.diff(t) > reach]))
    ends = np.append(starts[1:], len(t))
    peaks = np.array([lo + int(np.argmax(s[lo:hi])) for lo, hi in zip(starts, ends, strict=True)], dtype=np.int64)
    out = {
        "gps_start": t[starts],
        "gps_end": t[ends - 1] + window_s,
        "gps_peak": t[peaks] + window_s / 2,
        "score": s[peaks],
        "n_windows": (ends - starts).astype(np.int64),
    }
    out["duration"] = out["gps_end"] - out["gps_start"]
    return {name: out[name] for name in TRIGGER_COLUMNS}
