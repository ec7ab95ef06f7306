"""Truncated (FIR-like) whitening: finite impulse response, unit-variance output, and the exact filter as its limit."""

from __future__ import annotations

import numpy as np
import pytest

from anomaly_lab.data.gw.psd import DesignPSD
from anomaly_lab.data.gw.sources import SimulatedNoise
from anomaly_lab.data.gw.whitening import Whitener, band_mask

FS, N = 2048.0, 16384  # 8 s chunks
WINDOW = slice(int(5.5 * FS), int(5.5 * FS) + 512)


@pytest.fixture(scope="module")
def chunks() -> np.ndarray:
    return np.array(list(SimulatedNoise("aligo", FS, N).chunks(150, np.random.default_rng(4))))


def test_default_whitener_is_the_exact_frequency_domain_filter() -> None:
    psd = DesignPSD("aligo")
    freqs = np.fft.rfftfreq(N, 1 / FS)
    mask = band_mask(freqs, 20.0, 500.0, 4.0)
    s = np.where(mask > 0, psd(freqs), 1.0)
    whitener = Whitener(psd, FS, N, 20.0, 500.0)
    weight = np.where((freqs == 0) | (freqs == FS / 2), 1.0, 2.0)
    bf = np.sum(weight * mask**2) / N
    np.testing.assert_array_equal(whitener.response[1], mask / np.sqrt(FS * s / 2) / np.sqrt(bf))
    assert whitener.band_fraction == bf and whitener.margin_s == 0.5


@pytest.mark.parametrize("duration_s", [0.5, 2.0, 4.0])
def test_truncated_filter_has_a_finite_impulse_response(duration_s: float) -> None:
    whitener = Whitener(DesignPSD("aligo"), FS, N, 20.0, 500.0, filter_duration_s=duration_s)
    impulse = np.fft.irfft(whitener.response[1], n=N)
    lag = np.minimum(np.arange(N), N - np.arange(N)) / FS
    assert np.all(impulse[lag >= duration_s / 2] == pytest.approx(0.0, abs=1e-12 * np.abs(impulse).max()))
    assert np.abs(impulse[lag < duration_s / 4]).max() > 0.1 * np.abs(impulse).max()
    assert whitener.margin_s == 0.5 + duration_s / 2


@pytest.mark.parametrize("duration_s", [0.5, 2.0, 4.0])
def test_truncated_whitening_keeps_unit_variance(chunks: np.ndarray, duration_s: float) -> None:
    whitener = Whitener(DesignPSD("aligo"), FS, N, 20.0, 500.0, filter_duration_s=duration_s)
    x = whitener(chunks)[:, WINDOW]
    # 150 windows x 512 samples: the variance estimate is good to about 1 %
    assert x.var() == pytest.approx(1.0, abs=0.03)


def test_long_truncated_filter_reproduces_the_exact_filter(chunks: np.ndarray) -> None:
    exact = Whitener(DesignPSD("aligo"), FS, N, 20.0, 500.0)
    errors = []
    for duration_s in (1.0, 4.0, 8.0):
        truncated = Whitener(DesignPSD("aligo"), FS, N, 20.0, 500.0, filter_duration_s=duration_s)
        ref, x = exact(chunks)[:, WINDOW], truncated(chunks)[:, WINDOW]
        errors.append(np.sqrt(np.mean((x - ref) ** 2) / np.mean(ref**2)))
        assert truncated.band_fraction == pytest.approx(exact.band_fraction, rel=0.01)
    # a longer filter is closer to the exact one, and 4 s of response is already within a tenth of a percent
    assert errors[0] > errors[1] > errors[2] and errors[1] < 1e-3


def test_truncated_filter_smooths_a_spectral_line_it_cannot_resolve() -> None:
    # a narrow line (0.5 Hz) in the PSD needs seconds of impulse response: a 0.25 s filter under-whitens it
    def lined(f: np.ndarray) -> np.ndarray:
        return DesignPSD("aligo")(f) * (1 + 1e3 * (np.abs(f - 120.0) < 0.25))

    freqs = np.fft.rfftfreq(N, 1 / FS)
    line = np.abs(freqs - 120.0) < 0.25
    exact = Whitener(lined, FS, N, 20.0, 500.0).response[1]
    short = Whitener(lined, FS, N, 20.0, 500.0, filter_duration_s=0.25).response[1]
    assert np.all(short[line] > 5 * exact[line])


@pytest.mark.parametrize("duration_s", [0.0, -1.0, 9.0])
def test_bad_filter_duration_names_the_config_key(duration_s: float) -> None:
    with pytest.raises(ValueError, match="data.whitening_filter_s"):
        Whitener(DesignPSD("aligo"), FS, N, 20.0, 500.0, filter_duration_s=duration_s)
