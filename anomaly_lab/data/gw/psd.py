"""Power spectral densities: lalsimulation design curves for the simulation, Welch estimates for real data."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import lal
import lalsimulation
import numpy as np
from scipy import signal

DESIGN_PSDS: dict[str, Callable[[float], float]] = {
    "aligo": lalsimulation.SimNoisePSDaLIGOZeroDetHighPower,
    "advirgo": lalsimulation.SimNoisePSDAdvVirgo,
}
# Observing-scenario curves of LIGO-P1200087 standing in for the O2 detectors (BNS ranges from lalsimulation's
# MeasureStandardSirenSenseMonitorRange, 10 Hz-2 kHz): L1 'mid, low' and H1 'early, high' are one curve, 80.6 Mpc
# (O2 reached about 80-100 Mpc in L1 and 60-70 Mpc in H1, GWTC-1); V1 'early, low', 21.2 Mpc (O2 Virgo: about 25 Mpc).
SERIES_PSDS: dict[str, Callable[[Any, float], int]] = {
    "o2_l1": lalsimulation.SimNoisePSDaLIGOMidLowSensitivityP1200087,
    "o2_h1": lalsimulation.SimNoisePSDaLIGOEarlyHighSensitivityP1200087,
    "o2_v1": lalsimulation.SimNoisePSDAdVEarlyLowSensitivityP1200087,
}
# lal's cached detector used for the antenna pattern of each simulated detector
DESIGN_SITES = {"aligo": "H1", "advirgo": "V1", "o2_l1": "L1", "o2_h1": "H1", "o2_v1": "V1"}
PSD_UNIT = lal.StrainUnit * lal.StrainUnit * lal.SecondUnit


def _series_psd(fill: Callable[[Any, float], int], freqs: np.ndarray, f_min: float) -> np.ndarray:
    """A P1200087 curve (lalsimulation fills a frequency series from 0 Hz) on the uniform grid `freqs`."""
    df = float(freqs[1] - freqs[0])
    series = lal.CreateREAL8FrequencySeries("psd", 0, 0.0, df, PSD_UNIT, len(freqs))
    series.data.data[:] = 0.0
    fill(series, f_min)
    return np.asarray(series.data.data, dtype=float)


def design_psd(detector: str, freqs: np.ndarray, f_min: float = 10.0) -> np.ndarray:
    """One-sided PSD [1/Hz] of a simulated detector on `freqs` (a uniform grid from 0 Hz for the O2 curves); zero
    below `f_min`, where the analytic fits blow up."""
    if detector in SERIES_PSDS:
        if len(freqs) < 2 or freqs[0] != 0 or not np.allclose(np.diff(freqs), freqs[1] - freqs[0]):
            raise ValueError(f"data.detector={detector}: its curve is only made on a uniform grid from 0 Hz")
        return _series_psd(SERIES_PSDS[detector], freqs, f_min)
    if detector not in DESIGN_PSDS:
        known = sorted([*DESIGN_PSDS, *SERIES_PSDS])
        raise ValueError(f"data.detector: expected one of {known}, got {detector!r}")
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
