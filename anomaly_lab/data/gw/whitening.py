"""Whitening and band-passing of strain chunks, so that Gaussian noise becomes white with unit variance."""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
from scipy.signal.windows import tukey


def band_mask(freqs: np.ndarray, f_low: float, f_high: float, taper_hz: float) -> np.ndarray:
    """Pass band [f_low, f_high] with cosine roll-offs of width `taper_hz` outside it."""
    mask = ((freqs >= f_low) & (freqs <= f_high)).astype(float)
    if taper_hz > 0:
        lo = (freqs > f_low - taper_hz) & (freqs < f_low)
        mask[lo] = 0.5 * (1 - np.cos(np.pi * (freqs[lo] - (f_low - taper_hz)) / taper_hz))
        hi = (freqs > f_high) & (freqs < f_high + taper_hz)
        mask[hi] = 0.5 * (1 + np.cos(np.pi * (freqs[hi] - f_high) / taper_hz))
    return mask


class Whitener:
    """Divides a chunk's spectrum by the noise amplitude spectral density and keeps the analysis band.

    The output of Gaussian noise with the given PSD is band-limited white noise of unit variance; a
    whitened signal `w` then has optimal SNR^2 = band_fraction * sum(w**2) over any span of samples.
    With `filter_duration_s` the filter is cut to that many seconds of impulse response (as a pipeline's FIR
    whitening filter is), which also bounds how far a loud transient smears; the output keeps unit variance.
    """

    def __init__(
        self,
        psd: Callable[[np.ndarray], np.ndarray],
        fs: float,
        n_samples: int,
        f_low: float,
        f_high: float,
        taper_hz: float = 4.0,
        edge_taper_s: float = 0.5,
        filter_duration_s: float | None = None,
    ) -> None:
        if not 0 < f_low < f_high < fs / 2:
            raise ValueError(f"band: expected 0 < f_low < f_high < fs/2 = {fs / 2}, got [{f_low}, {f_high}]")
        self.fs, self.n_samples = fs, n_samples
        freqs = np.fft.rfftfreq(n_samples, 1 / fs)
        mask = band_mask(freqs, f_low, f_high, taper_hz)
        s = psd(freqs)
        if np.any(s[mask > 0] <= 0):
            raise ValueError(f"PSD is not positive over the analysis band [{f_low}, {f_high}] Hz")
        # two-sided weight of each rfft bin: DC and Nyquist once, the rest twice
        weight = np.full(len(freqs), 2.0)
        weight[0] = 1.0
        if n_samples % 2 == 0:
            weight[-1] = 1.0
        safe = np.where(mask > 0, s, 1.0)
        raw = mask / np.sqrt(fs * safe / 2)
        if filter_duration_s is not None:
            raw = truncate_filter(raw, fs, n_samples, filter_duration_s)
            # the truncated filter passes |raw|^2 * PSD instead of mask^2: that is the band it keeps at unit variance
            mask = np.abs(raw) * np.sqrt(fs * np.maximum(s, 0) / 2)
        self.band_fraction = float(np.sum(weight * mask**2) / n_samples)
        self._filter = raw / np.sqrt(self.band_fraction)
        self._edge = tukey(n_samples, alpha=min(1.0, 2 * edge_taper_s * fs / n_samples))
        # how far from each chunk edge the output is spoilt: the edge taper, then the filter's wrap-around
        self.margin_s = edge_taper_s + (filter_duration_s or 0.0) / 2

    def __call__(self, chunk: np.ndarray) -> np.ndarray:
        """Whitened, band-passed chunk (last axis is time); edges inside `margin_s` are unusable."""
        if chunk.shape[-1] != self.n_samples:
            raise ValueError(f"chunk has {chunk.shape[-1]} samples, whitener expects {self.n_samples}")
        spectrum = np.fft.rfft(chunk * self._edge, axis=-1) * self._filter
        return np.fft.irfft(spectrum, n=self.n_samples, axis=-1)

    @property
    def response(self) -> tuple[np.ndarray, np.ndarray]:
        """(edge taper in time, filter per rfft bin): what `__call__` applies, for whitening on another device."""
        return self._edge, self._filter

    def optimal_snr(self, whitened_signal: np.ndarray) -> float:
        """Optimal matched-filter SNR of a whitened signal (restricted to whatever span is passed)."""
        return float(np.sqrt(self.band_fraction * np.sum(whitened_signal**2)))


def truncate_filter(response: np.ndarray, fs: float, n_samples: int, duration_s: float) -> np.ndarray:
    """A zero-phase filter (per rfft bin) cut to +-duration/2 of impulse response under a Hann taper.

    What pycbc's `inverse_spectrum_truncation` and gwpy's `whiten(fduration=...)` do: the filter then acts
    like a finite FIR filter, so it no longer whitens the finest spectral features exactly.
    """
    n_taps = int(round(duration_s * fs))
    if not 0 < n_taps <= n_samples:
        raise ValueError(f"data.whitening_filter_s: expected in (0, {n_samples / fs}] s, got {duration_s}")
    impulse = np.fft.irfft(response, n=n_samples)
    lag = np.minimum(np.arange(n_samples), n_samples - np.arange(n_samples)) / fs
    taper = np.where(lag < duration_s / 2, np.cos(np.pi * lag / duration_s) ** 2, 0.0)
    return np.fft.rfft(impulse * taper).real


def coloured_noise(psd_values: np.ndarray, fs: float, n_samples: int, rng: np.random.Generator) -> np.ndarray:
    """Stationary Gaussian noise with one-sided PSD `psd_values` given on the chunk's rfft grid."""
    n_bins = n_samples // 2 + 1
    amp = np.sqrt(n_samples * fs * psd_values / 2)
    spectrum = amp * (rng.standard_normal(n_bins) + 1j * rng.standard_normal(n_bins)) / np.sqrt(2)
    spectrum[0] = amp[0] * rng.standard_normal()
    if n_samples % 2 == 0:
        spectrum[-1] = amp[-1] * rng.standard_normal()
    return np.fft.irfft(spectrum, n=n_samples)
