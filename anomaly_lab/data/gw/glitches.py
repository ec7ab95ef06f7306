"""Glitch waveform families (blips, scattered-light arches): non-Gaussian transients to add to simulated strain."""

from __future__ import annotations

import numpy as np
from scipy.signal.windows import tukey

from anomaly_lab.data.gw.families import check_range, parameter_array


class BlipGlitch:
    """LIGO "blip" glitches: short, broadband, time-symmetric bursts, as a low-Q sine-Gaussian.

    Imitates the Gravity Spy "Blip" class (Zevin et al. 2017) as characterised by Cabero et al. 2019
    (arXiv:1901.05093): ~10 ms long, power spread over roughly 30-250 Hz, a symmetric teardrop in a Q-scan.
    h(t) = exp(-t^2 / 2 tau^2) cos(2 pi f0 t + phase) with tau = Q / (sqrt(2) pi f0), the usual sine-Gaussian
    Q, so the spectrum peaks at f0 with relative width ~1/Q. Draws: f0 log-uniform in [f0_min_hz, f0_max_hz],
    Q uniform in [q_min, q_max], phase uniform, kept only where the duration 2 tau (the +-tau span, 84 % of
    the energy) lies in [duration_min_s, duration_max_s]; `duration_s` is stored with the parameters.
    """

    name = "blip"
    parameter_names = ("f0_hz", "q", "phase", "duration_s")

    def __init__(
        self,
        f0_min_hz: float = 30.0,
        f0_max_hz: float = 250.0,
        q_min: float = 1.0,
        q_max: float = 4.0,
        duration_min_s: float = 0.005,
        duration_max_s: float = 0.03,
    ) -> None:
        check_range(self.name, "f0_hz", (f0_min_hz, f0_max_hz), positive=True)
        check_range(self.name, "q", (q_min, q_max), positive=True)
        check_range(self.name, "duration_s", (duration_min_s, duration_max_s), positive=True)
        # with both ends of the f0 and Q ranges, some pair must give an allowed duration
        if not (_duration(q_min, f0_max_hz) <= duration_max_s and _duration(q_max, f0_min_hz) >= duration_min_s):
            raise ValueError("data.family_options.blip: no (f0, Q) in the given ranges has a duration in range")
        self.f0_range, self.q_range = (f0_min_hz, f0_max_hz), (q_min, q_max)
        self.duration_range = (duration_min_s, duration_max_s)

    def draw(self, n: int, rng: np.random.Generator) -> np.ndarray:
        """`n` blips: f0 log-uniform, Q uniform, both redrawn until the duration falls in range."""
        out = parameter_array(n, self.parameter_names)
        todo = np.arange(n)
        while len(todo):
            out["f0_hz"][todo] = np.exp(rng.uniform(*np.log(self.f0_range), len(todo)))
            out["q"][todo] = rng.uniform(*self.q_range, len(todo))
            out["duration_s"][todo] = _duration(out["q"][todo], out["f0_hz"][todo])
            d = out["duration_s"][todo]
            todo = todo[(d < self.duration_range[0]) | (d > self.duration_range[1])]
        out["phase"] = rng.uniform(0, 2 * np.pi, n)
        return out

    def strain(self, params: np.void, fs: float) -> tuple[np.ndarray, float]:
        """The sine-Gaussian over +-5 tau around its peak (the envelope is e^-12.5 there)."""
        tau = params["duration_s"] / 2
        half = int(np.ceil(5 * tau * fs))
        t = np.arange(-half, half + 1) / fs
        h = np.exp(-(t**2) / (2 * tau**2)) * np.cos(2 * np.pi * params["f0_hz"] * t + params["phase"])
        return h, -half / fs


def _duration(q: np.ndarray | float, f0: np.ndarray | float) -> np.ndarray | float:
    """2 tau of a sine-Gaussian of quality factor q at f0."""
    return 2 * q / (np.sqrt(2) * np.pi * f0)


class ScatteredLightArch:
    """Scattered-light arches: light scattered off a surface moving as x(t) = x0 sin(2 pi f_mod t) re-enters the beam.

    The phase noise is h(t) = A(t) sin(4 pi x(t) / lambda + phase) (Accadia et al. 2010, CQG 27 194011;
    Soni et al. 2021, arXiv:2007.14876), whose instantaneous frequency f(t) = f_max |cos(2 pi f_mod t)|
    with f_max = 4 pi x0 f_mod / lambda traces arches of period 1 / (2 f_mod). Only the fundamental is
    modelled (real arches often come with harmonics at 2, 3... f_max). Draws: f_max uniform in
    [f_max_min_hz, f_max_max_hz], f_mod log-uniform in [f_mod_min_hz, f_mod_max_hz] (arches of
    1/(2 f_mod) = 1-5 s by default), 1..n_arches_max whole arches centred on the reference time, phase
    uniform; x0 [m] is stored for reference. A(t) is a Tukey window (`taper` of the span) so the glitch
    starts and ends smoothly.
    """

    name = "scattered_light"
    parameter_names = ("f_max_hz", "f_mod_hz", "n_arches", "phase", "x0_m")

    def __init__(
        self,
        f_max_min_hz: float = 20.0,
        f_max_max_hz: float = 80.0,
        f_mod_min_hz: float = 0.1,
        f_mod_max_hz: float = 0.5,
        n_arches_max: int = 3,
        wavelength_m: float = 1.064e-6,
        taper: float = 0.2,
    ) -> None:
        check_range(self.name, "f_max_hz", (f_max_min_hz, f_max_max_hz), positive=True)
        check_range(self.name, "f_mod_hz", (f_mod_min_hz, f_mod_max_hz), positive=True)
        if n_arches_max < 1:
            raise ValueError(f"data.family_options.scattered_light.n_arches_max: expected >= 1, got {n_arches_max}")
        if not 0 <= taper <= 1:
            raise ValueError(f"data.family_options.scattered_light.taper: expected in [0, 1], got {taper}")
        self.f_max_range, self.f_mod_range = (f_max_min_hz, f_max_max_hz), (f_mod_min_hz, f_mod_max_hz)
        self.n_arches_max, self.wavelength_m, self.taper = n_arches_max, wavelength_m, taper

    def draw(self, n: int, rng: np.random.Generator) -> np.ndarray:
        """`n` arch trains: peak frequency, modulation frequency, number of arches, phase."""
        out = parameter_array(n, self.parameter_names)
        out["f_max_hz"] = rng.uniform(*self.f_max_range, n)
        out["f_mod_hz"] = np.exp(rng.uniform(*np.log(self.f_mod_range), n))
        out["n_arches"] = rng.integers(1, self.n_arches_max + 1, n)
        out["phase"] = rng.uniform(0, 2 * np.pi, n)
        out["x0_m"] = out["f_max_hz"] * self.wavelength_m / (4 * np.pi * out["f_mod_hz"])
        return out

    def strain(self, params: np.void, fs: float) -> tuple[np.ndarray, float]:
        """The arches over n_arches / (2 f_mod), arch peaks at (k - (n - 1) // 2) / (2 f_mod) for k = 0..n-1: an arch
        peaks at the reference time whatever n is (with an even n the span reaches one arch further after it)."""
        f_mod, n_arches = params["f_mod_hz"], int(params["n_arches"])
        period = 1 / (2 * f_mod)
        before = (n_arches - 1) // 2 + 0.5  # arches (and the half arch) before the reference time
        first, last = int(np.floor(before * period * fs)), int(np.floor((n_arches - before) * period * fs))
        t = np.arange(-first, last + 1) / fs
        # arch peaks sit where the surface velocity is extreme, i.e. where sin(2 pi f_mod t) = 0
        x = params["x0_m"] * np.sin(2 * np.pi * f_mod * t)
        h = np.sin(4 * np.pi * x / self.wavelength_m + params["phase"]) * tukey(len(t), self.taper)
        return h, -first / fs
