"""Glitch waveform families: SNR normalisation against LALSimulation, blip shape, scattered-light arch geometry."""

from __future__ import annotations

import lal
import lalsimulation
import numpy as np
import pytest
from scipy.ndimage import uniform_filter1d
from scipy.signal import hilbert

from anomaly_lab.data.gw.families import WaveformFamily
from anomaly_lab.data.gw.glitches import BlipGlitch, ScatteredLightArch
from anomaly_lab.data.gw.psd import DesignPSD
from anomaly_lab.data.gw.snr import full_snr

FS = 2048.0


def _lal_snr(h: np.ndarray, f_low: float, f_high: float) -> float:
    """LALSimulation's SNR of `h` padded to 64 s (a different grid from `optimal_snr`'s)."""
    n = int(64 * FS)
    spectrum = np.fft.rfft(h, n=n) / FS
    htilde = lal.CreateCOMPLEX16FrequencySeries("h", 0, 0, FS / n, lal.StrainUnit * lal.SecondUnit, len(spectrum))
    htilde.data.data = spectrum
    psd = lal.CreateREAL8FrequencySeries("psd", 0, 0, FS / n, lal.StrainUnit**2 * lal.SecondUnit, len(spectrum))
    f = np.arange(len(spectrum)) * FS / n
    psd.data.data = [lalsimulation.SimNoisePSDaLIGOZeroDetHighPower(x) if x >= 10 else 0.0 for x in f]
    return lalsimulation.MeasureSNRFD(htilde, psd, f_low, f_high)


@pytest.mark.parametrize("family", [BlipGlitch(), ScatteredLightArch()], ids=lambda f: f.name)
def test_scaled_glitch_has_the_requested_snr_by_lalsimulation(family: WaveformFamily) -> None:
    params = family.draw(4, np.random.default_rng(2))
    for p, snr in zip(params, [6.0, 12.0, 25.0, 50.0], strict=True):
        h, _ = family.strain(p, FS)
        scaled = h * snr / full_snr(h, FS, DesignPSD("aligo"), 20.0, 500.0)
        assert _lal_snr(scaled, 20.0, 500.0) == pytest.approx(snr, rel=0.01)


@pytest.mark.parametrize("family", [BlipGlitch(), ScatteredLightArch()], ids=lambda f: f.name)
def test_family_draws_its_parameters_and_renders_deterministically(family: WaveformFamily) -> None:
    params = family.draw(50, np.random.default_rng(0))
    assert params.dtype.names == family.parameter_names
    assert all(params.dtype[name] == np.float64 for name in family.parameter_names)
    h1, t1 = family.strain(params[3], FS)
    h2, t2 = family.strain(params[3].copy(), FS)
    np.testing.assert_array_equal(h1, h2)
    # the reference time (peak / centre) lies inside the waveform
    assert t1 == t2 and t1 < 0 < t1 + len(h1) / FS


def test_blip_duration_and_peak_frequency_lie_in_the_stated_ranges() -> None:
    blip = BlipGlitch()
    params = blip.draw(300, np.random.default_rng(5))
    assert np.all((params["f0_hz"] >= 30) & (params["f0_hz"] <= 250))
    assert np.all((params["q"] >= 1) & (params["q"] <= 4))
    for p in params[:60]:
        h, t0 = blip.strain(p, FS)
        # the envelope of both quadratures is exp(-t^2 / tau^2) in power: its rms width is tau / sqrt(2)
        quad = p.copy()
        quad["phase"] += np.pi / 2
        power = h**2 + blip.strain(quad, FS)[0] ** 2
        t = t0 + np.arange(len(h)) / FS
        tau = np.sqrt(2 * np.sum(power * t**2) / np.sum(power))
        assert 2 * tau == pytest.approx(p["duration_s"], rel=0.01)
        assert 0.005 * 0.99 <= 2 * tau <= 0.03 * 1.01
        assert abs(np.sum(power * t) / np.sum(power)) < 1 / FS  # centred on its reference time
        spectrum = np.abs(np.fft.rfft(h, n=int(8 * FS)))
        peak = np.fft.rfftfreq(int(8 * FS), 1 / FS)[np.argmax(spectrum)]
        # low Q lets the negative-frequency image pull the peak by up to a few % of f0 at Q = 1
        assert peak == pytest.approx(p["f0_hz"], rel=0.06)


def _instantaneous_frequency(h: np.ndarray) -> np.ndarray:
    """Hilbert phase derivative, averaged over 0.1 s (>= 2 cycles) to remove its ripple."""
    phase = np.unwrap(np.angle(hilbert(h)))
    return uniform_filter1d(np.gradient(phase) * FS / (2 * np.pi), int(0.1 * FS))


@pytest.mark.parametrize(("f_max", "f_mod", "n_arches"), [(50.0, 0.25, 3), (25.0, 0.1, 1), (75.0, 0.5, 2)])
def test_scattered_light_arches_peak_at_f_max_and_repeat_every_half_modulation_period(
    f_max: float, f_mod: float, n_arches: int
) -> None:
    family = ScatteredLightArch()
    p = family.draw(1, np.random.default_rng(0))[0]
    p["f_max_hz"], p["f_mod_hz"], p["n_arches"] = f_max, f_mod, n_arches
    p["x0_m"] = f_max * family.wavelength_m / (4 * np.pi * f_mod)
    h, t0 = family.strain(p, FS)
    t = t0 + np.arange(len(h)) / FS
    freq = _instantaneous_frequency(h)
    period = 1 / (2 * f_mod)
    assert len(h) / FS == pytest.approx(n_arches * period, abs=2 / FS)
    peaks = []
    for k in range(n_arches):
        arch = np.abs(t - (k - (n_arches - 1) // 2) * period) < period / 4
        assert np.max(freq[arch]) == pytest.approx(f_max, rel=0.01)
        peaks.append(t[arch][np.argmax(freq[arch])])
    # an arch peaks at the reference time (where an injection's window sits), the others half a period apart
    assert min(abs(p) for p in peaks) == pytest.approx(0.0, abs=0.01 * period)
    if n_arches > 1:
        np.testing.assert_allclose(np.diff(peaks), period, rtol=0.02)


def test_scattered_light_draws_stay_in_their_ranges() -> None:
    params = ScatteredLightArch().draw(500, np.random.default_rng(1))
    assert np.all((params["f_max_hz"] >= 20) & (params["f_max_hz"] <= 80))
    assert np.all((params["f_mod_hz"] >= 0.1) & (params["f_mod_hz"] <= 0.5))
    assert set(np.unique(params["n_arches"])) == {1.0, 2.0, 3.0}


@pytest.mark.parametrize(
    ("make", "key"),
    [
        (lambda: BlipGlitch(f0_min_hz=300.0, f0_max_hz=250.0), "data.family_options.blip.f0_hz"),
        (lambda: BlipGlitch(q_min=0.0), "data.family_options.blip.q"),
        (lambda: BlipGlitch(duration_min_s=1.0, duration_max_s=2.0), "data.family_options.blip"),
        (lambda: ScatteredLightArch(f_mod_min_hz=-0.1), "data.family_options.scattered_light.f_mod_hz"),
        (lambda: ScatteredLightArch(n_arches_max=0), "data.family_options.scattered_light.n_arches_max"),
    ],
)
def test_bad_family_ranges_name_their_config_key(make, key: str) -> None:
    with pytest.raises(ValueError, match=key.replace(".", r"\.")):
        make()
