"""The simulated stretch: shared noise with and without injections, injections that lal itself would put there (its
antenna pattern, arrival delays and interpolation), recorded SNRs that lalsimulation measures, readable files."""

from __future__ import annotations

from pathlib import Path

import lal
import lalsimulation
import numpy as np
import pytest
from scipy.signal import welch

from anomaly_lab.data.gw.gwosc import read_gwosc
from anomaly_lab.search.inject import InjectionPlan, arrival_time, optimal_snr
from anomaly_lab.search.simulate import make_stretch, simulate
from anomaly_lab.search.stretch import StretchConfig, site_noise, site_psd

CFG = StretchConfig(duration_s=64, seed=5)
PLAN = InjectionPlan(spacing_s=16.0, jitter_s=2.0, margin_s=6.0)


@pytest.fixture(scope="module")
def stretches():
    return make_stretch(CFG), make_stretch(CFG, PLAN)


def lal_injection(row: dict[str, float], site: str, cfg: StretchConfig) -> np.ndarray:
    """The injection as lal places it: lalsimulation's waveform at the recorded distance, projected by
    SimDetectorStrainREAL8TimeSeries (antenna pattern and time delay) and added by SimAddInjectionREAL8TimeSeries."""
    fs = cfg.sample_rate
    target = lal.CreateREAL8TimeSeries(site, lal.LIGOTimeGPS(cfg.gps_start), 0, 1 / fs, lal.StrainUnit, cfg.n_samples)
    target.data.data = np.zeros(cfg.n_samples)
    hp, hc = lalsimulation.SimInspiralChooseTDWaveform(
        row["mass1"] * lal.MSUN_SI, row["mass2"] * lal.MSUN_SI, 0, 0, 0, 0, 0, 0,
        row["distance_mpc"] * 1e6 * lal.PC_SI, row["inclination"], row["coa_phase"], 0, 0, 0, 1 / fs, 20.0, 20.0,
        None, lalsimulation.GetApproximantFromString("IMRPhenomD"),
    )  # fmt: skip
    for h in (hp, hc):
        h.epoch += lal.LIGOTimeGPS(row["gps_geocent"])
    detector = lalsimulation.DetectorPrefixToLALDetector(site)
    h = lalsimulation.SimDetectorStrainREAL8TimeSeries(hp, hc, row["ra"], row["dec"], row["polarization"], detector)
    lalsimulation.SimAddInjectionREAL8TimeSeries(target, h, None)
    return target.data.data


def rows(table: dict[str, np.ndarray]) -> list[dict[str, float]]:
    return [{k: float(v[i]) for k, v in table.items()} for i in range(len(table["gps_geocent"]))]


def test_injected_strain_minus_noise_is_what_lal_injects(stretches) -> None:
    noise, injected = stretches
    assert len(injected.injections["gps_geocent"]) == 4  # slots at 8, 24, 40, 56 s, jittered by 2 s
    for site in CFG.sites:
        expected = sum(lal_injection(r, site, CFG) for r in rows(injected.injections))
        # lal interpolates with a finite filter and an antenna pattern updated in time: 0.5 % of the peak apart;
        # one sample's delay error would be tens of per cent
        diff = injected.strain[site] - noise.strain[site]
        assert np.max(np.abs(diff - expected)) < 0.02 * np.max(np.abs(expected))


def test_arrival_times_differ_by_lal_time_delay(stretches) -> None:
    table = stretches[1].injections
    loc = {s: lalsimulation.DetectorPrefixToLALDetector(s).location for s in ("H1", "L1")}
    light = lal.LightTravelTime(*(lalsimulation.DetectorPrefixToLALDetector(s) for s in ("H1", "L1"))) * 1e-9
    for r in rows(table):
        delay = {s: lal.TimeDelayFromEarthCenter(loc[s], r["ra"], r["dec"], lal.LIGOTimeGPS(r["gps_geocent"]))
                 for s in loc}  # fmt: skip
        assert r["gps_H1"] - r["gps_geocent"] == pytest.approx(delay["H1"], abs=1e-6)
        assert r["gps_L1"] - r["gps_H1"] == pytest.approx(delay["L1"] - delay["H1"], abs=1e-6)
        assert abs(r["gps_L1"] - r["gps_H1"]) <= light


def test_recorded_snr_is_what_lalsimulation_measures(stretches) -> None:
    table = stretches[1].injections
    fs = CFG.sample_rate
    for r in rows(table):
        assert PLAN.snr_min <= r["snr_H1"] <= PLAN.snr_max  # drawn in the reference site
        assert r["snr_network"] == pytest.approx(np.hypot(r["snr_H1"], r["snr_L1"]))
        for site in CFG.sites:
            h = lal_injection(r, site, CFG)
            lo = int((r[f"gps_{site}"] - CFG.gps_start - 5.0) * fs)  # this injection alone (spacing > 10 s)
            part = h[max(lo, 0) : lo + 6 * fs]
            ts = lal.CreateREAL8TimeSeries("h", lal.LIGOTimeGPS(0), 0, 1 / fs, lal.StrainUnit, len(part))
            ts.data.data = part
            freqs = np.fft.rfftfreq(len(part), 1 / fs)
            psd = lal.CreateREAL8FrequencySeries("psd", lal.LIGOTimeGPS(0), 0, freqs[1], lal.Unit("strain^2 s"),
                                                 len(freqs))  # fmt: skip
            psd.data.data = site_psd(site, freqs)
            assert r[f"snr_{site}"] == pytest.approx(lalsimulation.MeasureSNR(ts, psd, 20.0, fs / 2), rel=0.01)


def test_optimal_snr_scales_with_amplitude() -> None:
    t = np.arange(2048) / 2048
    h = 1e-21 * np.sin(2 * np.pi * 100 * t) * np.hanning(2048)
    assert optimal_snr(3 * h, 2048, "H1", 20.0) == pytest.approx(3 * optimal_snr(h, 2048, "H1", 20.0))
    assert optimal_snr(h, 2048, "V1", 20.0) != pytest.approx(optimal_snr(h, 2048, "H1", 20.0), rel=0.05)


def test_noise_of_a_site_does_not_depend_on_the_others_or_the_injections() -> None:
    alone = site_noise(StretchConfig(sites=("H1",), duration_s=64, seed=5), "H1")
    np.testing.assert_array_equal(alone, make_stretch(CFG).strain["H1"])
    freqs = np.fft.rfftfreq(CFG.n_samples, 1 / CFG.sample_rate)
    band = (freqs > 30) & (freqs < 500)
    # whitened Fourier coefficients: about 30 000 independent numbers per site, correlation ~ 0.006 by chance
    h1, l1 = (np.fft.rfft(make_stretch(CFG).strain[s])[band] / np.sqrt(site_psd(s, freqs[band])) for s in CFG.sites)
    assert abs(np.corrcoef(h1.real, l1.real)[0, 1]) < 0.03
    assert not np.array_equal(h1, site_noise(StretchConfig(duration_s=64, seed=6), "H1"))


def test_noise_has_the_design_psd() -> None:
    cfg = StretchConfig(sites=("L1", "V1"), duration_s=64)
    for site in cfg.sites:
        freqs, psd = welch(site_noise(cfg, site), fs=cfg.sample_rate, nperseg=4 * cfg.sample_rate)
        band = (freqs > 30) & (freqs < 800)
        assert np.median(psd[band] / site_psd(site, freqs[band])) == pytest.approx(1.0, rel=0.05)


def test_arrival_time_of_an_overhead_source_is_earlier_at_the_site() -> None:
    detector = lalsimulation.DetectorPrefixToLALDetector("H1")
    gps = 1_200_000_000.0
    ra = lal.GreenwichMeanSiderealTime(gps) + np.arctan2(detector.location[1], detector.location[0])
    dec = np.arcsin(detector.location[2] / np.linalg.norm(detector.location))
    row = np.array([(gps, ra, dec)], dtype=[("gps_time", "f8"), ("ra", "f8"), ("dec", "f8")])[0]
    # straight above H1 the wave arrives one Earth radius / c before the geocentre
    assert gps - arrival_time(row, "H1") == pytest.approx(np.linalg.norm(detector.location) / lal.C_SI, rel=1e-3)


def test_simulate_writes_gwosc_files_and_the_injection_list(tmp_path: Path) -> None:
    lines = simulate(StretchConfig(duration_s=32, sample_rate=4096), InjectionPlan(spacing_s=16, jitter_s=1), tmp_path)
    assert lines[-1].startswith("simulated 32 s of H1,L1 at 4096 Hz in ")
    for kind in ("noise", "injected"):
        for site in ("H1", "L1"):
            seg = read_gwosc(tmp_path / kind / f"{site[0]}-{site}_SIM_4KHZ_R1-1200000000-32.hdf5",
                             ["DATA", "CBC_CAT1", "CBC_CAT2"], ["NO_CBC_HW_INJ", "NO_BURST_HW_INJ"])  # fmt: skip
            assert (seg.detector, seg.gps_start, seg.fs, len(seg.strain)) == (site, 1_200_000_000, 4096, 32 * 4096)
            assert seg.valid.all()
    header = (tmp_path / "injections.csv").read_text().splitlines()[0].split(",")
    assert header[:7] == ["gps_geocent", "gps_H1", "gps_L1", "snr_H1", "snr_L1", "snr_network", "mass1"]
    assert sorted(p.name for p in tmp_path.rglob("*") if p.name.startswith(".")) == []  # no temporary file left


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"sites": ("H1", "K1")}, "sites="),
        ({"sample_rate": 1000}, "sample_rate=1000"),
        ({"duration_s": 8}, "duration_s=8"),
    ],
)
def test_bad_stretch_settings_name_the_key(kwargs: dict, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        StretchConfig(**kwargs)


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"snr_distribution": "astrophysical"}, "snr_distribution=astrophysical: expected uniform"),
        ({"snr_distribution": "loguniform", "snr_min": 0.0}, "expected 0 < snr_min <= snr_max"),
        ({"mass_min": 50.0, "mass_max": 10.0}, "expected 0 < mass_min < mass_max"),
    ],
)
def test_an_injection_plan_that_would_write_nan_strain_is_refused(kwargs: dict, match: str) -> None:
    with pytest.raises(ValueError, match=match):
        InjectionPlan(**kwargs)
