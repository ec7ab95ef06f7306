"""Whitening, noise colouring and injection SNR, checked against independent routes (scipy, LALSimulation)."""

from __future__ import annotations

import lal
import lalsimulation
import numpy as np
import pytest
from scipy.signal import welch

from anomaly_lab.data.gw.families import BinaryBlackHole
from anomaly_lab.data.gw.injections import InjectionConfig, draw_parameters
from anomaly_lab.data.gw.sources import SimulatedNoise
from anomaly_lab.data.gw.whitening import Whitener
from anomaly_lab.data.gw.windows import WindowLayout, background_windows, scaled_injection, signal_windows

FS = 2048.0


def _setup(detector: str = "aligo", layout: WindowLayout | None = None):
    layout = layout or WindowLayout(FS, 0.25, 8.0, 5.5)
    source = SimulatedNoise(detector, FS, layout.n_context)
    return layout, source, Whitener(source.psd, FS, layout.n_context, 20.0, 500.0)


@pytest.mark.parametrize("detector", ["aligo", "advirgo"])
def test_whitened_noise_is_white_with_unit_variance(detector: str) -> None:
    layout, source, whitener = _setup(detector)
    x = background_windows(source, whitener, layout, 300, np.random.default_rng(1), "noise")
    # 300 windows x 512 samples: the variance estimate is good to well under 1 %
    assert x.var() == pytest.approx(1.0, abs=0.02)
    assert abs(x.mean()) < 0.01
    freqs, pxx = welch(x.astype(np.float64), fs=FS, nperseg=256, axis=-1)
    pxx = pxx.mean(axis=0)
    band = (freqs >= 30) & (freqs <= 480)
    # flat within the band: every bin within 10 % of the band mean (expected scatter about 2 %)
    assert np.all(np.abs(pxx[band] / pxx[band].mean() - 1) < 0.10)
    # and suppressed outside it
    assert pxx[freqs < 12].max() < 0.05 * pxx[band].mean()
    assert pxx[freqs > 520].max() < 0.05 * pxx[band].mean()


def test_injected_snr_matches_lalsimulation_measure_snr_within_one_percent() -> None:
    # a heavy BBH whose whole in-band signal lies inside a long window, so both SNRs see the same signal
    layout = WindowLayout(FS, 2.0, 8.0, 4.0)
    _, source, whitener = _setup(layout=layout)
    cfg = InjectionConfig(mass_min=35, mass_max=50, merger_min=0.75, merger_max=0.8)
    params = draw_parameters(cfg, 5, layout.window_s, np.random.default_rng(3))
    for p in params:
        h, _, _ = scaled_injection(p, BinaryBlackHole(cfg, source.site), source, whitener, layout, cfg.f_min)
        n = len(h)
        spectrum = np.fft.rfft(h) / FS
        htilde = lal.CreateCOMPLEX16FrequencySeries("h", 0, 0, FS / n, lal.StrainUnit * lal.SecondUnit, len(spectrum))
        htilde.data.data = spectrum
        psd_unit = lal.StrainUnit * lal.StrainUnit * lal.SecondUnit
        psd = lal.CreateREAL8FrequencySeries("psd", 0, 0, FS / n, psd_unit, len(spectrum))
        f = np.arange(len(spectrum)) * FS / n
        psd.data.data = [lalsimulation.SimNoisePSDaLIGOZeroDetHighPower(x) if x >= 10 else 0.0 for x in f]
        measured = lalsimulation.MeasureSNRFD(htilde, psd, 20.0, 500.0)
        assert measured == pytest.approx(p["snr"], rel=0.01)


def test_injection_parameters_record_the_effective_distance() -> None:
    layout, source, whitener = _setup()
    cfg = InjectionConfig(snr_distribution="fixed", snr_min=12.0)
    sig = signal_windows(source, whitener, layout, cfg, 20, np.random.default_rng(7), "signal")
    p = sig["params"]
    assert np.all(p["snr"] == 12.0)
    assert np.all(p["mass1"] >= p["mass2"])
    # the recorded distance is the effective one: a source placed there already has the SNR, no scaling needed
    for i in range(3):
        _, window, redrawn = scaled_injection(p[i], BinaryBlackHole(cfg, source.site), source, whitener, layout, 20.0)
        assert redrawn["snr"] == pytest.approx(12.0, rel=1e-6)
        assert redrawn["distance_mpc"] == pytest.approx(p[i]["distance_mpc"], rel=1e-6)
        np.testing.assert_allclose(window, sig["template"][i], rtol=1e-4, atol=1e-4 * np.abs(window).max())


def test_window_must_clear_the_edge_tapers() -> None:
    with pytest.raises(ValueError, match="window_offset_s"):
        WindowLayout(FS, 0.25, 8.0, 7.9).check(0.5)


def test_unknown_detector_is_rejected() -> None:
    with pytest.raises(ValueError, match="data.detector"):
        SimulatedNoise("kagra", FS, 1024)
