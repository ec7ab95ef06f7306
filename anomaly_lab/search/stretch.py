"""A simulated multi-detector stretch: independent stationary Gaussian noise per site from its design PSD,
optionally with BBH injections at known GPS times, written as one GWOSC-layout HDF5 file per detector."""

from __future__ import annotations

import zlib
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from anomaly_lab.data.gw.gwosc_writer import write_gwosc_file
from anomaly_lab.data.gw.psd import design_psd
from anomaly_lab.data.gw.whitening import coloured_noise

# the design curve each simulated site's noise (and every recorded SNR) uses
SITE_PSDS = {"H1": "aligo", "L1": "aligo", "V1": "advirgo"}
# 2048 Hz is the models' rate (the scanner then reads the strain without resampling), half 4096 Hz's memory: a 1 h
# stretch is 7.4 M float64 samples (59 MB) per site, its noise spectrum a few times that while it is made
SAMPLE_RATES = (2048, 4096)


@dataclass(frozen=True)
class StretchConfig:
    """Which sites, from which GPS second, for how long, at which rate; `seed` fixes every site's noise."""

    sites: tuple[str, ...] = ("H1", "L1")
    gps_start: int = 1_200_000_000
    duration_s: int = 256
    sample_rate: int = 2048
    seed: int = 0

    def __post_init__(self) -> None:
        unknown = [s for s in self.sites if s not in SITE_PSDS]
        if not self.sites or unknown or len(set(self.sites)) != len(self.sites):
            raise ValueError(f"sites={list(self.sites)}: expected distinct sites among {sorted(SITE_PSDS)}")
        if self.sample_rate not in SAMPLE_RATES:
            raise ValueError(f"sample_rate={self.sample_rate}: expected one of {SAMPLE_RATES}")
        if self.duration_s < 16:
            raise ValueError(f"duration_s={self.duration_s}: expected a whole number of seconds, at least 16")

    @property
    def n_samples(self) -> int:
        return self.duration_s * self.sample_rate

    @property
    def gps_end(self) -> int:
        return self.gps_start + self.duration_s


def site_psd(site: str, freqs: np.ndarray) -> np.ndarray:
    """One-sided PSD [1/Hz] of a simulated site on `freqs` (zero below 10 Hz): the noise's and the SNRs' PSD."""
    return design_psd(SITE_PSDS[site], freqs)


def site_rng(seed: int, site: str, stream: str) -> np.random.Generator:
    """A generator for one purpose of one site: H1's noise does not change with the other sites simulated, nor
    with whether injections are drawn (their parameters come from another stream)."""
    return np.random.default_rng([seed, zlib.crc32(f"{stream}:{site}".encode())])


def site_noise(cfg: StretchConfig, site: str) -> np.ndarray:
    """The whole stretch's noise at one site, coloured by its design PSD in one FFT (exactly stationary)."""
    freqs = np.fft.rfftfreq(cfg.n_samples, 1 / cfg.sample_rate)
    return coloured_noise(site_psd(site, freqs), cfg.sample_rate, cfg.n_samples, site_rng(cfg.seed, site, "noise"))


def file_name(site: str, cfg: StretchConfig) -> str:
    """GWOSC's naming (`H-H1_GWOSC_4KHZ_R1-<gps>-<duration>.hdf5`), with SIM for simulated data."""
    return f"{site[0]}-{site}_SIM_{cfg.sample_rate // 1024}KHZ_R1-{cfg.gps_start}-{cfg.duration_s}.hdf5"


def write_gwosc(path: str | Path, site: str, strain: np.ndarray, cfg: StretchConfig) -> Path:
    """One site's strain in the GWOSC layout (every DQ and injection bit good), complete or not at all."""
    if len(strain) != cfg.n_samples:
        raise ValueError(f"{path}: {len(strain)} samples, expected {cfg.n_samples}")
    return write_gwosc_file(path, site, strain, cfg.gps_start, cfg.sample_rate)
