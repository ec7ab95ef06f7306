"""The optimal SNR of a whole waveform, as the literature quotes it: 4 ∫ |h(f)|² / S(f) df from a low frequency.

The windows' own SNR (`Whitener.optimal_snr` of the whitened signal inside the 0.25 s window, band-passed) is what an
analysis of that window can at best reach; the full SNR counts the whole signal, wherever it lies, in the band
[f_low, fs/2). Tables quote both, so that "SNR 8" is never ambiguous.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

# the integral is a sum over rfft bins: short waveforms are zero-padded so the bins resolve the PSD's slopes
MIN_PADDED_S = 8.0


def full_snr(
    strain: np.ndarray, fs: float, psd: Callable[[np.ndarray], np.ndarray], f_low: float, f_high: float | None = None
) -> float:
    """Optimal SNR of the whole `strain` (zero-padded to a power of two at least twice its length and MIN_PADDED_S)
    against the one-sided `psd` over [f_low, f_high) (f_high defaults to the Nyquist frequency, which is left out)."""
    n = 1 << int(np.ceil(np.log2(max(2 * len(strain), MIN_PADDED_S * fs))))
    freqs = np.fft.rfftfreq(n, 1 / fs)
    htilde = np.fft.rfft(strain, n=n) / fs
    s = psd(freqs)
    top = fs / 2 if f_high is None else f_high
    band = (freqs >= f_low) & (freqs < top)
    if np.any(s[band] <= 0):
        raise ValueError(f"PSD is not positive over [{f_low}, {top}) Hz, where the full SNR is integrated")
    df = fs / n
    return float(np.sqrt(4 * df * np.sum(np.abs(htilde[band]) ** 2 / s[band])))
