"""Embedded LHC Olympics R&D generator: Pythia 8 at 13 TeV, QCD dijets and the W' -> X Y -> (qq)(qq) signal.

No detector simulation (the R&D set used Delphes): events keep every visible final-state particle, pT-ordered
up to 700, and pass the R&D trigger (an anti-kT R = 1 jet with pT > 1.2 TeV and |eta| < 2.5). Work is split
into fixed tasks with their own Pythia seeds, so the output depends on the seed only, not on the number of
worker processes; the file is written in the R&D format and reused for the same configuration.
"""

from __future__ import annotations

import json
import os
import time
from collections.abc import Iterator
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import awkward as ak
import fastjet
import numpy as np

from anomaly_lab.atomic import write_text_atomic
from anomaly_lab.data.cache import config_key
from anomaly_lab.data.lhco.rnd_format import N_PARTICLES, EventWriter
from anomaly_lab.data.pythia import common_settings, run_in_order, start_pythia, task_seed

PROCESSES = ("background", "signal")
NEUTRINOS = (12, 14, 16)
# W'+- -> X Y conserves charge only if one of X, Y is charged: X is the charged Higgs slot (37, charge +-1,
# X -> u dbar, c sbar), Y the neutral heavy Higgs slot (35, Y -> q qbar). Both decay to two quarks as in the R&D set.
WPRIME, X_ID, Y_ID = 34, 37, 35
X_QUARKS = ((2, -1), (4, -3))
Y_QUARKS = ((1, -1), (2, -2), (3, -3), (4, -4), (5, -5))


@dataclass(frozen=True)
class LhcoPhysics:
    """What is generated: beams, the QCD phase space, the trigger and the signal masses."""

    sqrt_s: float = 13000.0
    # Measured (600 GeV run, 191 triggered events): 5 +- 2 % of triggered QCD events have pTHat < 800 GeV,
    # 1 % below 700; 800 GeV keeps 12 % of events triggered, 600 GeV only 2.4 % (5x the CPU per event).
    pthat_min: float = 800.0
    trigger_pt: float = 1200.0
    trigger_eta_max: float = 2.5  # the R&D/black-box selection: anti-kT R = 1.0 jet, |eta| < 2.5, pT > 1.2 TeV
    jet_radius: float = 1.0
    mpi: bool = True
    wprime_mass: float = 3500.0
    x_mass: float = 500.0
    y_mass: float = 100.0
    relative_width: float = 0.01  # narrow resonances: each width is 1 % of its mass
    # without a window the W' Breit-Wigner tail times the parton luminosity puts 22 % of events below 3 TeV
    mass_window: float = 0.1  # generated mHat in wprime_mass * (1 -+ mass_window)

    def pythia_settings(self, process: str, seed: int) -> list[str]:
        """Pythia settings for one process and one task's seed."""
        if process not in PROCESSES:
            raise ValueError(f"LHCO process: expected one of {PROCESSES}, got {process!r}")
        common = common_settings(self.sqrt_s, self.mpi, seed)
        if process == "background":
            return [*common, "HardQCD:all = on", f"PhaseSpace:pTHatMin = {self.pthat_min}"]
        return [*common, *self._signal_settings()]

    def _signal_settings(self) -> list[str]:
        # meMode 100: partial widths from the given branching ratios and the set total width. The built-in
        # H0/H+ widths to light quarks are ~0, which leaves X, Y without open channels and W' decays failing.
        out = [
            "NewGaugeBoson:ffbar2Wprime = on",
            f"PhaseSpace:mHatMin = {self.wprime_mass * (1 - self.mass_window)}",
            f"PhaseSpace:mHatMax = {self.wprime_mass * (1 + self.mass_window)}",
            f"{WPRIME}:oneChannel = 1 1.0 100 {X_ID} {Y_ID}",
        ]
        resonances = ((WPRIME, self.wprime_mass, ()), (X_ID, self.x_mass, X_QUARKS), (Y_ID, self.y_mass, Y_QUARKS))
        for pid, mass, quarks in resonances:
            width = self.relative_width * mass
            out += [f"{pid}:m0 = {mass}", f"{pid}:mWidth = {width}", f"{pid}:mMin = {mass - 10 * width}",
                    f"{pid}:mMax = {mass + 10 * width}"]  # fmt: skip
            for i, (q1, q2) in enumerate(quarks):
                out.append(f"{pid}:{'oneChannel' if i == 0 else 'addChannel'} = 1 {1 / len(quarks)} 100 {q1} {q2}")
        return out


def visible_particles(events: Any) -> Any:
    """Final-state particles other than neutrinos, per event, from a Pythia `nextBatch` awkward array.

    Photons (mostly from pi0 decays) and the rare leptons stay: the R&D "hadrons" are Delphes particle-flow
    candidates, which include them, and dropping photons would remove about a quarter of each jet's energy.
    """
    prt = events.prt
    keep = prt.status > 0
    for nu in NEUTRINOS:
        keep = keep & (abs(prt.id) != nu)
    p = prt.p[keep]
    return ak.zip({"px": p.px, "py": p.py, "pz": p.pz, "E": p.e}, with_name="Momentum4D")


def pt_eta_phi(p: Any) -> tuple[Any, Any, Any]:
    """(pT, eta, phi) of awkward px, py, pz records (massless kinematics for eta)."""
    pt = np.hypot(p.px, p.py)
    return pt, np.arcsinh(p.pz / np.maximum(pt, 1e-12)), np.arctan2(p.py, p.px)


def triggered(momenta: Any, physics: LhcoPhysics) -> np.ndarray:
    """Per event: at least one anti-kT jet passes the trigger pT and |eta| cuts."""
    jets = fastjet.ClusterSequence(momenta, fastjet.JetDefinition(fastjet.antikt_algorithm, physics.jet_radius))
    pt, eta, _ = pt_eta_phi(jets.inclusive_jets(physics.trigger_pt))
    return ak.to_numpy(ak.any((pt > physics.trigger_pt) & (abs(eta) < physics.trigger_eta_max), axis=1))


def padded_particles(momenta: Any, max_particles: int = N_PARTICLES) -> np.ndarray:
    """(n, max_particles, 3) float64 (pT, eta, phi), pT-ordered and zero-padded (the softest beyond it dropped)."""
    pt, eta, phi = pt_eta_phi(momenta)
    order = ak.argsort(pt, axis=1, ascending=False)[:, :max_particles]
    cols = [ak.fill_none(ak.pad_none(x[order], max_particles, axis=1, clip=True), 0.0) for x in (pt, eta, phi)]
    return np.stack([ak.to_numpy(c) for c in cols], axis=-1).astype(np.float64)


def _generate_task(task: tuple[str, int, int, dict]) -> tuple[np.ndarray, int, float]:
    """Worker: `n` triggered events of one process -> (particles (n, 700, 3), events generated, seconds)."""
    process, n, seed, physics_dict = task
    physics = LhcoPhysics(**physics_dict)
    start = time.perf_counter()
    pythia = start_pythia(physics.pythia_settings(process, seed), f"{process} with seed {seed}")
    kept: list[np.ndarray] = []
    n_kept = tried = 0
    efficiency = 1.0  # the first batch is sized for the task, later ones by the measured trigger efficiency
    while n_kept < n:
        batch = int(min(200, max(10, 1.2 * (n - n_kept) / efficiency)))
        momenta = visible_particles(pythia.nextBatch(batch))
        tried += batch
        passed = momenta[triggered(momenta, physics)]
        if len(passed):
            kept.append(padded_particles(passed))
            n_kept += len(passed)
        efficiency = max(n_kept / tried, 0.01)
    return np.concatenate(kept)[:n], tried, time.perf_counter() - start


@dataclass(frozen=True)
class GenerationPlan:
    """How many triggered events of each process, in fixed-size tasks each with its own seed."""

    n_background: int
    n_signal: int
    seed: int
    physics: LhcoPhysics = field(default_factory=LhcoPhysics)
    task_size: int = 100

    def tasks(self) -> list[tuple[str, int, int]]:
        """(process, n, Pythia seed) per task, in the seeded order they are written to the file.

        A task's seed depends on (run seed, process, task index) only, so asking for more events keeps the first ones.
        """
        out = []
        for p_index, (process, total) in enumerate(zip(PROCESSES, (self.n_background, self.n_signal), strict=True)):
            for t_index, lo in enumerate(range(0, total, self.task_size)):
                out.append((process, min(self.task_size, total - lo), task_seed(self.seed, p_index, t_index)))
        # interleave the processes, as in the R&D file, while every task is still written whole
        order = np.random.default_rng(self.seed).permutation(len(out))
        return [out[i] for i in order]

    def key(self) -> str:
        return config_key({"n_background": self.n_background, "n_signal": self.n_signal, "seed": self.seed,
                           "physics": asdict(self.physics), "task_size": self.task_size, "version": 1})  # fmt: skip


def _run_tasks(plan: GenerationPlan, n_workers: int) -> Iterator[tuple[tuple, tuple]]:
    tasks = plan.tasks()
    payload = [(process, n, seed, asdict(plan.physics)) for process, n, seed in tasks]
    results = run_in_order(_generate_task, payload, [t[1] for t in tasks], "Pythia 8 LHCO events", n_workers)
    yield from zip(tasks, results, strict=True)


def generate_file(plan: GenerationPlan, cache_dir: str | Path, n_workers: int | None = None) -> Path:
    """The plan's events in an R&D-format file (label 1 = signal) under `cache_dir`, generated on first use.

    Beside it, `<file>.json` records per process the events kept and generated and the worker seconds
    (events per second per core = kept / seconds).
    """
    path = Path(cache_dir) / f"lhco-events-{plan.key()}.h5"
    if path.is_file():
        return path
    stats = {p: {"events": 0, "generated": 0, "seconds": 0.0} for p in PROCESSES}
    if plan.n_background + plan.n_signal == 0:
        raise ValueError("LHCO generation: no events requested")
    with EventWriter(path, labelled=True) as writer:
        for (process, n, _), (particles, tried, seconds) in _run_tasks(plan, n_workers or os.cpu_count() or 1):
            writer.append(particles, np.full(n, PROCESSES.index(process)))
            s = stats[process]
            s["events"], s["generated"], s["seconds"] = s["events"] + n, s["generated"] + tried, s["seconds"] + seconds
    for s in stats.values():
        s["events_per_core_second"] = s["events"] / s["seconds"] if s["seconds"] else None
    write_text_atomic(path.with_suffix(".json"), json.dumps({"physics": asdict(plan.physics), **stats}, indent=1))
    return path


def generation_stats(path: str | Path) -> dict[str, Any]:
    """The statistics `generate_file` recorded beside a generated file."""
    return json.loads(Path(path).with_suffix(".json").read_text())
