"""What the analysis reads: the scanner's per-window scores of strain files, per detector, and the injection list."""

from __future__ import annotations

import csv
import json
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from anomaly_lab.io import load_arrays, load_attrs
from anomaly_lab.scan.triggers import cluster_triggers

SCAN_ATTRS = ("detectors", "stride", "window")


@dataclass
class Scan:
    """One detector's scanned windows: start GPS times (sorted) and scores, the window length and the stride."""

    detector: str
    gps_start: np.ndarray
    score: np.ndarray
    window_s: float
    stride_s: float

    @property
    def live_s(self) -> float:
        """Seconds searched: each window stands for one stride of time."""
        return len(self.score) * self.stride_s

    @property
    def span(self) -> tuple[float, float]:
        """GPS interval of the window centres (where triggers peak), half a stride beyond the outer ones."""
        half = self.stride_s / 2
        centres = self.gps_start[[0, -1]] + self.window_s / 2
        return float(centres[0] - half), float(centres[1] + half)

    def triggers(self, threshold: float) -> dict[str, np.ndarray]:
        """The scanner's clustered triggers above `threshold` (columns of scan.triggers.TRIGGER_COLUMNS)."""
        return cluster_triggers(self.gps_start, self.score, threshold, self.window_s, self.stride_s)


def scores_file(path: Path) -> Path:
    """A scanner output: its directory or its scores.h5."""
    return path / "scores.h5" if path.is_dir() else path


def _read_one(path: Path) -> list[Scan]:
    """Per file of one scanner run, its detector's windows."""
    attrs = load_attrs(path)
    missing = [k for k in SCAN_ATTRS if k not in attrs]
    if missing:
        raise ValueError(f"{path}: attributes {missing} missing; expected the scores.h5 of a strain scan")
    arrays = load_arrays(path)
    detectors = json.loads(attrs["detectors"])
    stride, window = float(attrs["stride"]), float(attrs["window"])
    files = arrays["file_index"]
    return [Scan(d, arrays["gps_start"][files == i], arrays["score"][files == i], window, stride)
            for i, d in enumerate(detectors)]  # fmt: skip


def read_scans(paths: list[Path]) -> dict[str, Scan]:
    """Per detector, every window of the given scanner outputs (files of one detector joined, sorted by time)."""
    parts: dict[str, list[Scan]] = {}
    for path in paths:
        for scan in _read_one(scores_file(path)):
            parts.setdefault(scan.detector, []).append(scan)
    out = {}
    for detector, scans in parts.items():
        if len({(s.window_s, s.stride_s) for s in scans}) != 1:
            raise ValueError(f"{paths}: {detector} scanned with different windows or strides; expected one")
        t, s = np.concatenate([x.gps_start for x in scans]), np.concatenate([x.score for x in scans])
        order = np.argsort(t, kind="stable")
        out[detector] = Scan(detector, t[order], s[order], scans[0].window_s, scans[0].stride_s)
    return out


def read_injections(path: Path, detectors: list[str]) -> dict[str, np.ndarray]:
    """The injection list's columns as float arrays; the geocentric time, each detector's arrival time and SNR,
    and the network SNR must be there."""
    if not path.is_file():
        raise FileNotFoundError(f"injections={path}: no such file (expected the injections.csv of `simulate`)")
    with open(path, newline="") as f:
        rows = list(csv.DictReader(f))
    names = list(rows[0]) if rows else []
    need = ["gps_geocent", *(f"gps_{d}" for d in detectors), *(f"snr_{d}" for d in detectors), "snr_network"]
    missing = [n for n in need if n not in names]
    if missing or not rows:
        raise ValueError(f"injections={path}: columns {missing or need} missing or no rows; expected `simulate`'s list")
    return {n: np.array([float(r[n]) for r in rows]) for n in names}
