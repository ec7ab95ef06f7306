"""Reader for GWOSC strain files (HDF5): strain, data-quality and injection masks, valid stretches.

NaN marks a gap in GWOSC strain and is cut with the data-quality mask; +/-Inf is accepted only in a second the
DQ mask also marks bad. Any other surprise (an empty or truncated file, a missing key, integer or 2-D strain, a
bad Xspacing) is a one-line GwoscFormatError naming the file and the key.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import h5py
import numpy as np
from scipy.signal import resample_poly

from anomaly_lab.io import hdf5_open_failure

STRAIN = "strain/Strain"
EXPECTED = "expected a GWOSC strain HDF5 file"


class GwoscFormatError(ValueError):
    """A file that is not a readable GWOSC strain file; the message names the file and the key."""


@dataclass
class GwoscSegment:
    """One GWOSC file: strain at its native rate and a per-sample validity mask."""

    path: Path
    detector: str
    gps_start: float
    fs: float
    strain: np.ndarray
    valid: np.ndarray


def _open(path: Path) -> h5py.File:
    if not path.is_file():
        raise GwoscFormatError(f"{path}: no such file ({EXPECTED})")
    if path.stat().st_size == 0:
        raise GwoscFormatError(f"{path}: empty file ({EXPECTED})")
    try:
        return h5py.File(path, "r")
    except OSError as err:
        raise GwoscFormatError(f"{path}: {hdf5_open_failure(err)} ({EXPECTED})") from None


def _dataset(f: h5py.File, path: Path, key: str) -> h5py.Dataset:
    if key not in f:
        raise GwoscFormatError(f"{path}: missing '{key}' (expected a GWOSC strain file)")
    if not isinstance(f[key], h5py.Dataset):
        raise GwoscFormatError(f"{path}: '{key}' is a group, expected a dataset (a GWOSC strain file)")
    return f[key]


def _read(f: h5py.File, path: Path, key: str) -> np.ndarray:
    return _dataset(f, path, key)[()]


def _names(raw: np.ndarray) -> list[str]:
    return [n.decode() if isinstance(n, bytes) else str(n) for n in np.atleast_1d(raw)]


def _attr(dset: h5py.Dataset, path: Path, name: str) -> float:
    if name not in dset.attrs:
        raise GwoscFormatError(f"{path}: '{STRAIN}' lacks attribute '{name}'")
    raw = dset.attrs[name]
    try:
        value = float(np.asarray(raw).item())
    except (TypeError, ValueError):
        raise GwoscFormatError(f"{path}: '{STRAIN}' attribute '{name}' is {raw!r}, expected a number") from None
    positive = name == "Xspacing"
    if not np.isfinite(value) or (positive and value <= 0):
        expected = "a finite positive number" if positive else "a finite number"
        raise GwoscFormatError(f"{path}: '{STRAIN}' attribute '{name}' is {value}, expected {expected}")
    return value


def _strain(f: h5py.File, path: Path) -> tuple[np.ndarray, float, float]:
    """(strain as float64, integer sample rate, GPS start) of a checked 'strain/Strain'."""
    dset = _dataset(f, path, STRAIN)
    if dset.dtype.kind != "f" or dset.ndim != 1 or dset.shape[0] == 0:
        raise GwoscFormatError(
            f"{path}: '{STRAIN}' holds {dset.dtype} of shape {dset.shape}, expected a non-empty 1-D float array"
        )
    fs = 1.0 / _attr(dset, path, "Xspacing")
    gps_start = _attr(dset, path, "Xstart")
    if abs(fs - round(fs)) > 1e-6:
        raise GwoscFormatError(f"{path}: '{STRAIN}' Xspacing gives a non-integer rate {fs} Hz")
    npoints = int(np.asarray(dset.attrs.get("Npoints", dset.shape[0])).item())
    if npoints != dset.shape[0]:
        raise GwoscFormatError(f"{path}: '{STRAIN}' has {dset.shape[0]} samples, expected Npoints = {npoints}")
    return dset[()].astype(np.float64), float(round(fs)), gps_start


def _mask_ok(f: h5py.File, path: Path, group: str, required: Sequence[str], n_seconds: int) -> np.ndarray:
    """Per-second boolean: every required bit of the group's mask is set."""
    ok = np.ones(n_seconds, dtype=bool)
    if not required:
        return ok
    prefix = "DQ" if group.endswith("simple") else "Inj"
    mask = _read(f, path, f"{group}/{prefix}mask")
    names = _names(_read(f, path, f"{group}/{prefix}Shortnames"))
    if mask.dtype.kind not in "iub" or mask.shape != (n_seconds,):
        raise GwoscFormatError(
            f"{path}: '{group}/{prefix}mask' holds {mask.dtype} of shape {mask.shape}, "
            f"expected {n_seconds} integers (one per second)"
        )
    for flag in required:
        if flag not in names:
            raise GwoscFormatError(f"{path}: flag '{flag}' not in '{group}/{prefix}Shortnames' {names}")
        ok &= (mask.astype(np.int64) >> names.index(flag)) & 1 == 1
    return ok


def _excusing(f: h5py.File, path: Path, dq_flags: Sequence[str]) -> list[str]:
    """DQ flags whose failure in a second makes Inf there a gap: those requested, and DATA when the file has it."""
    names = "quality/simple/DQShortnames"
    has_data = names in f and "DATA" in _names(_read(f, path, names))
    return [*dq_flags, "DATA"] if has_data and "DATA" not in dq_flags else list(dq_flags)


def _check_inf(path: Path, strain: np.ndarray, dq_good: np.ndarray, fs: float, gps_start: float) -> None:
    """Inf is a gap only where the DQ mask marks the second bad; elsewhere it is a broken file."""
    unexplained = np.flatnonzero(np.isinf(strain) & np.repeat(dq_good, int(fs))[: len(strain)])
    if len(unexplained):
        i = int(unexplained[0])
        raise GwoscFormatError(
            f"{path}: '{STRAIN}' sample {i} (GPS {gps_start + i / fs:.6f}) is {strain[i]} in a second the DQ mask "
            "marks good; expected finite strain, or NaN in a gap"
        )


def read_gwosc(path: str | Path, dq_flags: Sequence[str] = (), inj_flags: Sequence[str] = ()) -> GwoscSegment:
    """Read one GWOSC file; samples are valid when finite and every requested DQ/injection bit is set.

    Inf in a second that the requested DQ flags (or the DATA bit, when the file has one) mark bad is cut like NaN;
    Inf anywhere else raises GwoscFormatError naming the first such sample and its GPS time."""
    path = Path(path)
    with _open(path) as f:
        strain, fs, gps_start = _strain(f, path)
        detector = _names(_read(f, path, "meta/Detector"))
        if len(detector) != 1 or not detector[0]:
            raise GwoscFormatError(f"{path}: 'meta/Detector' is {detector}, expected one name such as 'H1'")
        n_seconds = int(np.ceil(len(strain) / fs))
        per_second = _mask_ok(f, path, "quality/simple", dq_flags, n_seconds)
        per_second &= _mask_ok(f, path, "quality/injections", inj_flags, n_seconds)
        if np.isinf(strain).any():
            dq_good = _mask_ok(f, path, "quality/simple", _excusing(f, path, dq_flags), n_seconds)
            _check_inf(path, strain, dq_good, fs, gps_start)
    valid = np.repeat(per_second, int(fs))[: len(strain)] & np.isfinite(strain)
    return GwoscSegment(path, detector[0], gps_start, fs, strain, valid)


def valid_bounds(segment: GwoscSegment, min_s: float) -> list[tuple[int, int]]:
    """(first, end) sample indices at the file's rate of the contiguous valid stretches at least `min_s` long."""
    edges = np.flatnonzero(np.diff(np.concatenate([[0], segment.valid.astype(np.int8), [0]])))
    pairs = zip(edges[::2], edges[1::2], strict=True)
    return [(int(lo), int(hi)) for lo, hi in pairs if (hi - lo) / segment.fs >= min_s]


def valid_stretches(segment: GwoscSegment, fs_out: float, min_s: float) -> list[np.ndarray]:
    """Contiguous valid stretches at least `min_s` long, resampled to `fs_out` (NaN never crosses a filter)."""
    out = []
    for lo, hi in valid_bounds(segment, min_s):
        x = segment.strain[lo:hi]
        if segment.fs != fs_out:
            g = np.gcd(int(segment.fs), int(fs_out))
            x = resample_poly(x, int(fs_out) // g, int(segment.fs) // g)
        out.append(x)
    return out
