"""Reference detectors on whitened windows: the matched filter (known signal) and excess power (unknown)."""

from __future__ import annotations

import numpy as np


def matched_filter_snr(x: np.ndarray, template: np.ndarray, band_fraction: float) -> np.ndarray:
    """Matched-filter SNR per window, <x, t> / sigma: N(0, 1) on noise, mean = optimal SNR with signal.

    `x` and `template` are whitened, unit-variance band-limited windows; the in-band noise level is
    1/band_fraction, hence sigma^2 = sum(t^2) / band_fraction.
    """
    sigma = np.sqrt(np.sum(template.astype(np.float64) ** 2, axis=-1) / band_fraction)
    return np.sum(x.astype(np.float64) * template, axis=-1) / sigma


def matched_filter_scores(arrays: dict[str, np.ndarray], band_fraction: float, seed: int) -> dict[str, np.ndarray]:
    """Matched-filter scores for the validation and test splits.

    Noise-only windows have no template of their own; each is filtered with the template of a randomly
    drawn injection, which leaves its N(0, 1) distribution unchanged (noise is independent of the template).
    """
    rng = np.random.default_rng(seed)
    labels = arrays["test_labels"]
    test_templates = arrays["test_template"][labels == 1]

    def noise_templates(n: int) -> np.ndarray:
        return test_templates[rng.integers(0, len(test_templates), n)]

    test_t = arrays["test_template"].copy()
    test_t[labels == 0] = noise_templates(int((labels == 0).sum()))
    return {
        "val": matched_filter_snr(arrays["val"], noise_templates(len(arrays["val"])), band_fraction),
        "val_signal": matched_filter_snr(arrays["val_signal"], arrays["val_signal_template"], band_fraction),
        "test": matched_filter_snr(arrays["test"], test_t, band_fraction),
    }


def excess_power(x: np.ndarray) -> np.ndarray:
    """Mean squared whitened strain per window: the classic detector for an unknown transient in white noise."""
    return np.mean(x.astype(np.float64) ** 2, axis=-1)
