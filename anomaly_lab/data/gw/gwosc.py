"""Reader for GWOSC strain files (HDF5, or GWF frames via frames.py): strain, DQ and injection masks, valid stretches.

NaN marks a gap in GWOSC strain and is cut with the data-quality mask; +/-Inf is accepted only in a second the
DQ mask also marks bad. Any other surprise (an empty or truncated file, a missing key, integer or 2-D strain, a
bad Xspacing) is a one-line GwoscFormatError naming the file and the key.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

import h5py
import numpy as np
from scipy.signal import resample_poly

from anomaly_lab.io import hdf5_open_failure

STRAIN = "strain/Strain"
EXPECTED = "expected a GWOSC strain HDF5 file"
# GWOSC's bit names, in bit order, of the 1 Hz data-quality and injection masks
DQ_NAMES = ["DATA", "CBC_CAT1", "CBC_CAT2", "CBC_CAT3", "BURST_CAT1", "BURST_CAT2", "BURST_CAT3"]
INJ_NAMES = ["NO_CBC_HW_INJ", "NO_BURST_HW_INJ", "NO_DETCHAR_HW_INJ", "NO_CW_HW_INJ", "NO_STOCH_HW_INJ"]
DQ, INJ = "quality/simple", "quality/injections"


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


@dataclass
class Bitmask:
    """A per-second GWOSC bitmask and its bit names; `key` and `names_key` say where they live, for messages."""

    values: np.ndarray
    names: list[str]
    key: str
    names_key: str


@dataclass
class RawStrain:
    """A GWOSC file's contents before any cut, whatever its format; masks load lazily, since a file need only hold
    the masks a study asks for (`mask(DQ)` / `mask(INJ)` raises GwoscFormatError when it is missing)."""

    path: Path
    detector: str
    gps_start: float
    fs: float
    strain: np.ndarray
    strain_key: str
    mask: Callable[[str], Bitmask]
    has_data_bit: Callable[[], bool]


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


def _hdf5_bitmask(f: h5py.File, path: Path, group: str) -> Bitmask:
    prefix = "DQ" if group == DQ else "Inj"
    key, names_key = f"{group}/{prefix}mask", f"{group}/{prefix}Shortnames"
    return Bitmask(_read(f, path, key), _names(_read(f, path, names_key)), f"'{key}'", f"'{names_key}'")


def _hdf5_has_data_bit(f: h5py.File, path: Path) -> bool:
    names = f"{DQ}/DQShortnames"
    return names in f and "DATA" in _names(_read(f, path, names))


def _mask_ok(raw: RawStrain, group: str, required: Sequence[str], n_seconds: int) -> np.ndarray:
    """Per-second boolean: every required bit of the group's mask is set."""
    ok = np.ones(n_seconds, dtype=bool)
    if not required:
        return ok
    mask = raw.mask(group)
    if mask.values.dtype.kind not in "iub" or mask.values.shape != (n_seconds,):
        raise GwoscFormatError(
            f"{raw.path}: {mask.key} holds {mask.values.dtype} of shape {mask.values.shape}, "
            f"expected {n_seconds} integers (one per second)"
        )
    for flag in required:
        if flag not in mask.names:
            raise GwoscFormatError(f"{raw.path}: flag '{flag}' not in {mask.names_key} {mask.names}")
        ok &= (mask.values.astype(np.int64) >> mask.names.index(flag)) & 1 == 1
    return ok


def _excusing(raw: RawStrain, dq_flags: Sequence[str]) -> list[str]:
    """DQ flags whose failure in a second makes Inf there a gap: those requested, and DATA when the file has it."""
    return [*dq_flags, "DATA"] if "DATA" not in dq_flags and raw.has_data_bit() else list(dq_flags)


def _check_inf(raw: RawStrain, dq_good: np.ndarray) -> None:
    """Inf is a gap only where the DQ mask marks the second bad; elsewhere it is a broken file."""
    strain, fs = raw.strain, raw.fs
    unexplained = np.flatnonzero(np.isinf(strain) & np.repeat(dq_good, int(fs))[: len(strain)])
    if len(unexplained):
        i = int(unexplained[0])
        raise GwoscFormatError(
            f"{raw.path}: {raw.strain_key} sample {i} (GPS {raw.gps_start + i / fs:.6f}) is {strain[i]} in a second "
            "the DQ mask marks good; expected finite strain, or NaN in a gap"
        )


def segment_from(raw: RawStrain, dq_flags: Sequence[str] = (), inj_flags: Sequence[str] = ()) -> GwoscSegment:
    """Cut a file's raw contents: samples are valid when finite and every requested DQ/injection bit is set.

    Inf in a second that the requested DQ flags (or the DATA bit, when the file has one) mark bad is cut like NaN;
    Inf anywhere else raises GwoscFormatError naming the first such sample and its GPS time."""
    n_seconds = int(np.ceil(len(raw.strain) / raw.fs))
    per_second = _mask_ok(raw, DQ, dq_flags, n_seconds) & _mask_ok(raw, INJ, inj_flags, n_seconds)
    if np.isinf(raw.strain).any():
        _check_inf(raw, _mask_ok(raw, DQ, _excusing(raw, dq_flags), n_seconds))
    valid = np.repeat(per_second, int(raw.fs))[: len(raw.strain)] & np.isfinite(raw.strain)
    return GwoscSegment(raw.path, raw.detector, raw.gps_start, raw.fs, raw.strain, valid)


def read_gwosc_hdf5(path: str | Path, dq_flags: Sequence[str] = (), inj_flags: Sequence[str] = ()) -> GwoscSegment:
    """Read one GWOSC HDF5 file and cut it as `segment_from` says."""
    path = Path(path)
    with _open(path) as f:
        strain, fs, gps_start = _strain(f, path)
        detector = _names(_read(f, path, "meta/Detector"))
        if len(detector) != 1 or not detector[0]:
            raise GwoscFormatError(f"{path}: 'meta/Detector' is {detector}, expected one name such as 'H1'")
        raw = RawStrain(
            path, detector[0], gps_start, fs, strain, f"'{STRAIN}'",
            lambda group: _hdf5_bitmask(f, path, group), lambda: _hdf5_has_data_bit(f, path),
        )  # fmt: skip
        return segment_from(raw, dq_flags, inj_flags)


def read_gwosc(path: str | Path, dq_flags: Sequence[str] = (), inj_flags: Sequence[str] = ()) -> GwoscSegment:
    """Read one GWOSC file, a GWF frame (`.gwf`) or HDF5 (any other suffix), into the same GwoscSegment.

    Samples are valid when finite and every requested DQ/injection bit is set (see `segment_from`)."""
    if Path(path).suffix.lower() == ".gwf":
        # gwpy takes seconds to import: only frame users pay for it
        from anomaly_lab.data.gw.frames import read_gwosc_frame

        return read_gwosc_frame(path, dq_flags, inj_flags)
    return read_gwosc_hdf5(path, dq_flags, inj_flags)


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
