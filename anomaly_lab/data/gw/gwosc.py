"""Reader for GWOSC strain files (HDF5): strain, data-quality and injection masks, valid stretches."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import h5py
import numpy as np
from scipy.signal import resample_poly


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


def _read(f: h5py.File, path: Path, key: str) -> np.ndarray:
    if key not in f:
        raise GwoscFormatError(f"{path}: missing '{key}' (expected a GWOSC strain file)")
    return f[key][()]


def _names(raw: np.ndarray) -> list[str]:
    return [n.decode() if isinstance(n, bytes) else str(n) for n in np.atleast_1d(raw)]


def _mask_ok(f: h5py.File, path: Path, group: str, required: Sequence[str], n_seconds: int) -> np.ndarray:
    """Per-second boolean: every required bit of the group's mask is set."""
    ok = np.ones(n_seconds, dtype=bool)
    if not required:
        return ok
    prefix = "DQ" if group.endswith("simple") else "Inj"
    mask = _read(f, path, f"{group}/{prefix}mask").astype(np.int64)
    names = _names(_read(f, path, f"{group}/{prefix}Shortnames"))
    if len(mask) != n_seconds:
        raise GwoscFormatError(f"{path}: '{group}/{prefix}mask' has {len(mask)} entries, expected {n_seconds}")
    for flag in required:
        if flag not in names:
            raise GwoscFormatError(f"{path}: flag '{flag}' not in '{group}/{prefix}Shortnames' {names}")
        ok &= (mask >> names.index(flag)) & 1 == 1
    return ok


def read_gwosc(path: str | Path, dq_flags: Sequence[str] = (), inj_flags: Sequence[str] = ()) -> GwoscSegment:
    """Read one GWOSC file; samples are valid when finite and every requested DQ/injection bit is set."""
    path = Path(path)
    if not path.is_file():
        raise GwoscFormatError(f"{path}: no such file")
    try:
        f = h5py.File(path, "r")
    except OSError as err:
        raise GwoscFormatError(f"{path}: not an HDF5 file ({err.__class__.__name__})") from None
    with f:
        if "strain/Strain" not in f:
            raise GwoscFormatError(f"{path}: missing 'strain/Strain' (expected a GWOSC strain file)")
        dset = f["strain/Strain"]
        for attr in ("Xspacing", "Xstart"):
            if attr not in dset.attrs:
                raise GwoscFormatError(f"{path}: 'strain/Strain' lacks attribute '{attr}'")
        strain = dset[()].astype(np.float64)
        fs = 1.0 / float(dset.attrs["Xspacing"])
        gps_start = float(dset.attrs["Xstart"])
        detector = _names(_read(f, path, "meta/Detector"))[0]
        if abs(fs - round(fs)) > 1e-6:
            raise GwoscFormatError(f"{path}: 'strain/Strain' Xspacing gives a non-integer rate {fs} Hz")
        fs = float(round(fs))
        n_seconds = int(np.ceil(len(strain) / fs))
        per_second = _mask_ok(f, path, "quality/simple", dq_flags, n_seconds)
        per_second &= _mask_ok(f, path, "quality/injections", inj_flags, n_seconds)
    valid = np.repeat(per_second, int(fs))[: len(strain)] & np.isfinite(strain)
    return GwoscSegment(path, detector, gps_start, fs, strain, valid)


def valid_stretches(segment: GwoscSegment, fs_out: float, min_s: float) -> list[np.ndarray]:
    """Contiguous valid stretches at least `min_s` long, resampled to `fs_out` (NaN never crosses a filter)."""
    edges = np.flatnonzero(np.diff(np.concatenate([[0], segment.valid.astype(np.int8), [0]])))
    out = []
    for lo, hi in zip(edges[::2], edges[1::2], strict=True):
        if (hi - lo) / segment.fs < min_s:
            continue
        x = segment.strain[lo:hi]
        if segment.fs != fs_out:
            g = np.gcd(int(segment.fs), int(fs_out))
            x = resample_poly(x, int(fs_out) // g, int(segment.fs) // g)
        out.append(x)
    return out
