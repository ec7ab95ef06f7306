"""BBH injections at known GPS times in a simulated stretch: one merger every `spacing_s` seconds (with jitter), each
projected on every site with its antenna pattern and arrival-time delay, scaled to a drawn optimal SNR.

The optimal SNR of a site is the full waveform's, from `f_min` to Nyquist, by the frequency-domain integral
SNR^2 = 4 sum |h(f)|^2 / S(f) df with S the site's design PSD (the one its noise is coloured with). The drawn SNR
sets the distance: in the reference site, or of the network (root sum of squares); the other sites get the SNR
their antenna pattern gives at that distance.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import partial

import lal
import lalsimulation
import numpy as np

from anomaly_lab.data.gw.injections import SNR_DISTRIBUTIONS, InjectionConfig, detector_strain, draw_parameters
from anomaly_lab.data.gw.snr import full_snr
from anomaly_lab.search.stretch import StretchConfig, site_psd, site_rng

SAMPLE_COLUMNS = ("mass1", "mass2", "distance_mpc", "ra", "dec", "inclination", "polarization", "coa_phase")


@dataclass(frozen=True)
class InjectionPlan:
    """When injections merge (every `spacing_s` +- `jitter_s`, at least `margin_s` from the stretch's ends), what
    they are (masses, approximant, `f_min`) and how loud: optimal SNR drawn from `snr_distribution` in
    [snr_min, snr_max] in `snr_reference` (a site, or 'network')."""

    spacing_s: float = 30.0
    jitter_s: float = 5.0
    margin_s: float = 10.0
    snr_reference: str = "H1"
    snr_distribution: str = "uniform"
    snr_min: float = 8.0
    snr_max: float = 20.0
    mass_min: float = 10.0
    mass_max: float = 50.0
    approximant: str = "IMRPhenomD"
    f_min: float = 20.0

    def __post_init__(self) -> None:
        if not 0 <= self.jitter_s < self.spacing_s / 2:
            raise ValueError(f"jitter_s={self.jitter_s}: expected 0 <= jitter_s < spacing_s / 2 = {self.spacing_s / 2}")
        scaled = [d for d in SNR_DISTRIBUTIONS if d != "astrophysical"]  # a stretch's injections are scaled to an SNR
        if self.snr_distribution not in scaled:
            raise ValueError(
                f"snr_distribution={self.snr_distribution}: expected {', '.join(scaled[:-1])} or {scaled[-1]}"
            )
        if not 0 < self.snr_min <= self.snr_max:
            raise ValueError(f"snr_min={self.snr_min}, snr_max={self.snr_max}: expected 0 < snr_min <= snr_max")
        if not 0 < self.mass_min < self.mass_max:
            raise ValueError(f"mass_min={self.mass_min}, mass_max={self.mass_max}: expected 0 < mass_min < mass_max")

    def waveforms(self) -> InjectionConfig:
        """The data module's injection config (draws and waveforms) for this plan."""
        return InjectionConfig(approximant=self.approximant, mass_min=self.mass_min, mass_max=self.mass_max,
                               snr_distribution=self.snr_distribution, snr_min=self.snr_min, snr_max=self.snr_max,
                               f_min=self.f_min)  # fmt: skip


def merger_times(plan: InjectionPlan, cfg: StretchConfig, rng: np.random.Generator) -> np.ndarray:
    """Geocentric merger GPS times: the middle of each `spacing_s` slot, jittered, kept `margin_s` from the ends."""
    n = int(cfg.duration_s // plan.spacing_s)
    t = cfg.gps_start + plan.spacing_s * (np.arange(n) + 0.5) + rng.uniform(-plan.jitter_s, plan.jitter_s, n)
    return t[(t >= cfg.gps_start + plan.margin_s) & (t <= cfg.gps_end - plan.margin_s)]


def draw_injections(plan: InjectionPlan, cfg: StretchConfig) -> np.ndarray:
    """The injections' parameters (the data module's draw: isotropic sky, uniform masses) at their merger times;
    field `snr` holds the requested SNR in the reference. Their own random stream: the noise never depends on them."""
    if plan.snr_reference != "network" and plan.snr_reference not in cfg.sites:
        raise ValueError(f"snr_reference={plan.snr_reference}: expected 'network' or one of the sites {cfg.sites}")
    rng = site_rng(cfg.seed, "network", "injections")
    times = merger_times(plan, cfg, rng)
    params = draw_parameters(plan.waveforms(), len(times), 1.0, rng)
    params["gps_time"] = times
    return params


def arrival_time(params: np.void, site: str) -> float:
    """GPS time at which the merger reaches `site`: the geocentric time plus lal's delay from the Earth's centre."""
    location = lalsimulation.DetectorPrefixToLALDetector(site).location
    t = float(params["gps_time"])
    return t + lal.TimeDelayFromEarthCenter(location, float(params["ra"]), float(params["dec"]), lal.LIGOTimeGPS(t))


def optimal_snr(h: np.ndarray, fs: float, site: str, f_min: float) -> float:
    """Optimal SNR of strain `h` in `site`'s design noise, from `f_min` to Nyquist (`snr.full_snr`)."""
    return full_snr(h, fs, partial(site_psd, site), f_min)


def shifted(h: np.ndarray, fraction: float, pad: int = 64) -> np.ndarray:
    """`h` delayed by `fraction` of a sample (0 <= fraction < 1) by a phase ramp, zero-padded by `pad` samples each
    side so nothing wraps: the result's sample `pad` is where `h`'s sample 0 sits."""
    n = len(h) + 2 * pad
    spectrum = np.fft.rfft(np.concatenate([np.zeros(pad), h, np.zeros(pad)]))
    spectrum *= np.exp(-2j * np.pi * np.fft.rfftfreq(n) * fraction)
    return np.fft.irfft(spectrum, n)


def add_waveform(strain: np.ndarray, gps_start: float, fs: float, h: np.ndarray, t_first: float) -> None:
    """Add `h`, whose first sample is at GPS `t_first` (not on the sample grid in general), into `strain` in place;
    the parts outside the stretch are cut off."""
    position = (t_first - gps_start) * fs
    first = int(np.floor(position))
    pad = 64
    placed = shifted(h, position - first, pad)
    lo = first - pad
    a, b = max(lo, 0), min(lo + len(placed), len(strain))
    if b > a:
        strain[a:b] += placed[a - lo : b - lo]


def site_waveforms(params: np.void, plan: InjectionPlan, cfg: StretchConfig) -> dict[str, tuple[np.ndarray, float]]:
    """Per site, the strain at the drawn distance and its start time relative to the merger's arrival there."""
    wf = plan.waveforms()
    return {site: detector_strain(params, site, cfg.sample_rate, wf) for site in cfg.sites}


def reference_snr(snrs: dict[str, float], reference: str) -> float:
    """The SNR the draw sets: the reference site's, or the network's root sum of squares."""
    return float(np.sqrt(sum(s**2 for s in snrs.values()))) if reference == "network" else snrs[reference]


def inject_one(strain: dict[str, np.ndarray], params: np.void, plan: InjectionPlan, cfg: StretchConfig) -> dict:
    """Add one injection into every site's strain (in place), scaled so that the reference has the drawn SNR; its
    row of the injection list."""
    waves = site_waveforms(params, plan, cfg)
    snrs = {site: optimal_snr(h, cfg.sample_rate, site, plan.f_min) for site, (h, _) in waves.items()}
    scale = float(params["snr"]) / reference_snr(snrs, plan.snr_reference)
    row: dict[str, float] = {"gps_geocent": float(params["gps_time"])}
    for site, (h, epoch) in waves.items():
        t = arrival_time(params, site)
        add_waveform(strain[site], cfg.gps_start, cfg.sample_rate, scale * h, t + epoch)
        row[f"gps_{site}"] = t
    row |= {f"snr_{site}": scale * snr for site, snr in snrs.items()}
    row["snr_network"] = scale * reference_snr(snrs, "network")
    row |= {name: float(params[name]) for name in SAMPLE_COLUMNS}
    row["distance_mpc"] /= scale  # the amplitude goes as 1 / distance
    return row


def inject(strain: dict[str, np.ndarray], params: np.ndarray, plan: InjectionPlan, cfg: StretchConfig) -> dict:
    """Add every injection into the sites' strain in place; the injection list as columns (one row each)."""
    rows = [inject_one(strain, p, plan, cfg) for p in params]
    names = ["gps_geocent", *(f"gps_{s}" for s in cfg.sites), *(f"snr_{s}" for s in cfg.sites), "snr_network",
             *SAMPLE_COLUMNS]  # fmt: skip
    return {name: np.array([r[name] for r in rows], dtype=np.float64) for name in names}
