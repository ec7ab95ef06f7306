"""LightningDataModule for jet images: top vs QCD, from Top Quark Tagging files or the embedded generator."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import asdict
from pathlib import Path
from typing import Any

import numpy as np
import torch

from anomaly_lab.data.base import AnomalyDataModule
from anomaly_lab.data.jets.figures import jet_figures
from anomaly_lab.data.jets.generator import GenerationPlan, JetSelection, generate_files
from anomaly_lab.data.jets.images import JetImageConfig
from anomaly_lab.data.jets.toptag_format import TopTagFormatError, iter_jets
from anomaly_lab.data.transforms import GlobalScale

CLASSES = {"qcd": 0, "top": 1}  # is_signal_new


def jet_mass(p4: np.ndarray) -> np.ndarray:
    """Invariant mass of the summed constituents of (n, m, 4) E, PX, PY, PZ."""
    total = p4.astype(np.float64).sum(1)
    return np.sqrt(np.clip(total[:, 0] ** 2 - (total[:, 1:] ** 2).sum(1), 0, None))


def jet_record(p4: np.ndarray, images: JetImageConfig) -> dict[str, np.ndarray]:
    """What a study keeps of each jet: its image, its mass and its constituent count."""
    return {"image": images(p4), "mass": jet_mass(p4), "n_constituents": (p4[..., 0] > 0).sum(1)}


def take_by_class(
    path: str | Path, wanted: dict[int, int], images: JetImageConfig, chunk_size: int
) -> dict[int, dict[str, np.ndarray]]:
    """Stream a file until `wanted[label]` jets of each label are collected: images, mass, constituent count."""
    got: dict[int, list[dict[str, np.ndarray]]] = {label: [] for label in wanted}
    left = dict(wanted)
    for p4, labels in iter_jets(path, chunk_size):
        for label in wanted:
            rows = np.flatnonzero(labels == label)[: left[label]]
            if len(rows):
                got[label].append(jet_record(p4[rows], images))
                left[label] -= len(rows)
        if not any(left.values()):
            break
    short = {label: n for label, n in left.items() if n}
    if short:
        have = {label: wanted[label] - n for label, n in short.items()}
        raise TopTagFormatError(f"{path}: has only {have} jets of label(s) {list(short)}, config asks for {wanted}")
    return {
        label: {k: np.concatenate([c[k] for c in chunks]) for k in chunks[0]} if chunks else {}
        for label, chunks in got.items()
    }


class JetImageDataModule(AnomalyDataModule):
    """Jet images of one class (`background`) for training; the other class is the anomaly."""

    cache_prefix = "jet-images"

    def __init__(
        self,
        source: str = "generated",
        files: dict[str, str] | None = None,
        background: str = "qcd",
        supervised: bool = False,
        image: dict[str, Any] | None = None,
        generation: dict[str, Any] | None = None,
        chunk_size: int = 20000,
        n_workers: int | None = None,
        **common: Any,
    ) -> None:
        super().__init__(GlobalScale(), **common)
        if source not in ("generated", "files"):
            raise ValueError(f"data.source: expected 'generated' or 'files', got {source!r}")
        if background not in CLASSES:
            raise ValueError(f"data.background: expected one of {list(CLASSES)}, got {background!r}")
        files = dict(files or {})
        if source == "files" and set(files) != {"train", "val", "test"}:
            raise ValueError(f"data.files: expected paths for train, val and test, got {sorted(files)}")
        self.source, self.files, self.background, self.supervised_training = source, files, background, supervised
        self.image = JetImageConfig(**(image or {}))
        self.selection = JetSelection(**(generation or {}))
        self.chunk_size, self.n_workers = chunk_size, n_workers

    @property
    def labels(self) -> tuple[int, int]:
        """(background, signal) values of is_signal_new."""
        bkg = CLASSES[self.background]
        return bkg, 1 - bkg

    @property
    def class_names(self) -> tuple[str, str]:
        """(background, anomaly) as the report names them."""
        return ("QCD", "top") if self.background == "qcd" else ("top", "QCD")

    def _per_file(self) -> dict[str, dict[int, int]]:
        """Jets of each label each file must provide."""
        bkg, sig = self.labels
        c = self.counts
        return {
            "train": {bkg: c["train"], sig: c["train"] if self.supervised_training else 0},
            "val": {bkg: c["val"], sig: c["val_signal"]},
            "test": {bkg: c["test_background"], sig: c["test_signal"]},
        }

    def _paths(self) -> dict[str, str | Path]:
        if self.source == "files":
            return self.files
        per_file = self._per_file()
        # the generated files hold equal numbers of both classes, as the reference files do
        plan = GenerationPlan({f: max(n.values()) for f, n in per_file.items()}, self.seed, self.selection)
        return generate_files(plan, self.cache_dir, self.n_workers)

    def cache_config(self) -> dict[str, Any]:
        return {
            "source": self.source,
            "files": {k: str(Path(v).resolve()) for k, v in self.files.items()},
            "per_file": {f: {str(k): v for k, v in n.items()} for f, n in self._per_file().items()},
            "image": asdict(self.image),
            "generation": asdict(self.selection) if self.source == "generated" else None,
            "seed": self.seed,
            "version": 1,
        }

    def input_files(self) -> list[Path]:
        return [Path(p) for p in self.files.values()] if self.source == "files" else []

    def generate_arrays(self) -> dict[str, np.ndarray]:
        paths = self._paths()
        bkg, sig = self.labels
        per_file = self._per_file()
        jets = {f: take_by_class(paths[f], wanted, self.image, self.chunk_size) for f, wanted in per_file.items()}
        train = jets["train"][bkg]["image"]
        arrays = {"train": train, "val": jets["val"][bkg]["image"], "val_signal": jets["val"][sig]["image"]}
        if self.supervised_training:
            arrays["train"] = np.concatenate([train, jets["train"][sig]["image"]])
            arrays["train_labels"] = np.repeat([0, 1], [len(train), len(jets["train"][sig]["image"])])
        test_b, test_s = jets["test"][bkg], jets["test"][sig]
        arrays["test"] = np.concatenate([test_b["image"], test_s["image"]])
        arrays["test_labels"] = np.repeat([0, 1], [len(test_b["image"]), len(test_s["image"])])
        for extra in ("mass", "n_constituents"):
            arrays[f"test_{extra}"] = np.concatenate([test_b[extra], test_s[extra]]).astype(np.float64)
        return arrays

    def file_samples(self, path: Path, chunk_size: int) -> Iterator[tuple[np.ndarray, dict[str, np.ndarray]]]:
        """Jet images of a Top Quark Tagging file, chunk by chunk, with labels (1 = this run's anomaly class), jet
        mass and constituent count."""
        for p4, labels in iter_jets(path, chunk_size):
            extras = jet_record(p4, self.image)
            yield extras.pop("image"), extras | {"labels": (labels == self.labels[1]).astype(np.int64)}

    def describe(self) -> list[str]:
        """What the images are and where the jets come from, for the report."""
        sel, im = self.selection, self.image
        bkg, sig = self.class_names
        origin = (
            f"embedded Pythia 8 at {sel.sqrt_s / 1000:g} TeV (MPI {'on' if sel.mpi else 'off'}, no detector "
            f"simulation), FastJet anti-kT R = {sel.radius:g} on visible final-state particles, leading jet with "
            f"pT in [{sel.pt_min:g}, {sel.pt_max:g}] GeV and |eta| < {sel.eta_max:g}; top jets matched to the top "
            f"and its b, q, q' within dR = {sel.match_radius:g}"
            if self.source == "generated"
            else f"Top Quark Tagging Reference Dataset files {self.files}"
        )
        steps = [name for name in ("centre", "rotate", "flip", "normalise") if getattr(im, name)]
        if im.intensity_power != 1.0:
            steps.append(f"pixel intensities to the power {im.intensity_power:g}")
        c = self.counts
        train = f"{c['train']} {bkg} jets"
        if self.supervised_training:
            train += f" + {c['train']} {sig} jets (supervised)"
        return [
            f"Data: {origin}.",
            f"Images: {im.n_pixels}x{im.n_pixels} pixels over |d_eta|, |d_phi| <= {im.extent:g}, "
            f"steps: {', '.join(steps) or 'none'}.",
            f"Background: {bkg} jets; anomalies: {sig} jets.",
            f"Sizes: train {train}, validation {c['val']} {bkg} + {c['val_signal']} {sig}, "
            f"test {c['test_background']} {bkg} + {c['test_signal']} {sig}; seed {self.seed}.",
        ]

    def example_figures(
        self, run_dir: Path, model: torch.nn.Module, scores: np.ndarray, threshold: float
    ) -> dict[str, Path]:
        """Mean test images of both classes, and the median-score anomalous jet beside the model's output."""
        assert self.arrays is not None, "setup() first"
        return jet_figures(self.inputs("test"), self.arrays["test_labels"], self.class_names, model, scores, run_dir)
