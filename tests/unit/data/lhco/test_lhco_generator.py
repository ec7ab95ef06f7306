"""The embedded Pythia 8 generator of R&D-like events: seeded, triggered, the W' signal, and the cached file."""

from __future__ import annotations

from dataclasses import asdict
from pathlib import Path

import fastjet
import numpy as np
import pytest

from anomaly_lab.data.lhco.generator import (
    X_ID,
    Y_ID,
    GenerationPlan,
    LhcoPhysics,
    _generate_task,
    generate_file,
    generation_stats,
)
from anomaly_lab.data.lhco.highlevel import HLF_NAMES, high_level_features
from anomaly_lab.data.lhco.rnd_format import iter_events


def leading_jet(event: np.ndarray) -> fastjet.PseudoJet:
    """The leading anti-kT R = 1 jet by FastJet's classic interface: independent of the generator's trigger."""
    real = event[event[:, 0] > 0].astype(np.float64)
    pt, eta, phi = real.T
    pjs = [fastjet.PseudoJet(*v) for v in zip(pt * np.cos(phi), pt * np.sin(phi), pt * np.sinh(eta), pt * np.cosh(eta),
                                               strict=True)]  # fmt: skip
    return fastjet.sorted_by_pt(fastjet.ClusterSequence(pjs, fastjet.JetDefinition(fastjet.antikt_algorithm, 1.0))
                                .inclusive_jets())[0]  # fmt: skip


def test_generator_is_seeded_and_triggers() -> None:
    physics = asdict(LhcoPhysics())
    first, tried, _ = _generate_task(("background", 3, 4242, physics))
    again, tried_again, _ = _generate_task(("background", 3, 4242, physics))
    other, _, _ = _generate_task(("background", 3, 4243, physics))
    assert np.array_equal(first, again) and not np.array_equal(first, other)
    assert tried == tried_again and first.shape == (3, 700, 3)
    for event in first:
        jet = leading_jet(event)
        assert jet.pt() > 1200.0 and abs(jet.eta()) < 2.5
        pt = event[:, 0]
        assert np.all(np.diff(pt[pt > 0]) <= 0) and np.all(pt[np.count_nonzero(pt) :] == 0)


def test_wprime_of_both_charges_decays_to_x_and_y() -> None:
    import pythia8mc

    pythia = pythia8mc.Pythia("", False)
    for s in [*LhcoPhysics().pythia_settings("signal", 7), "PartonLevel:all = off", "HadronLevel:all = off"]:
        assert pythia.readString(s)
    assert pythia.init()
    seen, masses = set(), []
    for _ in range(60):
        assert pythia.next()
        w = next(p for p in pythia.process if abs(p.id()) == 34)
        seen.add((w.id(), tuple(sorted(pythia.process[d].id() for d in w.daughterList()))))
        masses.append(w.m())
    assert seen == {(34, (Y_ID, X_ID)), (-34, (-X_ID, Y_ID))}  # charge: W'+ -> X+ Y0, W'- -> X- Y0
    assert min(masses) >= 3150 and max(masses) <= 3850


def test_signal_events_have_mjj_near_wprime() -> None:
    events, _, _ = _generate_task(("signal", 4, 99, asdict(LhcoPhysics())))
    hlf = high_level_features(events)
    assert hlf.shape == (4, len(HLF_NAMES))
    assert 3150 < np.median(hlf[:, 0]) < 3850
    assert np.all(hlf[:, 1] >= hlf[:, 2])  # j1 is the heavier jet


@pytest.mark.slow
def test_generated_file_is_cached_and_same_for_any_worker_count(tmp_path: Path) -> None:
    plan = GenerationPlan(n_background=2, n_signal=2, seed=5, task_size=1)
    serial = generate_file(plan, tmp_path / "one", n_workers=1)
    parallel = generate_file(plan, tmp_path / "two", n_workers=2)  # worker processes
    assert serial.name == parallel.name
    (a, la), (b, lb) = next(iter_events(serial)), next(iter_events(parallel))
    assert np.array_equal(a, b) and np.array_equal(la, lb) and sorted(la.tolist()) == [0, 0, 1, 1]
    mtime = serial.stat().st_mtime_ns
    assert generate_file(plan, tmp_path / "one", n_workers=1).stat().st_mtime_ns == mtime
    # the recorded statistics count the events in the file, per process
    stats = generation_stats(serial)
    assert [stats[p]["events"] for p in ("background", "signal")] == [(la == 0).sum(), (la == 1).sum()]
    # Pythia makes events in batches of at least ten and the trigger keeps few: more generated than kept
    assert stats["background"]["generated"] > stats["background"]["events"]
