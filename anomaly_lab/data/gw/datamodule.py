"""LightningDataModule for gravitational-wave strain windows: simulated design-PSD noise or GWOSC files."""

from __future__ import annotations

from dataclasses import asdict
from pathlib import Path
from typing import Any

import numpy as np
import torch

from anomaly_lab.data.base import AnomalyDataModule
from anomaly_lab.data.gw.figures import plot_example_window
from anomaly_lab.data.gw.injections import InjectionConfig
from anomaly_lab.data.gw.sources import GwoscStrain, SimulatedNoise
from anomaly_lab.data.gw.whitening import Whitener
from anomaly_lab.data.gw.windows import WindowLayout, background_windows, signal_windows
from anomaly_lab.data.transforms import Standardizer

EDGE_TAPER_S = 0.5


class GWDataModule(AnomalyDataModule):
    """Whitened, band-passed strain windows: noise for training, noise + BBH injections as anomalies."""

    def __init__(
        self,
        source: str = "simulated",
        detector: str = "aligo",
        files: list[str] | None = None,
        sample_rate: float = 2048.0,
        window_s: float = 0.25,
        context_s: float = 8.0,
        window_offset_s: float = 5.5,
        f_low: float = 20.0,
        f_high: float = 500.0,
        injection: InjectionConfig | dict | None = None,
        dq_flags: list[str] | None = None,
        inj_flags: list[str] | None = None,
        psd_segment_s: float = 4.0,
        **common: Any,
    ) -> None:
        super().__init__(Standardizer(), **common)
        if source not in ("simulated", "gwosc"):
            raise ValueError(f"data.source: expected 'simulated' or 'gwosc', got {source!r}")
        injection = injection or InjectionConfig()
        self.injection = injection if isinstance(injection, InjectionConfig) else InjectionConfig(**injection)
        self.layout = WindowLayout(sample_rate, window_s, context_s, window_offset_s)
        self.layout.check(EDGE_TAPER_S)
        self.source, self.detector, self.files = source, detector, list(files or [])
        self.band = (f_low, f_high)
        self.dq_flags, self.inj_flags = list(dq_flags or []), list(inj_flags or [])
        self.psd_segment_s = psd_segment_s

    @property
    def cache_prefix(self) -> str:
        return f"gw-{self.source}"

    @property
    def generation_counts(self) -> dict[str, int]:
        """Split sizes in the order their random streams are spawned (fixed: it decides which noise each gets)."""
        order = ("train", "val", "test_background", "val_signal", "test_signal")
        return {name: self.counts[name] for name in order}

    def cache_config(self) -> dict[str, Any]:
        return {
            "source": self.source,
            "detector": self.detector if self.source == "simulated" else None,
            "files": self.files,
            "layout": asdict(self.layout),
            "band": self.band,
            "counts": self.counts,
            "injection": asdict(self.injection),
            "flags": [self.dq_flags, self.inj_flags, self.psd_segment_s],
            "seed": self.seed,
            "version": 1,
        }

    def input_files(self) -> list[Path]:
        return [Path(f) for f in self.files] if self.source == "gwosc" else []

    def _chunk_source(self) -> SimulatedNoise | GwoscStrain:
        if self.source == "simulated":
            return SimulatedNoise(self.detector, self.layout.fs, self.layout.n_context)
        return GwoscStrain(
            self.files, self.layout.fs, self.layout.n_context, self.layout.n_window,
            self.dq_flags, self.inj_flags, self.psd_segment_s, self.seed,
        )  # fmt: skip

    def generate_arrays(self) -> dict[str, np.ndarray]:
        source = self._chunk_source()
        whitener = Whitener(source.psd, self.layout.fs, self.layout.n_context, *self.band, edge_taper_s=EDGE_TAPER_S)
        counts = self.generation_counts
        rngs = dict(zip(counts, np.random.SeedSequence(self.seed).spawn(len(counts)), strict=True))

        def noise(name: str) -> np.ndarray:
            rng = np.random.default_rng(rngs[name])
            return background_windows(source, whitener, self.layout, self.counts[name], rng, f"noise: {name}")

        def injected(name: str) -> dict[str, np.ndarray]:
            rng = np.random.default_rng(rngs[name])
            n = self.counts[name]
            return signal_windows(source, whitener, self.layout, self.injection, n, rng, f"BBH: {name}")

        train, val, test_bg = noise("train"), noise("val"), noise("test_background")
        val_sig, test_sig = injected("val_signal"), injected("test_signal")
        n_bg, n_sig = len(test_bg), len(test_sig["x"])
        params = test_sig["params"]
        return {
            "train": train,
            "val": val,
            "val_signal": val_sig["x"],
            "val_signal_template": val_sig["template"],
            "test": np.concatenate([test_bg, test_sig["x"]]),
            "test_labels": np.concatenate([np.zeros(n_bg, np.int64), np.ones(n_sig, np.int64)]),
            "test_snr": np.concatenate([np.zeros(n_bg), params["snr"]]),
            "test_template": np.concatenate([np.zeros_like(test_bg), test_sig["template"]]),
            "test_injection": np.concatenate([np.zeros(n_bg, params.dtype), params]),
            "band_fraction": np.float64(whitener.band_fraction),
        }

    def describe(self) -> list[str]:
        """What the windows are, for the report: the SNR distribution above all, since efficiency depends on it."""
        inj, lay = self.injection, self.layout
        origin = (
            f"Gaussian noise from the {self.detector} design PSD"
            if self.source == "simulated"
            else f"GWOSC strain ({len(self.files)} files), PSD estimated from the data"
        )
        return [
            f"Data: {origin}, whitened and band-passed to [{self.band[0]:g}, {self.band[1]:g}] Hz, "
            f"{lay.window_s:g} s windows at {lay.fs:g} Hz, each whitened inside its own {lay.context_s:g} s chunk.",
            f"Injections: {inj.approximant}, component masses uniform in [{inj.mass_min:g}, {inj.mass_max:g}] "
            f"solar masses, spins |chi_z| <= {inj.spin_max:g}, isotropic sky and orientation, merger at "
            f"{inj.merger_min:g}-{inj.merger_max:g} of the window.",
            f"Optimal SNR (of the whitened signal inside the window): {inj.snr_distribution} in "
            f"[{inj.snr_min:g}, {inj.snr_max:g}].",
            f"Sizes: train {self.counts['train']} noise, validation {self.counts['val']} noise + "
            f"{self.counts['val_signal']} injections, test {self.counts['test_background']} noise + "
            f"{self.counts['test_signal']} injections; seed {self.seed}.",
        ]

    def example_figures(
        self, run_dir: Path, model: torch.nn.Module, scores: np.ndarray, threshold: float
    ) -> dict[str, Path]:
        """Input, reconstruction and residual of the injection nearest the median test SNR, waveform overlaid."""
        assert self.arrays is not None, "setup() first"
        extras, labels = self.test_extras, self.arrays["test_labels"]
        sig = np.flatnonzero(labels == 1)
        i = sig[np.argmin(np.abs(extras["snr"][sig] - np.median(extras["snr"][sig])))]
        x = self.inputs("test")[i : i + 1]
        model.eval()
        with torch.no_grad():
            recon = model.reconstruct(x.to(model.device))
        if recon is None:
            return {}
        # back to whitened-strain units, where the injected template lives
        mean, std = self.transform.mean, self.transform.std
        data, recon = x.numpy()[0, 0] * std + mean, recon.float().cpu().numpy()[0, 0] * std + mean
        title = f"test window {i}: SNR {extras['snr'][i]:.1f}, score {scores[i]:.3g}"
        t = np.arange(len(data)) / self.layout.fs
        path = run_dir / "example_window.png"
        return {"example window": plot_example_window(t, data, recon, path, extras["template"][i], title)}
