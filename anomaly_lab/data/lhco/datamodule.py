"""LightningDataModule for LHC Olympics R&D dijet events: the public file or our Pythia 8 events, as particles or
high-level features.

Both sources go through the same path: an R&D-format file streamed chunk by chunk into background-only
train/val splits and labelled validation-signal and test sets (never the whole file in memory); every event is
prepared as `data.particles` says (acceptance, then the leading-jet frame; see particles.py) before its particles,
high-level features or mjj are taken; the split arrays are cached on disk as float32, keyed by the configuration,
and scaled in memory by the fitted transform.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
import torch
from rich.progress import Progress

from anomaly_lab.data.base import AnomalyDataModule
from anomaly_lab.data.lhco import figures as lhco_figures
from anomaly_lab.data.lhco.generator import GenerationPlan, LhcoPhysics, generate_file
from anomaly_lab.data.lhco.highlevel import HLF_NAMES, high_level_features
from anomaly_lab.data.lhco.particles import ParticlePreparation, detector_view, model_particles
from anomaly_lab.data.lhco.preprocessing import FeatureStandardizer
from anomaly_lab.data.lhco.rnd_format import N_FEATURES, N_PARTICLES, LhcoFormatError, iter_events
from anomaly_lab.data.transforms import ParticleScaler

# file events fill these splits in file order: background in the first list's order, signal in the second's
BACKGROUND_SPLITS = ("train", "val", "test_background")
SIGNAL_SPLITS = ("val_signal", "test_signal")


class _SplitFiller:
    """Preallocated split arrays filled from a stream of labelled chunks."""

    def __init__(
        self, counts: dict[str, int], representation: str, max_particles: int, radius: float, prep: ParticlePreparation
    ) -> None:
        self.counts, self.representation, self.radius, self.prep = counts, representation, radius, prep
        self.filled = dict.fromkeys(counts, 0)
        width = (max_particles, N_FEATURES) if representation == "particles" else (len(HLF_NAMES),)
        self.x = {name: np.zeros((n, *width), np.float32) for name, n in counts.items()}
        self.mjj = {name: np.zeros(counts[name]) for name in ("train", "val", "test_background", "test_signal")}
        self.max_particles = max_particles

    @property
    def needed(self) -> int:
        return sum(self.counts.values()) - sum(self.filled.values())

    def add(self, particles: np.ndarray, splits: tuple[str, ...]) -> int:
        """Put events of one class into the first splits with room; returns how many were used."""
        used = 0
        for name in splits:
            lo, take = self.filled[name], min(self.counts[name] - self.filled[name], len(particles) - used)
            if take <= 0:
                continue
            events = detector_view(particles[used : used + take], self.prep)  # absolute frame: HLF and mjj
            hlf = high_level_features(events, self.radius) if self.representation == "hlf" or name in self.mjj else None
            if self.representation == "particles":
                self.x[name][lo : lo + take] = model_particles(events, self.prep, self.radius)[:, : self.max_particles]
            else:
                self.x[name][lo : lo + take] = hlf
            if name in self.mjj:
                self.mjj[name][lo : lo + take] = hlf[:, 0]
            self.filled[name] += take
            used += take
        return used


class LHCODataModule(AnomalyDataModule):
    """R&D dijet events: QCD background for training, W' -> X Y -> (qq)(qq) as the anomaly."""

    channel_axis = False

    def __init__(
        self,
        source: str = "generated",
        path: str | None = None,
        representation: str = "particles",
        test_signal_fraction: float | None = None,
        max_particles: int = N_PARTICLES,
        n_features: int = N_FEATURES,
        physics: LhcoPhysics | dict | None = None,
        particles: ParticlePreparation | dict | None = None,
        n_workers: int | None = None,
        chunk_size: int = 10000,
        **common: Any,
    ) -> None:
        if representation not in ("particles", "hlf"):
            raise ValueError(f"data.representation: expected 'particles' or 'hlf', got {representation!r}")
        prep = ParticlePreparation.from_config(particles)
        transform = ParticleScaler(prep.scaling) if representation == "particles" else FeatureStandardizer()
        super().__init__(transform, **common)
        if source not in ("generated", "files"):
            raise ValueError(f"data.source: expected 'generated' or 'files', got {source!r}")
        if source == "files" and not path:
            raise ValueError("data.source=files needs data.path=<events_anomalydetection.h5>")
        if not 0 < max_particles <= N_PARTICLES:
            raise ValueError(f"data.max_particles: expected 1..{N_PARTICLES}, got {max_particles}")
        if n_features != N_FEATURES:
            raise ValueError(f"data.n_features: R&D particles have {N_FEATURES} (pT, eta, phi), got {n_features}")
        if test_signal_fraction is not None:
            if not 0 < test_signal_fraction < 1:
                raise ValueError(f"data.test_signal_fraction: expected in (0, 1), got {test_signal_fraction}")
            n_bg = self.sizes.test_background
            self.sizes.test_signal = round(n_bg * test_signal_fraction / (1 - test_signal_fraction))
        physics = physics or LhcoPhysics()
        self.physics = physics if isinstance(physics, LhcoPhysics) else LhcoPhysics(**physics)
        self.source, self.path, self.representation, self.particles = source, path, representation, prep
        self.max_particles = max_particles
        self.n_workers, self.chunk_size = n_workers or os.cpu_count() or 1, chunk_size

    @property
    def cache_prefix(self) -> str:
        return f"lhco-{self.source}-{self.representation}"

    def _plan(self) -> GenerationPlan:
        n_bg = sum(self.counts[s] for s in BACKGROUND_SPLITS)
        return GenerationPlan(n_bg, sum(self.counts[s] for s in SIGNAL_SPLITS), self.seed, self.physics)

    def cache_config(self) -> dict[str, Any]:
        if self.source == "generated":
            origin: dict[str, Any] = {"events": self._plan().key()}
        else:
            origin = {"path": str(Path(self.path).resolve())}
        return {
            "source": self.source,
            **origin,
            "representation": self.representation,
            "counts": self.counts,
            "max_particles": self.max_particles,
            "jet_radius": self.physics.jet_radius,
            "particles": self.particles.key(),
            "version": 3,  # 2: acceptance and leading-jet frame (data.particles); 3: train and val mjj
        }

    def events_file(self) -> Path:
        """The R&D-format file the splits come from: the given one, or our generated one (made on first use)."""
        if self.source == "files":
            return Path(self.path)
        return generate_file(self._plan(), self.cache_dir, self.n_workers)

    def input_files(self) -> list[Path]:
        return [Path(self.path)] if self.source == "files" else []

    def generate_arrays(self) -> dict[str, np.ndarray]:
        path = self.events_file()
        fill = _SplitFiller(
            self.counts, self.representation, self.max_particles, self.physics.jet_radius, self.particles
        )
        with Progress(transient=True) as progress:
            bar = progress.add_task(f"reading {path.name}", total=fill.needed)
            for particles, labels in iter_events(path, self.chunk_size):
                if labels is None:
                    raise LhcoFormatError(f"{path}: key 'df' has no label column (a black box); training needs labels")
                before = fill.needed
                fill.add(particles[labels == 0], BACKGROUND_SPLITS)
                fill.add(particles[labels == 1], SIGNAL_SPLITS)
                progress.advance(bar, before - fill.needed)
                if fill.needed == 0:
                    break
        short = {k: f"{fill.filled[k]}/{n}" for k, n in self.counts.items() if fill.filled[k] < n}
        if short:
            raise ValueError(f"{path}: too few events for the requested splits (have/need: {short})")
        n_bg, n_sig = self.counts["test_background"], self.counts["test_signal"]
        return {
            "train": fill.x["train"],
            "val": fill.x["val"],
            "val_signal": fill.x["val_signal"],
            "test": np.concatenate([fill.x["test_background"], fill.x["test_signal"]]),
            "test_labels": np.concatenate([np.zeros(n_bg, np.int64), np.ones(n_sig, np.int64)]),
            "test_mjj": np.concatenate([fill.mjj["test_background"], fill.mjj["test_signal"]]),
            "train_mjj": fill.mjj["train"],  # for data.decorrelate=mjj
            "val_mjj": fill.mjj["val"],
        }

    def file_samples(self, path: Path, chunk_size: int) -> Iterator[tuple[np.ndarray, dict[str, np.ndarray]]]:
        """Events of an R&D-format file (the R&D file or a black box), chunk by chunk, as this run's inputs: the
        leading particles or the high-level features (then with mjj), prepared as the splits are; labels when the
        file has them."""
        radius = self.physics.jet_radius
        for particles, labels in iter_events(path, chunk_size):
            extras = {} if labels is None else {"labels": labels}
            seen = detector_view(particles, self.particles)
            if self.representation == "particles":
                yield model_particles(seen, self.particles, radius)[:, : self.max_particles], extras
            else:
                hlf = high_level_features(seen, radius)
                yield hlf.astype(np.float32), extras | {"mjj": hlf[:, 0]}

    def describe(self) -> list[str]:
        """What the events are and how they were prepared, for the report."""
        ph, c = self.physics, self.counts
        if self.source == "generated":
            origin = (
                f"Pythia 8 at {ph.sqrt_s / 1000:g} TeV, particle level without detector simulation: QCD dijets "
                f"(pTHatMin {ph.pthat_min:g} GeV) and W' ({ph.wprime_mass:g} GeV) -> X ({ph.x_mass:g} GeV) "
                f"Y ({ph.y_mass:g} GeV), X, Y -> qq; every visible final-state particle but neutrinos, pT-ordered"
            )
        else:
            origin = f"the LHC Olympics R&D file {self.path} (label column: 1 = signal)"
        trigger = f"anti-kT R = {ph.jet_radius:g} jet with pT > {ph.trigger_pt:g} GeV, |eta| < {ph.trigger_eta_max:g}"
        pp = self.particles
        accepted = (
            f"Acceptance: particles with |eta| < {pp.eta_max:g} and pT > {pp.pt_min:g} GeV only, re-packed pT-ordered "
            "(jets, mjj and every input are made of these)"
            if pp.acceptance
            else "Acceptance: none (every generated or stored particle)"
        )
        if self.representation == "particles":
            frame = (
                f"(pT, eta - y_J1, phi - phi_J1) around the leading anti-kT R = {ph.jet_radius:g} jet (y_J1 its "
                "rapidity, so that it sits at (0, 0)), phi wrapped to (-pi, pi]; log(pT), delta eta and delta phi "
                "standardised"
                if pp.frame == "relative"
                else "(pT, eta, phi) in the detector frame; pT standardised, eta and phi min-max scaled"
            )
            rep = (
                f"Inputs: up to {self.max_particles} particles per event as {frame} over real (pT > 0) training "
                "particles, padding kept at 0 with a real-particle mask as fourth feature."
            )
        else:
            rep = (
                f"Inputs: mjj, mj1, mj2 (the two pT-leading anti-kT R = {ph.jet_radius:g} jets, j1 the heavier), tau21 "
                "of j1 and j2 (exclusive-kT axes, beta = 1), each standardised on the training background."
            )
        frac = c["test_signal"] / max(c["test_signal"] + c["test_background"], 1)
        return [
            f"Data: {origin}. Trigger: {trigger}.",
            f"{accepted}.",
            rep,
            f"Sizes: train {c['train']} background, validation {c['val']} background + {c['val_signal']} signal, "
            f"test {c['test_background']} background + {c['test_signal']} signal (signal fraction {frac:.3f}); "
            f"seed {self.seed}.",
        ]

    def example_figures(
        self, run_dir: Path, model: torch.nn.Module, scores: np.ndarray, threshold: float
    ) -> dict[str, Path]:
        """Per-feature reconstruction of test background and signal, and the background mjj before and after
        the cut (see anomaly_lab.data.lhco.figures)."""
        assert self.arrays is not None, "setup() first"
        x, labels = self.inputs("test"), self.arrays["test_labels"]
        figs = lhco_figures.reconstruction_figures(x, labels, model, run_dir)
        return figs | lhco_figures.sculpting_figure(self.arrays["test_mjj"], labels, scores > threshold, run_dir)
