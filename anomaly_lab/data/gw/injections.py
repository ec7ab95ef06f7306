"""Binary-black-hole injections: lalsimulation waveforms projected on a detector, scaled to an optimal SNR."""

from __future__ import annotations

from dataclasses import dataclass

import lal
import lalsimulation
import numpy as np

# GPS reference for the sidereal time of injections (GW170817's); only the sky-angle draw makes it vary
GPS_REFERENCE = 1187008882.0
SOURCE_NAMES = (
    "mass1", "mass2", "spin1z", "spin2z", "distance_mpc", "inclination", "polarization",
    "ra", "dec", "coa_phase", "gps_time",
)  # fmt: skip
# what every injection records beside its source: the window SNR, the full-waveform SNR, where its merger (or peak) sits
INJECTION_NAMES = ("snr", "snr_full", "merger_offset_s")
PARAMETER_NAMES = (*SOURCE_NAMES, *INJECTION_NAMES)
SNR_DISTRIBUTIONS = ("uniform", "loguniform", "fixed", "astrophysical")


@dataclass
class InjectionConfig:
    """What is injected: masses, spins, distances and the optimal-SNR distribution the waveforms are scaled to."""

    approximant: str = "IMRPhenomD"
    mass_min: float = 10.0
    mass_max: float = 50.0
    spin_max: float = 0.0
    distance_min_mpc: float = 100.0
    distance_max_mpc: float = 1000.0
    snr_distribution: str = "uniform"
    snr_min: float = 8.0
    snr_max: float = 20.0
    merger_min: float = 0.5
    merger_max: float = 0.9
    f_min: float = 20.0


def draw_sources(cfg: InjectionConfig, n: int, rng: np.random.Generator) -> np.ndarray:
    """Structured array of `n` sources: isotropic sky and orientation, distance uniform in volume."""
    out = np.zeros(n, dtype=[(name, "f8") for name in SOURCE_NAMES])
    m = rng.uniform(cfg.mass_min, cfg.mass_max, size=(n, 2))
    out["mass1"], out["mass2"] = m.max(axis=1), m.min(axis=1)
    out["spin1z"] = rng.uniform(-cfg.spin_max, cfg.spin_max, n)
    out["spin2z"] = rng.uniform(-cfg.spin_max, cfg.spin_max, n)
    d3 = rng.uniform(cfg.distance_min_mpc**3, cfg.distance_max_mpc**3, n)
    out["distance_mpc"] = np.cbrt(d3)
    out["inclination"] = np.arccos(rng.uniform(-1, 1, n))
    out["polarization"] = rng.uniform(0, np.pi, n)
    out["ra"] = rng.uniform(0, 2 * np.pi, n)
    out["dec"] = np.arcsin(rng.uniform(-1, 1, n))
    out["coa_phase"] = rng.uniform(0, 2 * np.pi, n)
    out["gps_time"] = GPS_REFERENCE + rng.uniform(0, 86164.0905, n)
    return out


def draw_injection_fields(cfg: InjectionConfig, n: int, window_s: float, rng: np.random.Generator) -> np.ndarray:
    """The fields every injection shares: the requested window SNR (nan in the astrophysical population, where the
    source's distance sets it), the full SNR (filled in later) and the merger's offset in the window [s]."""
    out = np.zeros(n, dtype=[(name, "f8") for name in INJECTION_NAMES])
    out["snr"] = draw_snr(cfg, n, rng)
    out["snr_full"] = np.nan
    out["merger_offset_s"] = rng.uniform(cfg.merger_min, cfg.merger_max, n) * window_s
    return out


def join_fields(*parts: np.ndarray) -> np.ndarray:
    """Structured arrays of equal length side by side, as one."""
    out = np.zeros(len(parts[0]), dtype=[(name, p.dtype[name]) for p in parts for name in p.dtype.names])
    for p in parts:
        for name in p.dtype.names:
            out[name] = p[name]
    return out


def union_records(parts: list[np.ndarray]) -> np.ndarray:
    """Structured arrays of different fields (one per family) stacked into one with every field, 0 where a part
    lacks it, plus `family` (0, 1, ... in the order of `parts`) when there are several."""
    names = list(dict.fromkeys(name for p in parts for name in p.dtype.names))
    if len(parts) > 1:
        names.append("family")
    out = np.zeros(sum(len(p) for p in parts), dtype=[(name, "f8") for name in names])
    start = 0
    for code, p in enumerate(parts):
        block = out[start : start + len(p)]
        for name in p.dtype.names:
            block[name] = p[name]
        if len(parts) > 1:
            block["family"] = code
        start += len(p)
    return out


def draw_parameters(cfg: InjectionConfig, n: int, window_s: float, rng: np.random.Generator) -> np.ndarray:
    """Structured array of `n` BBH injections: sources, then the fields every injection shares."""
    sources = draw_sources(cfg, n, rng)
    return join_fields(sources, draw_injection_fields(cfg, n, window_s, rng))


def draw_snr(cfg: InjectionConfig, n: int, rng: np.random.Generator) -> np.ndarray:
    """Requested window SNRs: uniform, log-uniform or fixed (= snr_min) as the config says; nan (and no draw) for the
    astrophysical population, whose SNRs follow from distance, orientation and the detector."""
    if cfg.snr_distribution == "uniform":
        return rng.uniform(cfg.snr_min, cfg.snr_max, n)
    if cfg.snr_distribution == "loguniform":
        return np.exp(rng.uniform(np.log(cfg.snr_min), np.log(cfg.snr_max), n))
    if cfg.snr_distribution == "fixed":
        return np.full(n, cfg.snr_min)
    if cfg.snr_distribution == "astrophysical":
        return np.full(n, np.nan)
    raise ValueError(
        f"data.injection.snr_distribution: expected one of {', '.join(SNR_DISTRIBUTIONS)}, got {cfg.snr_distribution!r}"
    )


def polarisations(
    mass1: float,
    mass2: float,
    fs: float,
    cfg: InjectionConfig,
    spin1z: float = 0.0,
    spin2z: float = 0.0,
    distance_mpc: float = 1.0,
    inclination: float = 0.0,
    coa_phase: float = 0.0,
) -> tuple[np.ndarray, np.ndarray, float]:
    """h+ and hx of `cfg`'s approximant from `cfg.f_min` (aligned spins) and their start relative to merger [s]."""
    approximant = lalsimulation.GetApproximantFromString(cfg.approximant)
    hp, hc = lalsimulation.SimInspiralChooseTDWaveform(
        mass1 * lal.MSUN_SI, mass2 * lal.MSUN_SI, 0.0, 0.0, spin1z, 0.0, 0.0, spin2z,
        distance_mpc * 1e6 * lal.PC_SI, inclination, coa_phase,
        0.0, 0.0, 0.0, 1.0 / fs, cfg.f_min, cfg.f_min, None, approximant,
    )  # fmt: skip
    return hp.data.data, hc.data.data, float(hp.epoch)


def detector_strain(params: np.void, site: str, fs: float, cfg: InjectionConfig) -> tuple[np.ndarray, float]:
    """Strain F+ h+ + Fx hx seen by `site` (e.g. 'H1') and the waveform's start time relative to merger [s]."""
    hp, hc, start_s = polarisations(
        params["mass1"], params["mass2"], fs, cfg, params["spin1z"], params["spin2z"], params["distance_mpc"],
        params["inclination"], params["coa_phase"],
    )  # fmt: skip
    detector = lalsimulation.DetectorPrefixToLALDetector(site)
    gmst = lal.GreenwichMeanSiderealTime(params["gps_time"])
    fplus, fcross = lal.ComputeDetAMResponse(
        detector.response, params["ra"], params["dec"], params["polarization"], gmst
    )
    return fplus * hp + fcross * hc, start_s


def place_in_chunk(strain: np.ndarray, start_s: float, merger_index: int, fs: float, n: int) -> np.ndarray:
    """The waveform laid into an `n`-sample chunk with its merger at `merger_index`, clipped at the edges."""
    chunk = np.zeros(n)
    first = merger_index + int(round(start_s * fs))
    lo, hi = max(first, 0), min(first + len(strain), n)
    if hi > lo:
        chunk[lo:hi] = strain[lo - first : hi - first]
    return chunk
