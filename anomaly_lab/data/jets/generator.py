"""Embedded top-vs-QCD jet generator: Pythia 8 at 14 TeV and FastJet anti-kT R = 0.8, as the reference dataset.

No detector simulation (the reference used Delphes): jets are clustered from the visible stable particles.
Work is split into fixed tasks with their own Pythia seeds, so the output depends on the seed only, not on
the number of worker processes.
"""

from __future__ import annotations

import contextlib
import logging
import os
from collections.abc import Iterator
from dataclasses import asdict, dataclass, field
from pathlib import Path

import numpy as np

from anomaly_lab.atomic import write_text_atomic
from anomaly_lab.data.cache import config_key
from anomaly_lab.data.jets.toptag_format import MAX_CONSTITUENTS, TTV, jet_frame, write_jets
from anomaly_lab.data.pythia import run_in_order

log = logging.getLogger(__name__)
NEUTRINOS = (12, 14, 16)
TOP, W_BOSON = 6, 24
PROCESSES = ("qcd", "top")


@dataclass
class JetSelection:
    """Generation and selection of the reference dataset: leading jet in a pT window, |eta| cut, top matching."""

    sqrt_s: float = 14000.0
    radius: float = 0.8
    pt_min: float = 550.0
    pt_max: float = 650.0
    eta_max: float = 2.0
    match_radius: float = 0.8
    # hard-process pT window: wide enough around [pt_min, pt_max] that the jet pT window is not sculpted
    pthat_min: float = 450.0
    pthat_max: float = 800.0
    mpi: bool = False
    max_constituents: int = MAX_CONSTITUENTS

    def pythia_settings(self, process: str, seed: int) -> list[str]:
        """Pythia settings for one process and one task's seed."""
        if process not in PROCESSES:
            raise ValueError(f"jet process: expected one of {PROCESSES}, got {process!r}")
        common = [
            f"Beams:eCM = {self.sqrt_s}",
            f"PhaseSpace:pTHatMin = {self.pthat_min}",
            f"PhaseSpace:pTHatMax = {self.pthat_max}",
            f"PartonLevel:MPI = {'on' if self.mpi else 'off'}",
            "Random:setSeed = on",
            f"Random:seed = {seed}",
            "Next:numberCount = 0",
            "Print:quiet = on",
        ]
        if process == "qcd":
            return [*common, "HardQCD:all = on"]
        # hadronic tops: both W bosons decay to quarks
        return [*common, "Top:gg2ttbar = on", "Top:qqbar2ttbar = on", "24:onMode = off", "24:onIfAny = 1 2 3 4 5"]


def _delta_r(eta1: float, phi1: float, eta2: float, phi2: float) -> float:
    dphi = (phi1 - phi2 + np.pi) % (2 * np.pi) - np.pi
    return float(np.hypot(eta1 - eta2, dphi))


def top_partons(event) -> list[tuple[int, list[tuple[float, float]]]]:
    """Per hadronically decaying top: its event-record index (last copy) and the (eta, phi) of the top and
    its b, q, q' decay partons."""
    tops = []
    for i in range(event.size()):
        p = event[i]
        if p.idAbs() != TOP or p.iBotCopyId() != i:
            continue
        partons = [(p.eta(), p.phi())]
        for d in event[i].daughterList():
            daughter = event[d]
            if daughter.idAbs() == W_BOSON:
                w = event[daughter.iBotCopyId()]
                partons += [(event[q].eta(), event[q].phi()) for q in w.daughterList() if event[q].idAbs() <= 5]
            elif daughter.idAbs() <= 5:
                partons.append((daughter.eta(), daughter.phi()))
        if len(partons) == 4:  # top, b, q, q'
            tops.append((i, partons))
    return tops


def _select(jets, sel: JetSelection):
    """The leading jet if it lies in the pT window and |eta| range, else None."""
    if not jets:
        return None
    lead = jets[0]
    return lead if sel.pt_min <= lead.pt() <= sel.pt_max and abs(lead.eta()) < sel.eta_max else None


def generate_task(task: tuple[str, int, int, dict]) -> tuple[np.ndarray, np.ndarray, int]:
    """Worker: `n` selected jets of one process -> (constituents (n, 200, 4), truth (n, 4), events tried)."""
    import fastjet
    import pythia8mc

    process, n, seed, sel_dict = task
    sel = JetSelection(**sel_dict)
    with open(os.devnull, "w") as devnull, contextlib.redirect_stdout(devnull):
        pythia = pythia8mc.Pythia("", False)
        for s in sel.pythia_settings(process, seed):
            pythia.readString(s)
        if not pythia.init():
            raise RuntimeError(f"Pythia failed to initialise for {process} with seed {seed}")
    jet_def = fastjet.JetDefinition(fastjet.antikt_algorithm, sel.radius)
    constituents = np.zeros((n, sel.max_constituents, 4), np.float32)
    truth = np.zeros((n, 4), np.float32)
    kept = tried = 0
    while kept < n:
        tried += 1
        if not pythia.next():
            continue
        event = pythia.event
        visible = [
            fastjet.PseudoJet(p.px(), p.py(), p.pz(), p.e())
            for p in event
            if p.isFinal() and p.idAbs() not in NEUTRINOS
        ]
        cluster = fastjet.ClusterSequence(visible, jet_def)
        jet = _select(fastjet.sorted_by_pt(cluster.inclusive_jets(0.5 * sel.pt_min)), sel)
        if jet is None:
            continue
        if process == "top":
            matched = [
                i for i, partons in top_partons(event)
                if all(_delta_r(jet.eta(), jet.phi_std(), eta, phi) < sel.match_radius for eta, phi in partons)
            ]  # fmt: skip
            if not matched:
                continue
            top = event[matched[0]]
            truth[kept] = (top.e(), top.px(), top.py(), top.pz())
        parts = fastjet.sorted_by_pt(jet.constituents())[: sel.max_constituents]
        constituents[kept, : len(parts)] = [(c.E(), c.px(), c.py(), c.pz()) for c in parts]
        kept += 1
    return constituents, truth, tried


@dataclass(frozen=True)
class GenerationPlan:
    """How many jets of each process each file gets, split into fixed-size seeded tasks."""

    counts: dict[str, int]  # per file (train/val/test): jets of EACH process
    seed: int
    selection: JetSelection = field(default_factory=JetSelection)
    task_size: int = 250

    def tasks(self) -> list[tuple[str, str, int, int]]:
        """(file, process, n, pythia seed) for every task; seeds come from the plan's seed alone."""
        out = []
        for name, n in self.counts.items():
            for process in PROCESSES:
                out += [(name, process, min(self.task_size, n - s)) for s in range(0, n, self.task_size)]
        seeds = np.random.SeedSequence(self.seed).generate_state(len(out), np.uint32) % 900_000_000 + 1
        return [(*t, int(s)) for t, s in zip(out, seeds, strict=True)]

    def key(self) -> str:
        return config_key({"counts": self.counts, "seed": self.seed, "selection": asdict(self.selection),
                           "task_size": self.task_size, "version": 2})  # fmt: skip


def _run_tasks(plan: GenerationPlan, n_workers: int) -> Iterator[tuple[tuple, tuple]]:
    """Run every task in order, on `n_workers` spawned processes; progress on the terminal and in the log."""
    tasks = plan.tasks()
    payload = [(process, n, seed, asdict(plan.selection)) for _, process, n, seed in tasks]
    sizes = [t[2] for t in tasks]
    log.info("generating %d jets with Pythia 8 + FastJet on %d processes", sum(sizes), n_workers)
    results = run_in_order(generate_task, payload, sizes, "Pythia 8 + FastJet jets", n_workers)
    yield from zip(tasks, results, strict=True)


def generate_files(plan: GenerationPlan, out_dir: str | Path, n_workers: int | None = None) -> dict[str, Path]:
    """Write train/val/test files in the reference format (half top, half QCD, shuffled); returns their paths.

    Files already generated for the same plan are reused: the directory name is the plan's key.
    """
    out = Path(out_dir) / f"toptag-{plan.key()}"
    paths = {name: out / f"{name}.h5" for name in plan.counts}
    if all(p.is_file() for p in paths.values()):
        return paths
    parts: dict[str, list] = {name: [] for name in plan.counts}
    stats = {p: [0, 0] for p in PROCESSES}
    for (name, process, n, _), (constituents, truth, tried) in _run_tasks(plan, n_workers or os.cpu_count() or 1):
        label = np.full(n, int(process == "top"))
        parts[name].append((constituents, truth, label))
        stats[process][0] += n
        stats[process][1] += tried
    for name, chunks in parts.items():
        constituents, truth, labels = (np.concatenate(x) for x in zip(*chunks, strict=True))
        order = np.random.default_rng(plan.seed + TTV[name]).permutation(len(labels))
        frame = jet_frame(constituents[order], truth[order], labels[order], TTV[name])
        write_jets(paths[name], [frame])
    write_text_atomic(
        out / "acceptance.txt", "".join(f"{p}: {kept} jets from {tried} events\n" for p, (kept, tried) in stats.items())
    )
    return paths
