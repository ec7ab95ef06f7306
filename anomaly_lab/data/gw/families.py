"""Families of transients injected as anomalies: binary black holes beside the unmodelled bursts that need no template
(sine-Gaussians, Gaussian pulses, band-limited white-noise bursts, black-hole ringdowns) and the glitch shapes.

Every family draws its own parameters and makes the strain a detector sees; its amplitude is arbitrary, since each
injection is scaled to the SNR the run asks for (see `windows.signal_windows`). The burst shapes follow the LIGO-Virgo
all-sky burst searches' injection sets (e.g. Abbott et al., Phys. Rev. D 95, 042003 (2017), section V).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Protocol

import lal
import numpy as np

from anomaly_lab.data.gw.injections import SOURCE_NAMES, InjectionConfig, detector_strain, draw_sources

# a burst is laid out to this many e-folds of its envelope on each side
ENVELOPE_EXTENT = 6.0


class WaveformFamily(Protocol):
    """What a family of injections provides: its parameters and, for one draw, the strain and where it starts."""

    name: str
    parameter_names: tuple[str, ...]

    def draw(self, n: int, rng: np.random.Generator) -> np.ndarray:
        """Structured float64 array of `n` draws with fields `parameter_names`."""
        ...

    def strain(self, params: np.void, fs: float) -> tuple[np.ndarray, float]:
        """Samples at `fs` and the time [s] of the first one relative to the reference time (merger, peak or
        centre); deterministic given `params`."""
        ...


def parameter_array(n: int, names: tuple[str, ...]) -> np.ndarray:
    return np.zeros(n, dtype=[(name, "f8") for name in names])


def _grid_choice(rng: np.random.Generator, values: tuple[float, ...], n: int) -> np.ndarray:
    return np.asarray(values, dtype=float)[rng.integers(0, len(values), n)]


def check_grid(family: str, key: str, values: tuple[float, ...]) -> None:
    """A grid option: a non-empty list of positive numbers."""
    if not isinstance(values, tuple) or not values or any(not isinstance(v, int | float) or v <= 0 for v in values):
        raise ValueError(f"data.family_options.{family}.{key}: expected a list of positive numbers, got {values!r}")


def check_range(
    family: str, key: str, values: tuple[float, ...], upper: float = np.inf, positive: bool = False
) -> None:
    """A range option: [low, high] with 0 <= low <= high < upper (0 < low when `positive`)."""
    ok = isinstance(values, tuple) and len(values) == 2 and all(isinstance(v, int | float) for v in values)
    if not ok or not 0 <= values[0] <= values[1] < upper or (positive and values[0] <= 0):
        bound = f" < {upper:g}" if np.isfinite(upper) else ""
        low = "0 < low" if positive else "0 <= low"
        raise ValueError(f"data.family_options.{family}.{key}: expected [low, high] with {low} <= high{bound}, "
                         f"got {values!r}")  # fmt: skip


def _centred_times(half_width_s: float, fs: float) -> np.ndarray:
    n_half = int(np.ceil(half_width_s * fs))
    return np.arange(-n_half, n_half + 1) / fs


@dataclass
class BinaryBlackHole:
    """The compact-binary injections of the seed: a lalsimulation waveform projected on the detector `site`."""

    injection: InjectionConfig
    site: str
    name: str = "bbh"
    parameter_names: tuple[str, ...] = SOURCE_NAMES

    def draw(self, n: int, rng: np.random.Generator) -> np.ndarray:
        return draw_sources(self.injection, n, rng)

    def strain(self, params: np.void, fs: float) -> tuple[np.ndarray, float]:
        return detector_strain(params, self.site, fs, self.injection)


@dataclass
class SineGaussian:
    """exp(-t²/τ²) sin(2π f0 t + φ), τ = Q / (√2 π f0), on the burst searches' grid of central frequencies and
    quality factors (f0 kept inside the analysis band)."""

    f0_hz: tuple[float, ...] = (70.0, 100.0, 153.0, 235.0, 361.0)
    q: tuple[float, ...] = (3.0, 9.0, 100.0)
    name: str = "sine_gaussian"
    parameter_names: tuple[str, ...] = ("f0_hz", "q", "phase")

    def __post_init__(self) -> None:
        check_grid(self.name, "f0_hz", self.f0_hz)
        check_grid(self.name, "q", self.q)

    def draw(self, n: int, rng: np.random.Generator) -> np.ndarray:
        out = parameter_array(n, self.parameter_names)
        out["f0_hz"], out["q"] = _grid_choice(rng, self.f0_hz, n), _grid_choice(rng, self.q, n)
        out["phase"] = rng.uniform(0, 2 * np.pi, n)
        return out

    def strain(self, params: np.void, fs: float) -> tuple[np.ndarray, float]:
        tau = params["q"] / (np.sqrt(2) * np.pi * params["f0_hz"])
        t = _centred_times(ENVELOPE_EXTENT / np.sqrt(2) * tau, fs)
        return np.exp(-((t / tau) ** 2)) * np.sin(2 * np.pi * params["f0_hz"] * t + params["phase"]), float(t[0])


@dataclass
class GaussianPulse:
    """exp(-t² / 2σ²): a broadband burst with no oscillation, σ from the searches' set (0.1-4 ms)."""

    sigma_ms: tuple[float, ...] = (0.1, 1.0, 2.5, 4.0)
    name: str = "gaussian_pulse"
    parameter_names: tuple[str, ...] = ("sigma_ms",)

    def __post_init__(self) -> None:
        check_grid(self.name, "sigma_ms", self.sigma_ms)

    def draw(self, n: int, rng: np.random.Generator) -> np.ndarray:
        out = parameter_array(n, self.parameter_names)
        out["sigma_ms"] = _grid_choice(rng, self.sigma_ms, n)
        return out

    def strain(self, params: np.void, fs: float) -> tuple[np.ndarray, float]:
        sigma = params["sigma_ms"] * 1e-3
        # at least a few samples either side, so a pulse narrower than a sample is still a (band-limited) spike
        t = _centred_times(max(ENVELOPE_EXTENT * sigma, 8 / fs), fs)
        return np.exp(-0.5 * (t / sigma) ** 2), float(t[0])


@dataclass
class WhiteNoiseBurst:
    """Band-limited white noise (flat in [f_low, f_low + bandwidth]) under a Gaussian envelope of width τ: a burst
    with no phase coherence at all. The noise comes from the draw's own seed, so a draw is one waveform."""

    f_low_hz: tuple[float, float] = (40.0, 300.0)
    bandwidth_hz: tuple[float, float] = (20.0, 200.0)
    tau_s: tuple[float, float] = (0.005, 0.1)
    name: str = "wnb"
    parameter_names: tuple[str, ...] = ("f_low_hz", "bandwidth_hz", "tau_s", "noise_seed")

    def __post_init__(self) -> None:
        check_range(self.name, "f_low_hz", self.f_low_hz)
        check_range(self.name, "bandwidth_hz", self.bandwidth_hz, positive=True)
        check_range(self.name, "tau_s", self.tau_s, positive=True)

    def draw(self, n: int, rng: np.random.Generator) -> np.ndarray:
        out = parameter_array(n, self.parameter_names)
        out["f_low_hz"] = rng.uniform(*self.f_low_hz, n)
        out["bandwidth_hz"] = rng.uniform(*self.bandwidth_hz, n)
        out["tau_s"] = np.exp(rng.uniform(np.log(self.tau_s[0]), np.log(self.tau_s[1]), n))
        out["noise_seed"] = rng.integers(0, 2**31, n)
        return out

    def strain(self, params: np.void, fs: float) -> tuple[np.ndarray, float]:
        t = _centred_times(ENVELOPE_EXTENT / np.sqrt(2) * params["tau_s"], fs)
        # the noise is made on a grid fine enough to put at least 16 frequencies in the band, then cut to the envelope
        n = max(len(t), int(np.ceil(16 * fs / params["bandwidth_hz"])))
        noise_rng = np.random.default_rng(int(params["noise_seed"]))
        spectrum = noise_rng.standard_normal(n // 2 + 1) + 1j * noise_rng.standard_normal(n // 2 + 1)
        freqs = np.fft.rfftfreq(n, 1 / fs)
        lo = params["f_low_hz"]
        spectrum[(freqs < lo) | (freqs > lo + params["bandwidth_hz"])] = 0
        band_noise = np.fft.irfft(spectrum, n=n)[: len(t)]
        return np.exp(-((t / params["tau_s"]) ** 2)) * band_noise, float(t[0])


@dataclass
class Ringdown:
    """The fundamental l = m = 2 quasi-normal mode of a black hole of redshifted mass M and spin a: a damped
    sinusoid with frequency and quality factor from the fits of Berti, Cardoso & Will, Phys. Rev. D 73, 064030
    (2006), table VIII: M ω = 1.5251 - 1.1568 (1 - a)^0.1292, Q = 0.7 + 1.4187 (1 - a)^-0.499; it starts after a
    quarter-cycle rise."""

    mass_msun: tuple[float, float] = (50.0, 200.0)  # keeps f below the band's 500 Hz at any spin up to 0.95
    spin: tuple[float, float] = (0.0, 0.95)
    name: str = "ringdown"
    parameter_names: tuple[str, ...] = ("final_mass", "final_spin", "frequency_hz", "tau_s", "phase")

    def __post_init__(self) -> None:
        check_range(self.name, "mass_msun", self.mass_msun, positive=True)
        check_range(self.name, "spin", self.spin, upper=1.0)

    def draw(self, n: int, rng: np.random.Generator) -> np.ndarray:
        out = parameter_array(n, self.parameter_names)
        out["final_mass"] = rng.uniform(*self.mass_msun, n)
        out["final_spin"] = rng.uniform(*self.spin, n)
        out["phase"] = rng.uniform(0, 2 * np.pi, n)
        out["frequency_hz"], out["tau_s"] = self.quasinormal_mode(out["final_mass"], out["final_spin"])
        return out

    @staticmethod
    def quasinormal_mode(mass_msun: np.ndarray, spin: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """(frequency [Hz], damping time [s]) of the l = m = 2, n = 0 mode from the fits."""
        frequency = (1.5251 - 1.1568 * (1 - spin) ** 0.1292) / (2 * np.pi * mass_msun * lal.MTSUN_SI)
        quality = 0.7 + 1.4187 * (1 - spin) ** -0.499
        return frequency, quality / (np.pi * frequency)

    def strain(self, params: np.void, fs: float) -> tuple[np.ndarray, float]:
        f, tau = params["frequency_hz"], params["tau_s"]
        rise = 1 / (4 * f)
        t = np.arange(-int(np.ceil(rise * fs)), int(np.ceil(ENVELOPE_EXTENT * tau * fs)) + 1) / fs
        envelope = np.where(t < 0, np.sin(0.5 * np.pi * np.clip(1 + t / rise, 0, 1)) ** 2, np.exp(-t / tau))
        return envelope * np.cos(2 * np.pi * f * t + params["phase"]), float(t[0])


BURSTS = {cls.name: cls for cls in (SineGaussian, GaussianPulse, WhiteNoiseBurst, Ringdown)}


def _glitches() -> dict[str, type]:
    """The glitch shapes (`glitches.py`, which also puts them in the noise), imported when asked for."""
    from anomaly_lab.data.gw.glitches import BlipGlitch, ScatteredLightArch

    return {"blip": BlipGlitch, "scattered_light": ScatteredLightArch}


def family_names() -> list[str]:
    """Every family a run can inject, by the name the config uses."""
    return ["bbh", *BURSTS, *_glitches()]


def make_family(name: str, injection: InjectionConfig, site: str, options: dict[str, Any] | None = None):
    """The family `name` (`data.signals`) with its `data.family_options.<name>` keyword arguments."""
    kwargs = {k: tuple(v) if isinstance(v, list | tuple) else v for k, v in (options or {}).items()}
    if name == "bbh":
        if kwargs:
            raise ValueError(f"data.family_options.bbh: BBH injections are set by data.injection, got {sorted(kwargs)}")
        return BinaryBlackHole(injection, site)
    classes = {**BURSTS, **_glitches()}
    if name not in classes:
        raise ValueError(f"data.signals: expected families from {family_names()}, got {name!r}")
    try:
        return classes[name](**kwargs)
    except TypeError as err:
        raise ValueError(f"data.family_options.{name}: {err}") from None
