"""LightningDataModule for gravitational-wave strain windows: simulated design-PSD noise or GWOSC files."""

from __future__ import annotations

from dataclasses import asdict
from pathlib import Path
from typing import Any

import numpy as np
import torch

from anomaly_lab.data.base import AnomalyDataModule
from anomaly_lab.data.gw.families import make_family
from anomaly_lab.data.gw.figures import plot_example_window
from anomaly_lab.data.gw.injections import InjectionConfig, union_records
from anomaly_lab.data.gw.noise import noise_settings, stream_noise, window_glitch_snr
from anomaly_lab.data.gw.sources import GwoscStrain, SimulatedNoise
from anomaly_lab.data.gw.stream import StreamNoise
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
        signals: list[str] | None = None,
        family_options: dict[str, dict[str, Any]] | None = None,
        noise: dict[str, Any] | None = None,
        whitening_filter_s: float | None = None,
        window_stride_s: float | None = None,
        **common: Any,
    ) -> None:
        super().__init__(Standardizer(), **common)
        if source not in ("simulated", "gwosc"):
            raise ValueError(f"data.source: expected 'simulated' or 'gwosc', got {source!r}")
        injection = injection or InjectionConfig()
        self.injection = injection if isinstance(injection, InjectionConfig) else InjectionConfig(**injection)
        self.layout = WindowLayout(sample_rate, window_s, context_s, window_offset_s)
        self.whitening_filter_s = whitening_filter_s
        self.layout.check(EDGE_TAPER_S + (whitening_filter_s or 0.0) / 2)
        self.noise = noise_settings(noise, source)
        self.window_stride_s = window_stride_s
        self._filter_whitener: Whitener | None = None
        self.source, self.detector, self.files = source, detector, list(files or [])
        self.band = (f_low, f_high)
        self.dq_flags, self.inj_flags = list(dq_flags or []), list(inj_flags or [])
        self.psd_segment_s = psd_segment_s
        self.signals = list(signals or ["bbh"])
        self.family_options = {k: dict(v) for k, v in (family_options or {}).items()}
        unknown = sorted(set(self.family_options) - set(self.signals))
        if unknown or len(set(self.signals)) != len(self.signals):
            raise ValueError(
                f"data.signals {self.signals}, data.family_options {sorted(self.family_options)}: expected distinct "
                "families, and options only for families in data.signals"
            )
        for name in self.signals:  # a bad name or option fails here, before any data is made
            make_family(name, self.injection, "H1", self.family_options.get(name))

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
            "signals": self.signals,
            "family_options": self.family_options,
            "noise": self.noise if self.source == "simulated" else None,
            "whitening_filter_s": self.whitening_filter_s,
            "window_stride_s": self.window_stride_s,
            "seed": self.seed,
            "version": 3,  # raised whenever the generating code changes what a config gives
        }

    def input_files(self) -> list[Path]:
        return [Path(f) for f in self.files] if self.source == "gwosc" else []

    def _chunk_source(self) -> SimulatedNoise | StreamNoise | GwoscStrain:
        lay = self.layout
        if self.source == "simulated" and self.noise["model"] == "independent":
            return SimulatedNoise(self.detector, lay.fs, lay.n_context)
        if self.source == "simulated":
            return stream_noise(self.noise, self.detector, lay, self.psd_segment_s, self.seed, self.band)
        stride = round(self.window_stride_s * lay.fs) if self.window_stride_s else None
        return GwoscStrain(
            self.files, lay.fs, lay.n_context, lay.n_window, self.dq_flags, self.inj_flags, self.psd_segment_s,
            self.seed, stride=stride, split_sizes=self.generation_counts,
        )  # fmt: skip

    def _whitener(self, source: SimulatedNoise | StreamNoise | GwoscStrain) -> Whitener:
        lay = self.layout
        return Whitener(source.psd, lay.fs, lay.n_context, *self.band, edge_taper_s=EDGE_TAPER_S,
                        filter_duration_s=self.whitening_filter_s)  # fmt: skip

    def filter_whitener(self) -> Whitener:
        """The whitening the windows went through (for reference filters that whiten their own templates): the one
        generation used, or, when the windows came from the cache, built again (GWOSC files are read for its PSD)."""
        if self._filter_whitener is None:
            self._filter_whitener = self._whitener(self._chunk_source())
        return self._filter_whitener

    def signal_processes(self) -> list[str]:
        return list(self.signals) if len(self.signals) > 1 else []

    def _shares(self, n: int) -> list[int]:
        """`n` injections split between the families as evenly as possible, the first ones taking the remainder."""
        k = len(self.signals)
        return [n // k + (i < n % k) for i in range(k)]

    def generate_arrays(self) -> dict[str, np.ndarray]:
        source = self._chunk_source()
        whitener = self._filter_whitener = self._whitener(source)
        counts = self.generation_counts
        rngs = dict(zip(counts, np.random.SeedSequence(self.seed).spawn(len(counts)), strict=True))
        families = [make_family(f, self.injection, source.site, self.family_options.get(f)) for f in self.signals]

        glitch_snr: dict[str, np.ndarray] = {}

        def noise(name: str) -> np.ndarray:
            rng = np.random.default_rng(rngs[name])
            out = background_windows(source, whitener, self.layout, self.counts[name], rng, f"noise: {name}")
            glitch_snr[name] = window_glitch_snr(source, len(out))
            return out

        def injected(name: str) -> dict[str, np.ndarray]:
            rng = np.random.default_rng(rngs[name])
            parts, glitches = [], []
            for fam, n in zip(families, self._shares(self.counts[name]), strict=True):
                parts.append(signal_windows(source, whitener, self.layout, self.injection, n, rng, fam.name, fam))
                glitches.append(window_glitch_snr(source, n))
            glitch_snr[name] = np.concatenate(glitches)
            process = np.repeat(np.arange(1, len(parts) + 1), [len(p["x"]) for p in parts])
            return {
                "x": np.concatenate([p["x"] for p in parts]),
                "template": np.concatenate([p["template"] for p in parts]),
                "params": union_records([p["params"] for p in parts]),
                "process": process,
            }

        train, val, test_bg = noise("train"), noise("val"), noise("test_background")
        val_sig, test_sig = injected("val_signal"), injected("test_signal")
        n_bg, n_sig = len(test_bg), len(test_sig["x"])
        params = test_sig["params"]
        out = {
            "train": train,
            "val": val,
            "val_signal": val_sig["x"],
            "val_signal_template": val_sig["template"],
            "test": np.concatenate([test_bg, test_sig["x"]]),
            "test_labels": np.concatenate([np.zeros(n_bg, np.int64), np.ones(n_sig, np.int64)]),
            "test_snr": np.concatenate([np.zeros(n_bg), params["snr"]]),
            "test_snr_full": np.concatenate([np.zeros(n_bg), params["snr_full"]]),
            "test_template": np.concatenate([np.zeros_like(test_bg), test_sig["template"]]),
            "test_injection": np.concatenate([np.zeros(n_bg, params.dtype), params]),
            "band_fraction": np.float64(whitener.band_fraction),
        }
        if isinstance(source, StreamNoise) and source.rate_per_hour > 0:
            # the SNR that glitches bring into each test window (0 for none): the background an AE can learn
            out["test_glitch_snr"] = np.concatenate([glitch_snr["test_background"], glitch_snr["test_signal"]])
            out["train_glitch_snr"] = glitch_snr["train"]
        if len(families) > 1:
            out["test_process"] = np.concatenate([np.zeros(n_bg, np.int64), test_sig["process"]])
            out["val_signal_process"] = val_sig["process"]
        return out

    def describe(self) -> list[str]:
        """What the windows are, for the report: the SNR distribution above all, since efficiency depends on it."""
        inj, lay, noise = self.injection, self.layout, self.noise
        if self.source == "gwosc":
            origin = f"GWOSC strain ({len(self.files)} files), PSD estimated from the data"
        elif noise["model"] == "stream":
            origin = (f"one continuous Gaussian stream coloured by the {self.detector} curve, PSD estimated by median "
                      f"Welch from {noise['psd_data_s']:g} s of other data, glitches at "
                      f"{noise['glitch_rate_per_hour']:g} per hour")  # fmt: skip
        else:
            origin = f"Gaussian noise from the {self.detector} curve, a fresh chunk per window"
        truncation = f", filter truncated to {self.whitening_filter_s:g} s" if self.whitening_filter_s else ""
        if inj.snr_distribution == "astrophysical":
            snr = (f"SNR set by each source's distance (uniform in volume in [{inj.distance_min_mpc:g}, "
                   f"{inj.distance_max_mpc:g}] Mpc), orientation and the detector; no rescaling")  # fmt: skip
        else:
            snr = (f"optimal SNR of the whitened signal inside the window {inj.snr_distribution} in "
                   f"[{inj.snr_min:g}, {inj.snr_max:g}]; the whole waveform's SNR (from {inj.f_min:g} Hz) is "
                   "recorded beside it as snr_full")  # fmt: skip
        return [
            f"Data: {origin}, whitened{truncation} and band-passed to [{self.band[0]:g}, {self.band[1]:g}] Hz, "
            f"{lay.window_s:g} s windows at {lay.fs:g} Hz, each whitened inside its own {lay.context_s:g} s chunk.",
            f"Injected: {', '.join(self.signals)} (sharing the signal splits evenly); BBHs are {inj.approximant}, "
            f"component masses uniform in [{inj.mass_min:g}, {inj.mass_max:g}] solar masses, spins |chi_z| <= "
            f"{inj.spin_max:g}, isotropic sky and orientation; merger (burst centre) at "
            f"{inj.merger_min:g}-{inj.merger_max:g} of the window.",
            f"SNR: {snr}.",
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
