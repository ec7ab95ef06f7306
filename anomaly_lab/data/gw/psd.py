"""Power spectral densities: lalsimulation design curves for the simulation, Welch estimates for real data."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import lalsimulation
import numpy as np
from scipy import signal

DESIGN_PSDS: dict[str, Callable[[float], float]] = {
    "aligo": lalsimulation.SimNoisePSDaLIGOZeroDetHighPower,
    "advirgo": lalsimulation.SimNoisePSDAdvVirgo,
}
# lal's cached detector used for the antenna pattern of each simulated detector
DESIGN_SITES = {"aligo": "H1", "advirgo": "V1"}


def design_psd(detector: str, freqs: np.ndarray, f_min: float = 10.0) -> np.ndarray:
    """One-sided design PSD [1/Hz] on `freqs`; zero below `f_min`, where the analytic fits blow up."""
    if detector not in DESIGN_PSDS:
        raise ValueError(f"data.detector: expected one of {sorted(DESIGN_PSDS)}, got {detector!r}")
    fn = DESIGN_PSDS[detector]
    out = np.zeros(len(freqs))
    keep = freqs >= f_min
    out[keep] = [fn(float(f)) for f in freqs[keep]]
    return out


class InterpolatedPSD:
    """A PSD known on a frequency grid, evaluated on any other grid by linear interpolation."""

    def __init__(self, freqs: np.ndarray, values: np.ndarray) -> None:
        self.freqs = np.asarray(freqs, dtype=float)
        self.values = np.asarray(values, dtype=float)

    def __call__(self, freqs: np.ndarray) -> np.ndarray:
        return np.interp(freqs, self.freqs, self.values)


class DesignPSD:
    """A design PSD as a callable on frequency grids, cached per grid length (chunks all share one)."""

    def __init__(self, detector: str) -> None:
        self.detector = detector
        self._cache: dict[tuple[int, float], np.ndarray] = {}

    def __call__(self, freqs: np.ndarray) -> np.ndarray:
        key = (len(freqs), float(freqs[-1]))
        if key not in self._cache:
            self._cache[key] = design_psd(self.detector, freqs)
        return self._cache[key]


def median_welch(x: np.ndarray, fs: float, nperseg: int) -> np.ndarray:
    """One stretch's one-sided PSD on `np.fft.rfftfreq(nperseg, 1 / fs)`: median-averaged Welch, Hann window."""
    return signal.welch(x, fs=fs, nperseg=nperseg, average="median", window="hann")[1]


def welch_psd(
    stretches: Sequence[Any],
    fs: float,
    segment_s: float = 4.0,
    estimate: Callable[[Any, float, int], np.ndarray] = median_welch,
) -> InterpolatedPSD:
    """Median-averaged Welch PSD over valid data stretches, weighted by their number of segments (`estimate`: the
    per-stretch periodogram, e.g. the scanner's twin of `median_welch` on GPU tensors)."""
    nperseg = int(segment_s * fs)
    estimates, weights = [], []
    for x in stretches:
        if len(x) < nperseg:
            continue
        estimates.append(estimate(x, fs, nperseg))
        weights.append(len(x) // nperseg)
    if not estimates:
        raise ValueError(f"no valid data stretch is longer than the PSD segment ({segment_s} s)")
    return InterpolatedPSD(np.fft.rfftfreq(nperseg, 1 / fs), np.average(estimates, axis=0, weights=weights))
