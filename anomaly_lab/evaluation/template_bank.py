"""Template-bank matched filter: the realistic BBH search, SNR maximised over a bank of whitened templates.

The bank covers the injected mass range with non-spinning templates placed stochastically in the chirp-time
coordinates (theta0, theta3) = 2 pi f_ref (tau0, tau3): a dense random cloud of mass pairs is thinned by
farthest-point selection, which spreads the templates evenly (within a factor 2 of the best covering) in
coordinates where the inspiral's match metric is nearly flat. Each window's statistic is maximised over the
templates, both phases and every merger position inside the window.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

import lal
import numpy as np
import torch

from anomaly_lab.data.base import SCORED_SPLITS
from anomaly_lab.data.gw.injections import InjectionConfig, place_in_chunk, polarisations  # face-on by default
from anomaly_lab.data.gw.whitening import Whitener
from anomaly_lab.data.gw.windows import WindowLayout

if TYPE_CHECKING:
    from anomaly_lab.data.gw.datamodule import GWDataModule

KEY = "data.references.template_bank"
CANDIDATES_PER_TEMPLATE = 40
CHUNK_PAIRS = 16384  # windows x templates filtered at once: ~20 kB each, so ~330 MB at the peak


@dataclass
class WhitenedBank:
    """Templates as the windows see them: quadratures of shape (K, 2, 2 n_window), merger at sample n_window."""

    masses: np.ndarray  # (K, 2): m1 >= m2 [solar masses]
    templates: np.ndarray
    band_fraction: float

    @property
    def n_window(self) -> int:
        return self.templates.shape[-1] // 2


def check_config(n_templates: int, mass_min: float | None = None, mass_max: float | None = None) -> None:
    """One-line errors naming the config key, before any waveform is made (masses: once both are known)."""
    if n_templates < 1:
        raise ValueError(f"{KEY}.n_templates: expected ≥ 1, got {n_templates}")
    if mass_min is not None and mass_max is not None and not 0 < mass_min < mass_max:
        raise ValueError(
            f"{KEY}.mass_min/mass_max (default: data.injection's): expected 0 < mass_min < mass_max, "
            f"got [{mass_min}, {mass_max}]"
        )


def chirp_times(m1: np.ndarray, m2: np.ndarray, f_ref: float) -> np.ndarray:
    """Dimensionless Newtonian and 1.5PN chirp times (theta0, theta3) at `f_ref`, shape (n, 2)."""
    m = (m1 + m2) * lal.MTSUN_SI
    eta = m1 * m2 / (m1 + m2) ** 2
    x = np.pi * m * f_ref
    tau0 = 5 / (256 * np.pi * f_ref * eta) * x ** (-5 / 3)
    tau3 = 1 / (8 * f_ref * eta) * x ** (-2 / 3)
    return 2 * np.pi * f_ref * np.stack([tau0, tau3], axis=1)


def place_bank(n_templates: int, mass_min: float, mass_max: float, f_ref: float, seed: int) -> np.ndarray:
    """(n_templates, 2) component masses, m1 >= m2: farthest-point selection from a random cloud plus the corners."""
    check_config(n_templates, mass_min, mass_max)
    rng = np.random.default_rng(seed)
    cloud = rng.uniform(mass_min, mass_max, size=(CANDIDATES_PER_TEMPLATE * n_templates + 1000, 2))
    corners = np.array([[mass_min, mass_min], [mass_max, mass_min], [mass_max, mass_max]])
    cand = np.sort(np.concatenate([corners, cloud]), axis=1)[:, ::-1]
    coords = chirp_times(cand[:, 0], cand[:, 1], f_ref)
    chosen = [0]
    dist = np.linalg.norm(coords - coords[0], axis=1)
    for _ in range(n_templates - 1):
        chosen.append(int(np.argmax(dist)))
        dist = np.minimum(dist, np.linalg.norm(coords - coords[chosen[-1]], axis=1))
    return cand[chosen]


def whitened_bank(masses: np.ndarray, whitener: Whitener, layout: WindowLayout, cfg: InjectionConfig) -> WhitenedBank:
    """Each template laid into a context chunk with its merger inside the window, whitened like the data and cut
    to the 2 n_window samples around the merger that a window can overlap."""
    n = layout.n_window
    merger = layout.start + n // 2
    if merger - n < 0 or merger + n > layout.n_context:
        raise ValueError(f"data.window_offset_s: templates need {layout.window_s} s of context either side")
    out = np.empty((len(masses), 2, 2 * n), dtype=np.float32)
    for k, (m1, m2) in enumerate(masses):
        hp, hc, start_s = polarisations(m1, m2, layout.fs, cfg)
        chunks = np.stack([place_in_chunk(h, start_s, merger, layout.fs, layout.n_context) for h in (hp, hc)])
        white = whitener(chunks)[:, merger - n : merger + n]
        out[k] = white / np.sqrt(whitener.band_fraction * np.sum(white[0] ** 2))  # unit SNR: float32 stays safe
    return WhitenedBank(masses, out, whitener.band_fraction)


def lag_weights(bank: WhitenedBank) -> torch.Tensor:
    """(K, 3, n_window) weights turning the quadrature correlations (c0, c1) at each lag into SNR^2.

    Lag s lays window sample j on template sample s + j (merger at window sample n_window - s, s = 1..n_window).
    Over that overlap the quadratures have Gram matrix G = [[a, b], [b, d]] / band_fraction and the SNR
    maximised over phase is c^T G^-1 c: the exact projection, even where truncation breaks their orthogonality.
    """
    n, t = bank.n_window, bank.templates.astype(np.float64)
    products = np.stack([t[:, 0] ** 2, t[:, 0] * t[:, 1], t[:, 1] ** 2], axis=1)
    cum = np.concatenate([np.zeros(products.shape[:2] + (1,)), np.cumsum(products, axis=-1)], axis=-1)
    a, b, d = np.moveaxis(cum[..., n + 1 : 2 * n + 1] - cum[..., 1 : n + 1], 1, 0)
    det = np.maximum(a * d - b**2, 1e-6 * a * d + 1e-30)
    weights = bank.band_fraction * np.stack([d, -2 * b, a], axis=1) / det[:, None]
    return torch.from_numpy(weights.astype(np.float32))


def bank_snr(x: np.ndarray, bank: WhitenedBank, chunk_pairs: int = CHUNK_PAIRS) -> tuple[np.ndarray, np.ndarray]:
    """Per window: the SNR maximised over merger position, phase and template, and the best template's index.

    FFT correlation of every window with every quadrature, chunk_pairs // K windows at a time to bound memory.
    """
    x = np.asarray(x).reshape(len(x), -1)
    n, n_templates = bank.n_window, len(bank.templates)
    if x.shape[-1] != n:
        raise ValueError(f"windows have {x.shape[-1]} samples, the bank was built for {n}")
    spectra = torch.fft.rfft(torch.from_numpy(bank.templates), n=2 * n)  # (K, 2, n + 1)
    w = lag_weights(bank)
    snr, best = np.empty(len(x)), np.empty(len(x), dtype=np.int64)
    step = max(1, chunk_pairs // n_templates)
    with torch.no_grad():
        for lo in range(0, len(x), step):
            xs = torch.fft.rfft(torch.from_numpy(x[lo : lo + step].astype(np.float32)), n=2 * n)
            corr = torch.fft.irfft(xs.conj()[:, None, None] * spectra, n=2 * n)[..., 1 : n + 1]
            c0, c1 = corr[:, :, 0], corr[:, :, 1]
            rho2 = c0 * w[:, 0]  # in place from here: (w0 c0 + w1 c1) c0 + w2 c1^2 without temporaries
            rho2.addcmul_(c1, w[:, 1]).mul_(c0).addcmul_(c1.square(), w[:, 2])
            top, idx = rho2.amax(dim=-1).max(dim=-1)
            snr[lo : lo + step], best[lo : lo + step] = top.clamp_min(0).sqrt().numpy(), idx.numpy()
    return snr, best


def build_bank(
    whitener: Whitener,
    layout: WindowLayout,
    injection: InjectionConfig,
    n_templates: int = 300,
    seed: int = 12345,
    f_ref: float = 20.0,
    mass_min: float | None = None,
    mass_max: float | None = None,
) -> WhitenedBank:
    """Placement over [mass_min, mass_max] (default: the injected range) and the whitened templates, in one call."""
    lo = injection.mass_min if mass_min is None else mass_min
    hi = injection.mass_max if mass_max is None else mass_max
    return whitened_bank(place_bank(n_templates, lo, hi, f_ref, seed), whitener, layout, injection)


class TemplateBank:
    """Matched filter over a bank of non-spinning BBH templates covering the injected masses (GW data): the
    realistic search, of which the `matched filter` reference (each injection's own template) is the ideal bound."""

    def __init__(
        self,
        n_templates: int = 300,
        seed: int = 12345,
        f_ref: float = 20.0,
        mass_min: float | None = None,
        mass_max: float | None = None,
        chunk_pairs: int = CHUNK_PAIRS,
    ) -> None:
        check_config(n_templates, mass_min, mass_max)
        self.n_templates, self.seed, self.f_ref = n_templates, seed, f_ref
        self.mass_min, self.mass_max, self.chunk_pairs = mass_min, mass_max, chunk_pairs
        self.name = f"template bank ({n_templates} BBH templates)"

    def bank(self, whitener: Whitener, layout: WindowLayout, injection: InjectionConfig) -> WhitenedBank:
        """The whitened bank for data whitened by `whitener` and cut as `layout` says."""
        args = (self.n_templates, self.seed, self.f_ref, self.mass_min, self.mass_max)
        return build_bank(whitener, layout, injection, *args)

    def score(self, dm: GWDataModule) -> dict[str, np.ndarray]:
        """Bank SNR of the raw whitened windows of each scored split."""
        bank = self.bank(dm.filter_whitener(), dm.layout, dm.injection)
        return {split: bank_snr(dm.arrays[split], bank, self.chunk_pairs)[0] for split in SCORED_SPLITS}
