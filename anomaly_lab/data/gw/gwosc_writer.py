"""Strain written in the GWOSC HDF5 layout (what `gwosc.read_gwosc` and gwpy's 'hdf5.gwosc' reader take): simulated
stretches for the search, synthetic files for benchmarks and tests."""

from __future__ import annotations

from pathlib import Path

import h5py
import numpy as np

from anomaly_lab.atomic import atomic_path
from anomaly_lab.data.gw.gwosc import DQ_NAMES, INJ_NAMES


def all_good(duration_s: int, names: list[str]) -> np.ndarray:
    """A 1 Hz mask with every bit of `names` set in every second."""
    return np.full(duration_s, (1 << len(names)) - 1, dtype=np.uint32)


def write_gwosc_file(
    path: str | Path,
    detector: str,
    strain: np.ndarray,
    gps_start: int,
    fs: int,
    dq: np.ndarray | None = None,
    inj: np.ndarray | None = None,
) -> Path:
    """`strain` (at `fs`, whole seconds) of `detector` from `gps_start` in the GWOSC layout, with its DQ and injection
    masks (default: every bit good), complete or not at all."""
    duration_s, rest = divmod(len(strain), fs)
    if rest:
        raise ValueError(f"{path}: {len(strain)} samples at {fs} Hz, expected whole seconds")
    dq = all_good(duration_s, DQ_NAMES) if dq is None else dq
    inj = all_good(duration_s, INJ_NAMES) if inj is None else inj
    with atomic_path(path) as tmp, h5py.File(tmp, "w") as f:
        d = f.create_dataset("strain/Strain", data=strain)
        d.attrs["Xstart"], d.attrs["Xspacing"], d.attrs["Npoints"] = gps_start, 1.0 / fs, len(strain)
        d.attrs["Xunits"], d.attrs["Yunits"] = "second", ""  # as GWOSC writes them (gwpy's reader needs them)
        f["meta/Detector"], f["meta/Observatory"] = detector.encode(), detector[0].encode()
        f["meta/GPSstart"], f["meta/Duration"], f["meta/Type"] = gps_start, duration_s, b"StrainTimeSeries"
        f["quality/simple/DQmask"] = dq
        f["quality/simple/DQShortnames"] = np.array([s.encode() for s in DQ_NAMES])
        f["quality/injections/Injmask"] = inj
        f["quality/injections/InjShortnames"] = np.array([s.encode() for s in INJ_NAMES])
    return Path(path)
