"""Embedded ADC2021 generator: Pythia 8 at 13 TeV, the lepton-filtered Standard Model cocktail and four signals,
turned into trigger objects by the parametrised detector of `objects.py` and written in the public file format.

Work is split into fixed tasks with their own Pythia seeds, so the output depends on the seed only, not on the
number of worker processes; each file is reused for the same configuration. No pileup is simulated (the public
signal files say PU20): its effect enters only through the MET resolution.
"""

from __future__ import annotations

import json
import os
import time
from collections.abc import Iterator, Mapping
from contextlib import ExitStack
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import awkward as ak
import numpy as np

from anomaly_lab.atomic import write_text_atomic
from anomaly_lab.data.adc2021.objects import event_objects, lepton_filter
from anomaly_lab.data.adc2021.objects_format import ObjectWriter
from anomaly_lab.data.adc2021.processes import COCKTAIL_SETTINGS, PROCESSES, SIGNAL_MASSES, SIGNALS, Adc2021Physics
from anomaly_lab.data.cache import config_key
from anomaly_lab.data.pythia import run_in_order, start_pythia, task_seed

VERSION = 1


def final_state(events: Any) -> Any:
    """Final-state particles (px, py, pz, E, id) per event, from a Pythia `nextBatch` awkward array."""
    prt = events.prt[events.prt.status > 0]
    return ak.zip({"px": prt.p.px, "py": prt.p.py, "pz": prt.p.pz, "E": prt.p.e, "id": prt.id})


def _generate_task(task: tuple[str, int, int, Adc2021Physics]) -> tuple[np.ndarray, int, float]:
    """Worker: `n` filtered events of one process -> (objects (n, 19, 4), events generated to get them, seconds)."""
    process, n, seed, physics = task
    start = time.perf_counter()
    pythia = start_pythia(physics.pythia_settings(process, seed), f"{process} with seed {seed}")
    rng = np.random.default_rng(seed)  # the resolution draws, fixed by the task like Pythia's
    kept: list[np.ndarray] = []
    n_kept = tried = 0
    efficiency = 1.0  # the first batch is sized for the task, later ones by the measured filter efficiency
    while n_kept < n:
        batch = int(min(200, max(10, 1.2 * (n - n_kept) / efficiency)))
        objects = event_objects(final_state(pythia.nextBatch(batch)), rng, physics.cuts, physics.smearing)
        passed = np.flatnonzero(lepton_filter(objects, physics.cuts.filter_pt))[: n - n_kept]
        # count generated events up to the last one kept, so kept / generated is the filter efficiency
        tried += len(objects) if n_kept + len(passed) < n else int(passed[-1]) + 1
        kept.append(objects[passed])
        n_kept += len(passed)
        efficiency = max(n_kept / tried, 0.01)
        if n_kept < n and tried * physics.min_efficiency >= 10 and n_kept < tried * physics.min_efficiency:
            raise RuntimeError(f"ADC2021 {process}: filter efficiency {n_kept}/{tried} is below "
                               f"min_efficiency = {physics.min_efficiency}; this process is not feasible")  # fmt: skip
    return np.concatenate(kept), tried, time.perf_counter() - start


def _split(total: int, fractions: Mapping[str, float]) -> dict[str, int]:
    """`total` events shared by fractions (normalised), largest remainders rounded up."""
    norm = sum(fractions.values())
    exact = {k: total * f / norm for k, f in fractions.items()}
    out = {k: int(v) for k, v in exact.items()}
    for k in sorted(exact, key=lambda k: out[k] - exact[k])[: total - sum(out.values())]:
        out[k] += 1
    return out


@dataclass(frozen=True)
class GenerationPlan:
    """How many filtered events per file ('background', the cocktail, and signal names), in fixed-size tasks each
    with its own seed."""

    counts: Mapping[str, int]
    seed: int
    physics: Adc2021Physics = field(default_factory=Adc2021Physics)
    task_size: int = 200

    def __post_init__(self) -> None:
        if unknown := set(self.counts) - {"background", *SIGNALS}:
            raise ValueError(f"ADC2021 generation: files are 'background' and {list(SIGNALS)}, got {sorted(unknown)}")
        if any(n < 0 for n in self.counts.values()) or not sum(self.counts.values()):
            raise ValueError(f"ADC2021 generation: expected non-negative counts, some events, got {dict(self.counts)}")

    def process_counts(self, name: str) -> dict[str, int]:
        """Events per Pythia process in one file."""
        if name == "background":
            return _split(self.counts["background"], self.physics.fractions())
        return {name: self.counts[name]}

    def tasks(self, name: str) -> list[tuple[str, int, int]]:
        """(process, n, Pythia seed) per task of one file, in the order they are written to it.

        A task's seeds (Pythia's and the smearing's) depend on (run seed, process, task index) only, not on the other
        tasks; a task of another size draws its smearing in other batches, so its events differ.
        """
        out = []
        for process, total in self.process_counts(name).items():
            for t_index, lo in enumerate(range(0, total, self.task_size)):
                seed = task_seed(self.seed, PROCESSES.index(process), t_index)
                out.append((process, min(self.task_size, total - lo), seed))
        # interleave the cocktail's processes, while every task is still written whole
        order = np.random.default_rng([self.seed, len(PROCESSES)]).permutation(len(out))
        return [out[i] for i in order]

    def key(self, name: str | None = None) -> str:
        """Hash of what decides one file (`name`), or of the whole plan."""
        counts = dict(self.counts) if name is None else {name: self.counts[name]}
        physics = asdict(self.physics)
        if name is not None:  # only what decides this file: a signal's own mass, or the cocktail's settings
            unused = [*COCKTAIL_SETTINGS, *SIGNAL_MASSES.values()] if name in SIGNALS else list(SIGNAL_MASSES.values())
            for k in unused:
                if k != SIGNAL_MASSES.get(name):
                    physics.pop(k)
        return config_key({"counts": counts, "seed": self.seed, "physics": physics, "task_size": self.task_size,
                           "version": VERSION})  # fmt: skip


def _run_tasks(tasks: list[tuple[str, str, int, int]], physics: Adc2021Physics, n_workers: int) -> Iterator[Any]:
    """(task, (objects, generated, seconds)) per (file, process, n, seed) task, in order."""
    payload = [(process, n, seed, physics) for _, process, n, seed in tasks]
    results = run_in_order(_generate_task, payload, [t[2] for t in tasks], "Pythia 8 ADC2021 events", n_workers)
    yield from zip(tasks, results, strict=True)


def generate_files(plan: GenerationPlan, cache_dir: str | Path, n_workers: int | None = None) -> dict[str, Path]:
    """One ADC2021-format file per entry of `plan.counts` ('background', the cocktail, and each signal) under
    `cache_dir`, generated on first use; all missing files' tasks share one worker pool.

    Beside each, `<file>.json` records per process the events kept and generated, the worker seconds, the events
    per core-second and the filter efficiency (kept / generated).
    """
    names = [k for k, n in plan.counts.items() if n > 0]
    paths = {k: Path(cache_dir) / f"adc2021-{k}-{plan.key(k)}.h5" for k in names}
    missing = [k for k in names if not paths[k].is_file()]
    if not missing:
        return paths
    tasks = [(k, *task) for k in missing for task in plan.tasks(k)]
    stats = {k: {p: {"events": 0, "generated": 0, "seconds": 0.0} for p in plan.process_counts(k)} for k in missing}
    with ExitStack() as stack:
        writers = {k: stack.enter_context(ObjectWriter(paths[k])) for k in missing}
        results = _run_tasks(tasks, plan.physics, n_workers or os.cpu_count() or 1)
        for (name, process, n, _), (objects, tried, seconds) in results:
            writers[name].append(objects)
            s = stats[name][process]
            s["events"], s["generated"], s["seconds"] = s["events"] + n, s["generated"] + tried, s["seconds"] + seconds
        # the statistics go first: a crash before the event files are renamed into place leaves no file without them
        for name in missing:
            for s in stats[name].values():
                s["events_per_core_second"] = s["events"] / s["seconds"] if s["seconds"] else None
                s["filter_efficiency"] = s["events"] / s["generated"] if s["generated"] else None
            record = {"physics": asdict(plan.physics), **stats[name]}
            write_text_atomic(paths[name].with_suffix(".json"), json.dumps(record, indent=1))
    return paths


def generation_stats(path: str | Path) -> dict[str, Any]:
    """The statistics `generate_files` recorded beside a generated file."""
    return json.loads(Path(path).with_suffix(".json").read_text())


def describe_generation(plan: GenerationPlan) -> str:
    """One sentence on where the generated events come from."""
    shares = plan.physics.fractions()
    total = sum(shares.values())
    cocktail = ", ".join(f"{p} {100 * f / total:.1f} %" for p, f in shares.items() if f > 0)
    signals = ", ".join(f"{k} {n}" for k, n in plan.counts.items() if k != "background")
    return (
        f"Pythia 8 at {plan.physics.sqrt_s / 1000:g} TeV with a CMS-like parametrised detector (no pileup), events "
        f"with an isolated e or mu above {plan.physics.cuts.filter_pt:g} GeV: SM cocktail ({cocktail}) "
        f"{plan.counts.get('background', 0)} events; signals {signals or 'none'}; seed {plan.seed}"
    )
