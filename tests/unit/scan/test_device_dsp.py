"""The GPU twins of training's resampling and PSD estimate give scipy's numbers (here on the CPU, and on a GPU when
the machine has one)."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from scipy.signal import resample_poly, welch

from anomaly_lab.data.gw import psd as training_psd
from anomaly_lab.scan import device_dsp

DEVICES = ["cpu"] + (["cuda"] if torch.cuda.is_available() else [])


@pytest.mark.parametrize("device", DEVICES)
@pytest.mark.parametrize(("fs_in", "fs_out"), [(4096, 2048), (16384, 2048), (2048, 4096), (3000, 2048), (4096, 4096)])
@pytest.mark.parametrize("n", [50, 1001, 3 * 4096 + 7])
def test_resampling_equals_resample_poly(device: str, fs_in: int, fs_out: int, n: int) -> None:
    x = np.random.default_rng(n).standard_normal(n)
    g = np.gcd(fs_in, fs_out)
    expected = resample_poly(x, fs_out // g, fs_in // g)
    got = device_dsp.resample(torch.from_numpy(x).to(device), fs_in, fs_out).cpu().numpy()
    assert got.shape == expected.shape
    np.testing.assert_allclose(got, expected, rtol=0, atol=1e-12 * np.abs(expected).max())


@pytest.mark.parametrize("device", DEVICES)
@pytest.mark.parametrize("n_segments", [1, 2, 3, 10])
def test_median_welch_equals_scipy(device: str, n_segments: int) -> None:
    nperseg = 512
    n = nperseg // 2 * (n_segments + 1) + 37  # a tail shorter than a step, which scipy leaves out too
    x = np.random.default_rng(n_segments).standard_normal(n) * 1e-21 + 3e-20  # an offset the detrend must remove
    _, expected = welch(x, fs=2048, nperseg=nperseg, average="median", window="hann")
    got = device_dsp.welch(torch.from_numpy(x).to(device), 2048, nperseg).cpu().numpy()
    np.testing.assert_allclose(got, expected, rtol=1e-10, atol=0)


def test_psd_over_stretches_equals_training_estimate() -> None:
    rng = np.random.default_rng(0)
    stretches = [rng.standard_normal(2048 * s) for s in (20, 9, 3)]  # the 3 s one is shorter than a segment
    freqs = np.linspace(0, 1024, 777)
    expected = training_psd.welch_psd(stretches, 2048, 4.0)(freqs)
    got = training_psd.welch_psd([torch.from_numpy(s) for s in stretches], 2048, 4.0, device_dsp.welch_numpy)(freqs)
    np.testing.assert_allclose(got, expected, rtol=1e-10)
    with pytest.raises(ValueError, match="longer than the PSD segment"):
        training_psd.welch_psd([torch.zeros(100, dtype=torch.float64)], 2048, 4.0, device_dsp.welch_numpy)
