"""Training's resampling and PSD estimate, in torch on the scanning GPU: scipy's `resample_poly` (same Kaiser FIR,
same padding) and `welch_psd` (median-averaged Welch, Hann window, half overlap, mean removed per segment, scipy's
median bias). Equal to scipy's numbers to float64 rounding (tests compare them on the CPU); on a GPU they take
milliseconds where scipy takes most of a scan's time."""

from __future__ import annotations

import numpy as np
import torch
from scipy.signal import firwin


def _fir(up: int, down: int) -> tuple[np.ndarray, int]:
    """resample_poly's filter, zero-padded as it pads it, and how many leading outputs it drops."""
    max_rate = max(up, down)
    half_len = 10 * max_rate
    h = firwin(2 * half_len + 1, 1.0 / max_rate, window=("kaiser", 5.0)) * up
    n_pre_pad = down - half_len % down
    return np.concatenate([np.zeros(n_pre_pad), h]), (half_len + n_pre_pad) // down


def resample(x: torch.Tensor, fs_in: int, fs_out: int) -> torch.Tensor:
    """`scipy.signal.resample_poly(x, up, down)` (float64, 1-D) for the rates' reduced ratio up/down."""
    g = int(np.gcd(int(fs_in), int(fs_out)))
    up, down = int(fs_out) // g, int(fs_in) // g
    if up == down == 1:
        return x.clone()
    n_in = len(x)
    n_out = -(-n_in * up // down)
    h, skip = _fir(up, down)
    upsampled = x.new_zeros((n_in - 1) * up + 1)
    upsampled[::up] = x
    # full convolution sampled every `down`: output m is sum_j h[j] * upsampled[m * down - j]
    padded = torch.nn.functional.pad(upsampled, (len(h) - 1, len(h) + (skip + 1) * down))
    flipped = h[::-1].copy()
    first, n = skip * down, n_out
    out = x.new_zeros(n)
    for j, tap in enumerate(flipped):
        if tap:
            start = first + j
            out += float(tap) * padded[start : start + (n - 1) * down + 1 : down]
    return out


def _median_bias(n: int) -> float:
    """scipy's bias of the median of n chi-squared(2) periodogram values, relative to their mean."""
    ii_2 = 2 * np.arange(1.0, (n - 1) // 2 + 1)
    return float(1 + np.sum(1.0 / (ii_2 + 1) - 1.0 / ii_2))


def welch(x: torch.Tensor, fs: float, nperseg: int) -> torch.Tensor:
    """One-sided PSD density of `x` by `scipy.signal.welch(x, fs, nperseg=nperseg, average="median")`."""
    window = torch.hann_window(nperseg, periodic=True, dtype=x.dtype, device=x.device)
    segments = x.unfold(0, nperseg, nperseg - nperseg // 2)
    segments = segments - segments.mean(dim=1, keepdim=True)
    power = torch.fft.rfft(segments * window).abs().square() / (fs * window.square().sum())
    power[:, 1 : -1 if nperseg % 2 == 0 else None] *= 2
    ordered = power.sort(dim=0).values
    n = len(ordered)
    median = (ordered[(n - 1) // 2] + ordered[n // 2]) / 2
    return median / _median_bias(n) if n > 1 else median


def welch_numpy(x: torch.Tensor, fs: float, nperseg: int) -> np.ndarray:
    """`welch` as `anomaly_lab.data.gw.psd.welch_psd` takes its per-stretch estimate: a numpy array."""
    return welch(x, fs, nperseg).cpu().numpy()
