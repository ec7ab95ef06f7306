"""Injection families and both SNR definitions: each family's SNR normalisation, its shape, and the astrophysical
population's SNRs against LALSimulation's own SNR routine."""

from __future__ import annotations

import lal
import lalsimulation
import numpy as np
import pytest

from anomaly_lab.data.gw.datamodule import GWDataModule
from anomaly_lab.data.gw.families import (
    BinaryBlackHole,
    GaussianPulse,
    Ringdown,
    SineGaussian,
    WhiteNoiseBurst,
    family_names,
    make_family,
)
from anomaly_lab.data.gw.injections import InjectionConfig, detector_strain, draw_parameters
from anomaly_lab.data.gw.psd import design_psd
from anomaly_lab.data.gw.snr import full_snr
from anomaly_lab.data.gw.sources import SimulatedNoise
from anomaly_lab.data.gw.whitening import Whitener
from anomaly_lab.data.gw.windows import WindowLayout, signal_windows

FS = 2048.0
BURSTS = [SineGaussian(), GaussianPulse(), WhiteNoiseBurst(), Ringdown()]


def _setup(detector: str = "aligo", layout: WindowLayout | None = None):
    layout = layout or WindowLayout(FS, 0.25, 8.0, 5.5)
    source = SimulatedNoise(detector, FS, layout.n_context)
    return layout, source, Whitener(source.psd, FS, layout.n_context, 20.0, 500.0)


def _lal_psd(detector: str, n: int, fs: float) -> lal.REAL8FrequencySeries:
    freqs = np.fft.rfftfreq(n, 1 / fs)
    unit = lal.StrainUnit * lal.StrainUnit * lal.SecondUnit
    psd = lal.CreateREAL8FrequencySeries("psd", 0, 0, fs / n, unit, len(freqs))
    psd.data.data = design_psd(detector, freqs)
    return psd


def _lal_snr_fd(h: np.ndarray, detector: str, f_low: float, f_high: float) -> float:
    """LALSimulation's optimal SNR of a time series, through its frequency-domain routine."""
    n = len(h)
    spectrum = np.fft.rfft(h) / FS
    htilde = lal.CreateCOMPLEX16FrequencySeries("h", 0, 0, FS / n, lal.StrainUnit * lal.SecondUnit, len(spectrum))
    htilde.data.data = spectrum
    return lalsimulation.MeasureSNRFD(htilde, _lal_psd(detector, n, FS), f_low, f_high)


@pytest.mark.parametrize("family", BURSTS, ids=lambda f: f.name)
def test_each_burst_family_is_scaled_to_the_requested_window_snr(family) -> None:
    layout, source, whitener = _setup()
    cfg = InjectionConfig(snr_distribution="fixed", snr_min=10.0)
    sig = signal_windows(source, whitener, layout, cfg, 12, np.random.default_rng(2), "burst", family)
    template, params = sig["template"].astype(np.float64), sig["params"]
    np.testing.assert_allclose(np.sqrt(whitener.band_fraction * (template**2).sum(-1)), 10.0, rtol=1e-4)
    assert np.all(params["snr"] == 10.0)
    # the whole burst holds at least what the window sees; a long one (Q = 100) much more
    assert np.all(params["snr_full"] >= 0.99 * params["snr"])


@pytest.mark.parametrize("family", BURSTS, ids=lambda f: f.name)
def test_burst_window_snr_agrees_with_lalsimulation_when_the_window_holds_it_all(family) -> None:
    # a 4 s window around the burst's centre holds all of it, so the window's SNR is LALSimulation's in-band SNR
    layout = WindowLayout(FS, 4.0, 8.0, 2.0)
    _, source, whitener = _setup(layout=layout)
    cfg = InjectionConfig(snr_distribution="fixed", snr_min=10.0, merger_min=0.5, merger_max=0.5)
    params = signal_windows(source, whitener, layout, cfg, 4, np.random.default_rng(4), "burst", family)["params"]
    for p in params:
        strain, t0 = family.strain(p, FS)
        chunk = np.zeros(layout.n_context)
        first = layout.start + int(round(p["merger_offset_s"] * FS)) + int(round(t0 * FS))
        chunk[first : first + len(strain)] = strain
        scale = 10.0 / _lal_snr_fd(chunk, "aligo", 20.0, 500.0)
        assert p["snr_full"] == pytest.approx(scale * _lal_snr_fd(chunk, "aligo", 20.0, FS / 2 - 1), rel=0.02)
        assert _lal_snr_fd(scale * chunk, "aligo", 20.0, 500.0) == pytest.approx(p["snr"], rel=0.02)


def test_full_snr_of_a_bbh_matches_lalsimulation_measure_snr() -> None:
    cfg = InjectionConfig(mass_min=10, mass_max=50)
    psd = SimulatedNoise("aligo", FS, 16384).psd
    for p in draw_parameters(cfg, 4, 0.25, np.random.default_rng(8)):
        h, _ = detector_strain(p, "H1", FS, cfg)
        n = 1 << int(np.ceil(np.log2(2 * len(h))))
        padded = np.zeros(n)
        padded[: len(h)] = h
        expected = _lal_snr_fd(padded, "aligo", 20.0, FS / 2 - FS / n / 2)
        assert full_snr(h, FS, psd, 20.0) == pytest.approx(expected, rel=0.005)


def test_sine_gaussian_peaks_at_its_central_frequency_with_its_quality_factor() -> None:
    family = SineGaussian()
    for f0, q in ((70.0, 9.0), (235.0, 100.0), (361.0, 3.0)):
        p = np.array([(f0, q, 0.3)], dtype=[(n, "f8") for n in family.parameter_names])[0]
        h, t0 = family.strain(p, FS)
        spectrum = np.abs(np.fft.rfft(h, n=1 << 16))
        freqs = np.fft.rfftfreq(1 << 16, 1 / FS)
        assert freqs[np.argmax(spectrum)] == pytest.approx(f0, rel=0.02)
        # the envelope's e-folding time is Q / (sqrt(2) pi f0)
        t = t0 + np.arange(len(h)) / FS
        tau = q / (np.sqrt(2) * np.pi * f0)
        envelope = np.abs(h).max() * np.exp(-1)
        assert np.abs(h[np.abs(t) > 1.05 * tau]).max() <= envelope


def test_ringdown_frequency_and_damping_follow_the_quasinormal_mode_fits() -> None:
    family = Ringdown()
    params = family.draw(200, np.random.default_rng(1))
    # the Schwarzschild l = m = 2, n = 0 mode (Chandrasekhar & Detweiler 1975): M omega = 0.3737, Q = 2.10;
    # Berti et al.'s fit is good to 2 % there
    m = 100.0 * lal.MTSUN_SI
    f, tau = Ringdown.quasinormal_mode(np.array(100.0), np.array(0.0))
    assert f == pytest.approx(0.3737 / (2 * np.pi * m), rel=0.02)
    assert np.pi * f * tau == pytest.approx(2.10, rel=0.02)
    # spin raises both the frequency and the quality factor
    f_spin, tau_spin = Ringdown.quasinormal_mode(np.array(100.0), np.array(0.9))
    assert f_spin > 1.6 * f and np.pi * f_spin * tau_spin > 2 * np.pi * f * tau
    # the drawn frequencies sit in the analysis band and the waveform rings at its frequency
    assert params["frequency_hz"].min() > 50 and params["frequency_hz"].max() < 500
    h, _ = family.strain(params[0], FS)
    spectrum = np.abs(np.fft.rfft(h, n=1 << 16))
    assert np.fft.rfftfreq(1 << 16, 1 / FS)[np.argmax(spectrum)] == pytest.approx(params[0]["frequency_hz"], rel=0.05)


def test_white_noise_burst_stays_in_its_band_and_is_fixed_by_its_seed() -> None:
    family = WhiteNoiseBurst()
    p = family.draw(1, np.random.default_rng(3))[0]
    h, _ = family.strain(p, FS)
    np.testing.assert_array_equal(h, family.strain(p, FS)[0])
    spectrum = np.abs(np.fft.rfft(h, n=1 << 16)) ** 2
    freqs = np.fft.rfftfreq(1 << 16, 1 / FS)
    lo, hi = p["f_low_hz"], p["f_low_hz"] + p["bandwidth_hz"]
    # the Gaussian envelope smears the band edges by about 1 / tau
    margin = 3 / p["tau_s"]
    inside = (freqs >= lo - margin) & (freqs <= hi + margin)
    assert spectrum[inside].sum() > 0.98 * spectrum.sum()


def test_gaussian_pulse_width_is_its_sigma() -> None:
    family = GaussianPulse()
    p = np.array([(4.0,)], dtype=[("sigma_ms", "f8")])[0]
    h, t0 = family.strain(p, FS)
    t = t0 + np.arange(len(h)) / FS
    assert np.sqrt(np.sum(t**2 * h**2) / np.sum(h**2)) == pytest.approx(4e-3 / np.sqrt(2), rel=0.01)


def test_astrophysical_population_snr_scales_as_inverse_distance_and_with_the_detector() -> None:
    layout, source, whitener = _setup()
    cfg = InjectionConfig(snr_distribution="astrophysical")
    rng = np.random.default_rng(11)
    sig = signal_windows(source, whitener, layout, cfg, 6, rng, "bbh")
    for p in sig["params"]:
        # not rescaled: the source sits at its drawn distance and its full SNR is LALSimulation's
        h, _ = detector_strain(p, "H1", FS, cfg)
        n = 1 << int(np.ceil(np.log2(2 * len(h))))
        padded = np.zeros(n)
        padded[: len(h)] = h
        assert p["snr_full"] == pytest.approx(_lal_snr_fd(padded, "aligo", 20.0, FS / 2 - FS / n / 2), rel=0.005)
        far = p.copy()
        far["distance_mpc"] *= 2
        assert full_snr(detector_strain(far, "H1", FS, cfg)[0], FS, source.psd, 20.0) == pytest.approx(
            p["snr_full"] / 2, rel=1e-6
        )
    # the same population in an O2-era Virgo: the same sources, SNRs lower by the curves' sensitivity ratio
    layout, virgo, virgo_whitener = _setup("o2_v1")
    again = signal_windows(virgo, virgo_whitener, layout, cfg, 6, np.random.default_rng(11), "bbh")["params"]
    np.testing.assert_array_equal(again["mass1"], sig["params"]["mass1"])
    assert np.all(again["snr_full"] < 0.5 * sig["params"]["snr_full"])
    for p in again[:2]:
        h, _ = detector_strain(p, "V1", FS, cfg)
        n = 1 << int(np.ceil(np.log2(2 * len(h))))
        padded = np.zeros(n)
        padded[: len(h)] = h
        assert p["snr_full"] == pytest.approx(_lal_snr_fd(padded, "o2_v1", 20.0, FS / 2 - FS / n / 2), rel=0.005)


def test_population_mode_is_for_binary_black_holes_only() -> None:
    layout, source, whitener = _setup()
    cfg = InjectionConfig(snr_distribution="astrophysical")
    with pytest.raises(ValueError, match="only BBHs have a population"):
        signal_windows(source, whitener, layout, cfg, 2, np.random.default_rng(0), "x", SineGaussian())


def test_several_families_share_the_signal_splits_and_are_reported_as_processes(tmp_path) -> None:
    sizes = {"train": 8, "val": 4, "val_signal": 6, "test_background": 5, "test_signal": 7}
    signals = ["bbh", "sine_gaussian", "ringdown"]
    dm = GWDataModule(sizes=sizes, batch_size=4, cache_dir=str(tmp_path), signals=signals)
    dm.setup()
    assert dm.signal_processes() == signals
    codes = dm.test_extras["process"]
    assert list(np.bincount(codes)) == [5, 3, 2, 2]
    assert list(np.bincount(dm.extras("val_signal")["process"])) == [0, 2, 2, 2]
    injection = dm.test_extras["injection"]
    assert set(injection.dtype.names) >= {"mass1", "f0_hz", "q", "final_mass", "snr", "snr_full", "family"}
    np.testing.assert_array_equal(injection["family"][codes > 0], codes[codes > 0] - 1)
    # each family's own parameters are filled only in its own rows
    assert np.all(injection["f0_hz"][codes == 2] > 0) and np.all(injection["f0_hz"][codes != 2] == 0)


def test_one_family_keeps_the_single_signal_layout(tmp_path) -> None:
    sizes = {"train": 4, "val": 2, "val_signal": 2, "test_background": 2, "test_signal": 3}
    dm = GWDataModule(sizes=sizes, batch_size=2, cache_dir=str(tmp_path), signals=["ringdown"])
    dm.setup()
    assert dm.signal_processes() == [] and "process" not in dm.test_extras
    assert "final_mass" in dm.test_extras["injection"].dtype.names


def test_unknown_family_or_option_is_one_line_naming_the_key(tmp_path) -> None:
    sizes = {"train": 4, "val": 2, "val_signal": 2, "test_background": 2, "test_signal": 3}
    with pytest.raises(ValueError, match="data.signals"):
        GWDataModule(sizes=sizes, cache_dir=str(tmp_path), signals=["cosmic_string"])
    with pytest.raises(ValueError, match="data.family_options.sine_gaussian"):
        GWDataModule(sizes=sizes, cache_dir=str(tmp_path), signals=["sine_gaussian"],
                     family_options={"sine_gaussian": {"x": 1}})  # fmt: skip
    with pytest.raises(ValueError, match="data.family_options"):
        GWDataModule(sizes=sizes, cache_dir=str(tmp_path), signals=["bbh"], family_options={"ringdown": {}})
    assert "bbh" in family_names() and isinstance(make_family("bbh", InjectionConfig(), "L1"), BinaryBlackHole)


@pytest.mark.parametrize(
    ("name", "options", "key"),
    [
        ("wnb", {"f_low_hz": 40.0}, "wnb.f_low_hz"),
        ("sine_gaussian", {"q": 3}, "sine_gaussian.q"),
        ("gaussian_pulse", {"sigma_ms": [0.0]}, "gaussian_pulse.sigma_ms"),
        ("ringdown", {"spin": [0.5, 1.0]}, "ringdown.spin"),
    ],
)
def test_bad_burst_options_are_one_line_errors_naming_the_key(name: str, options: dict, key: str) -> None:
    with pytest.raises(ValueError, match=f"data.family_options.{key}: expected"):
        make_family(name, InjectionConfig(), "H1", options)


def test_white_noise_burst_of_a_narrow_band_still_holds_noise_in_its_band() -> None:
    # a 4 Hz band under a 5 ms envelope: on the envelope's own grid no frequency would fall in it
    family = WhiteNoiseBurst()
    names = family.parameter_names
    p = np.array([(21.0, 4.0, 0.005, 7.0)], dtype=[(n, "f8") for n in names])[0]
    h, _ = family.strain(p, FS)
    assert np.abs(h).max() > 0
