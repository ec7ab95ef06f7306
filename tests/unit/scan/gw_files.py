"""GWOSC files for the scanner's tests: noise with a loud burst at a known GPS time, and any detector's name."""

from __future__ import annotations

from pathlib import Path

import h5py
import numpy as np

from anomaly_lab.data.gw.psd import design_psd
from tests.writers import write_gwosc_file

GPS = 1126259446  # where write_gwosc_file's files start


def burst_file(path: Path, t0: float, snr: float, duration_s: int = 64, detector: str = "H1") -> Path:
    """Noise without gaps and a 150 Hz sine-Gaussian (tau 20 ms) of about optimal SNR `snr` at GPS `t0`."""
    write_gwosc_file(path, duration_s=duration_s, nan_seconds=None, failed_cat1_seconds=None, seed=3)
    f0, tau, fs = 150.0, 0.02, 4096
    # narrow band: SNR^2 = 2 * integral(h^2) / S(f0), and integral(h^2) = A^2 tau sqrt(pi) / 2
    amplitude = snr * np.sqrt(design_psd("aligo", np.array([f0]))[0] / (tau * np.sqrt(np.pi)))
    with h5py.File(path, "r+") as f:
        t = np.arange(len(f["strain/Strain"])) / fs + GPS - t0
        f["strain/Strain"][...] += amplitude * np.exp(-(t**2) / (2 * tau**2)) * np.sin(2 * np.pi * f0 * t)
    return set_detector(path, detector)


def set_detector(path: Path, detector: str) -> Path:
    """The file's `meta/Detector` replaced (the writer always says H1)."""
    with h5py.File(path, "r+") as f:
        del f["meta/Detector"]
        f["meta/Detector"] = detector.encode()
    return path
