"""LightningDataModule for ADC2021 trigger-level events: the Standard Model cocktail for training, four new-physics
signals each scored and reported on its own; the public files or our Pythia 8 events in the same format.

Events are drawn at random (seeded) from each file and streamed chunk by chunk, so a 4 M-event background file
never sits in memory whole; all-zero events are dropped (and counted). The split arrays are cached as float32,
keyed by the configuration and the input files' content; scaling happens in memory through the fitted transform.
"""

from __future__ import annotations

import os
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

import numpy as np
import torch
from rich.progress import Progress

from anomaly_lab.data import figures
from anomaly_lab.data.adc2021.generator import GenerationPlan, describe_generation, generate_files
from anomaly_lab.data.adc2021.objects_format import N_OBJECTS, iter_objects, n_events
from anomaly_lab.data.adc2021.preprocessing import N_FEATURES, ObjectScaler
from anomaly_lab.data.adc2021.processes import SIGNALS, Adc2021Physics
from anomaly_lab.data.base import AnomalyDataModule

SIGNAL_TITLES = {
    "Ato4l": "A -> 4l (50 GeV)",
    "leptoquark": "LQ -> b tau (80 GeV)",
    "hToTauTau": "h0 -> tau tau (60 GeV)",
    "hChToTauNu": "h+- -> tau nu (60 GeV)",
}
OVERDRAW = 1.02  # events drawn beyond those needed, to replace all-zero ones without a second pass


def _read_rows(path: Path, rows: np.ndarray, chunk_size: int) -> np.ndarray:
    """Events at the given file positions, in that order, from one chunked pass over the file."""
    wanted = np.sort(rows)
    kept: list[np.ndarray] = []
    lo = 0
    for chunk in iter_objects(path, chunk_size):
        hi = lo + len(chunk)
        kept.append(chunk[wanted[(wanted >= lo) & (wanted < hi)] - lo])
        lo = hi
        if lo > wanted[-1]:
            break
    return np.concatenate(kept)[np.argsort(np.argsort(rows))]  # from file order back to the given order


def sample_events(path: Path, n: int, seed: int, chunk_size: int) -> tuple[np.ndarray, int]:
    """`n` events drawn at random without replacement from an ADC2021 file, in random order, all-zero events left
    out; and how many all-zero events the draw met. One pass over the file reads the draw plus a margin; a file
    with more empty events than the margin gets further passes over the rest of the same random order."""
    total = n_events(path)
    order = np.random.default_rng(seed).permutation(total)
    events, empty, taken = np.zeros((0, 19, 4), np.float32), 0, 0
    while len(events) < n and taken < total:
        rows = order[taken : taken + int((n - len(events)) * OVERDRAW) + 16]
        taken += len(rows)
        drawn = _read_rows(path, rows, chunk_size)
        blank = ~drawn.any(axis=(1, 2))
        events, empty = np.concatenate([events, drawn[~blank]]), empty + int(blank.sum())
    if len(events) < n:
        raise ValueError(f"{path}: too few events with objects ({len(events)} of the {total} in the file, need {n})")
    return events[:n], empty


class ADC2021DataModule(AnomalyDataModule):
    """SM cocktail for training and validation; the test mix is background plus every configured signal, whose
    process codes (1..n in `signals` order, 0 background) ride along as the `process` extra of the test and
    validation-signal splits. `sizes.val_signal` and `sizes.test_signal` are per signal."""

    channel_axis = False

    def __init__(
        self,
        source: str = "generated",
        files: Mapping[str, Any] | None = None,
        signals: list[str] | tuple[str, ...] = SIGNALS,
        scaling: str = "minmax",
        n_objects: int = N_OBJECTS,
        n_features: int = N_FEATURES,
        n_inputs: int = N_FEATURES + 1,
        n_reconstructed: int = 3,
        physics: Mapping[str, Any] | None = None,
        n_workers: int | None = None,
        chunk_size: int = 100_000,
        **common: Any,
    ) -> None:
        super().__init__(ObjectScaler(scaling), **common)
        shape = (n_objects, n_features, n_inputs, n_reconstructed)
        if shape != (N_OBJECTS, N_FEATURES, N_FEATURES + 1, 3):
            raise ValueError(
                f"data.n_objects, n_features, n_inputs, n_reconstructed: ADC2021 events give {N_OBJECTS} objects, "
                f"{N_FEATURES} features (pT, eta, phi, 4 one-hot types), {N_FEATURES + 1} inputs with the mask and "
                f"3 reconstructed (pT, eta, phi); got {shape}"
            )
        if source not in ("generated", "files"):
            raise ValueError(f"data.source: expected 'generated' or 'files', got {source!r}")
        self.signals = list(signals)
        if not self.signals or len(set(self.signals)) != len(self.signals):
            raise ValueError(f"data.signals: expected distinct signal names, got {self.signals}")
        files = dict(files or {})
        if source == "files":
            given = dict(files.get("signals") or {})
            missing = [s for s in self.signals if not given.get(s)]
            if not files.get("background") or missing:
                what = missing or "background"
                raise ValueError(
                    "data.source=files needs data.files.background=<background_for_training.h5> and "
                    f"+data.files.signals.<name>=<file> for every signal in data.signals (missing: {what})"
                )
        elif unknown := [s for s in self.signals if s not in SIGNALS]:
            raise ValueError(f"data.signals: the generator makes {list(SIGNALS)}, got {unknown}")
        self.source, self.files, self.physics = source, files, dict(physics or {})
        self.n_workers, self.chunk_size = n_workers or os.cpu_count() or 1, chunk_size

    @property
    def cache_prefix(self) -> str:
        return f"adc2021-{self.source}"

    def _plan(self) -> GenerationPlan:
        c = self.counts
        per_signal = c["val_signal"] + c["test_signal"]
        counts = {"background": c["train"] + c["val"] + c["test_background"], **dict.fromkeys(self.signals, per_signal)}
        return GenerationPlan(counts, self.seed, Adc2021Physics(**self.physics))

    def input_paths(self) -> dict[str, Path]:
        """The file per process ('background' and each signal): the given ones, or our generated ones."""
        if self.source == "files":
            return {"background": Path(self.files["background"])} | {
                s: Path(self.files["signals"][s]) for s in self.signals
            }
        return generate_files(self._plan(), self.cache_dir, self.n_workers)

    def input_files(self) -> list[Path]:
        return list(self.input_paths().values()) if self.source == "files" else []

    def cache_config(self) -> dict[str, Any]:
        if self.source == "generated":
            origin: dict[str, Any] = {"events": self._plan().key()}
        else:
            origin = {"paths": {k: str(p.resolve()) for k, p in self.input_paths().items()}}
        return {"source": self.source, **origin, "signals": self.signals, "counts": self.counts, "seed": self.seed,
                "version": 1}  # fmt: skip

    def signal_processes(self) -> list[str]:
        return list(self.signals)

    def generate_arrays(self) -> dict[str, np.ndarray]:
        c, paths = self.counts, self.input_paths()
        seeds = np.random.SeedSequence(self.seed).spawn(1 + len(self.signals))
        n_bg = c["train"] + c["val"] + c["test_background"]
        n_sig = c["val_signal"] + c["test_signal"]
        with Progress(transient=True) as progress:
            bar = progress.add_task("drawing ADC2021 events", total=1 + len(self.signals))
            background, dropped = sample_events(paths["background"], n_bg, _seed(seeds[0]), self.chunk_size)
            progress.advance(bar)
            signals = []
            for name, seq in zip(self.signals, seeds[1:], strict=True):
                events, zeros = sample_events(paths[name], n_sig, _seed(seq), self.chunk_size)
                signals.append(events)
                dropped += zeros
                progress.advance(bar)
        train, val, test_bg = np.split(background, [c["train"], c["train"] + c["val"]])
        codes = np.arange(1, len(self.signals) + 1)
        test_process = np.concatenate([np.zeros(len(test_bg), np.int64), np.repeat(codes, c["test_signal"])])
        return {
            "train": train,
            "val": val,
            "val_signal": np.concatenate([s[: c["val_signal"]] for s in signals]),
            "val_signal_process": np.repeat(codes, c["val_signal"]),
            "test": np.concatenate([test_bg, *(s[c["val_signal"] :] for s in signals)]),
            "test_labels": (test_process > 0).astype(np.int64),
            "test_process": test_process,
            "empty_events_dropped": np.array(dropped),
        }

    def file_samples(self, path: Path, chunk_size: int) -> Iterator[tuple[np.ndarray, dict[str, np.ndarray]]]:
        """Events of an ADC2021-format file (a signal or a black box) chunk by chunk, with their EvtId when the file
        has them: a black box is scored without labels."""
        for objects, ids in iter_objects(path, chunk_size, with_ids=True):
            yield objects, ({} if ids is None else {"event_id": ids})

    def describe(self) -> list[str]:
        """Where the events come from, how they are prepared, the split sizes."""
        c = self.counts
        if self.source == "generated":
            origin = describe_generation(self._plan())
        else:
            origin = f"the ADC2021 files {self.files['background']} (background) and {dict(self.files['signals'])}"
        scaling = self.transform.scaling
        signals = ", ".join(SIGNAL_TITLES.get(s, s) for s in self.signals)
        return [
            f"Data: {origin}.",
            f"Inputs: 19 objects (MET, 4 e, 4 mu, 10 jets) x (pT, eta, phi) {scaling}-scaled over real training "
            "objects, a one-hot object type and a real-object mask; the models reconstruct (pT, eta, phi) of real "
            "objects only.",
            f"Sizes: train {c['train']}, validation {c['val']} background events; per signal ({signals}) "
            f"{c['val_signal']} validation and {c['test_signal']} test events; test background {c['test_background']}; "
            f"seed {self.seed}; all-zero events dropped: {int(self.constants.get('empty_events_dropped', 0))}.",
        ]

    def example_figures(
        self, run_dir: Path, model: torch.nn.Module, scores: np.ndarray, threshold: float
    ) -> dict[str, Path]:
        """Per-feature (pT, eta, phi) reconstruction of real objects in background and signal events."""
        assert self.arrays is not None, "setup() first"
        return figures.reconstruction_figures(self.inputs("test"), self.arrays["test_labels"], model, run_dir)


def _seed(seq: np.random.SeedSequence) -> int:
    return int(seq.generate_state(1)[0])
