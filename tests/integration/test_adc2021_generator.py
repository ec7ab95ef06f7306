"""The embedded Pythia 8 ADC2021 generator: the plan, the signals' decays, and small real files in the public
format, the same for any number of workers."""

from __future__ import annotations

from collections import Counter
from pathlib import Path

import numpy as np
import pytest

from anomaly_lab.data.adc2021.generator import GenerationPlan, _generate_task, generate_files, generation_stats
from anomaly_lab.data.adc2021.objects import lepton_filter
from anomaly_lab.data.adc2021.objects_format import ROW_CLASS, iter_objects
from anomaly_lab.data.adc2021.processes import SIGNALS, Adc2021Physics


def test_cocktail_counts_follow_the_fractions_and_keys_follow_their_file() -> None:
    plan = GenerationPlan({"background": 1000, "Ato4l": 10}, seed=1)
    assert plan.process_counts("background") == {"W": 894, "QCD": 0, "Z": 101, "ttbar": 5}
    assert sum(t[1] for t in plan.tasks("background")) == 1000
    assert {t[0] for t in plan.tasks("background")} == {"W", "Z", "ttbar"}
    more_signal = GenerationPlan({"background": 1000, "Ato4l": 20}, seed=1)
    other_cocktail = GenerationPlan({"background": 1000, "Ato4l": 10}, seed=1, physics=Adc2021Physics(z_fraction=0.2))
    assert more_signal.key("background") == plan.key("background") != other_cocktail.key("background")
    assert other_cocktail.key("Ato4l") == plan.key("Ato4l") != more_signal.key("Ato4l")
    # a task's seed does not depend on how many events follow it
    assert more_signal.tasks("Ato4l")[0][2] == plan.tasks("Ato4l")[0][2]


def test_signals_decay_as_configured() -> None:
    import pythia8mc

    physics = Adc2021Physics()
    expected = {"Ato4l": (36, 50.0, {(23, 23)}), "leptoquark": (42, 80.0, {(-15, 5), (-5, 15)}),
                "hToTauTau": (25, 60.0, {(-15, 15)}), "hChToTauNu": (37, 60.0, {(-15, 16), (-16, 15)})}  # fmt: skip
    for signal, (pid, mass, decays) in expected.items():
        pythia = pythia8mc.Pythia("", False)
        for s in [*physics.pythia_settings(signal, 7), "PartonLevel:all = off", "HadronLevel:all = off"]:
            assert pythia.readString(s)
        assert pythia.init()
        seen, masses, z_decays = set(), [], Counter()
        for _ in range(20):
            assert pythia.next()
            for r in (p for p in pythia.process if abs(p.id()) == pid):
                seen.add(tuple(sorted(pythia.process[d].id() for d in r.daughterList())))
                masses.append(r.m())
                for z in (pythia.process[d] for d in r.daughterList() if pythia.process[d].id() == 23):
                    z_decays[tuple(sorted(abs(pythia.process[d].id()) for d in z.daughterList()))] += 1
        assert seen == decays, signal
        assert abs(np.median(masses) - mass) < 0.02 * mass, signal
        if signal == "Ato4l":  # both Z* to electron or muon pairs
            assert set(z_decays) <= {(11, 11), (13, 13)} and sum(z_decays.values()) == 40


def test_an_infeasible_process_stops_with_its_efficiency() -> None:
    physics = Adc2021Physics(qcd_fraction=1.0, min_efficiency=0.1)  # QCD: ~0 isolated 23 GeV leptons
    with pytest.raises(RuntimeError, match="QCD: filter efficiency 0/"):
        _generate_task(("QCD", 5, 3, physics))


@pytest.mark.slow
def test_generated_files_are_filtered_cached_and_same_for_any_worker_count(tmp_path: Path) -> None:
    plan = GenerationPlan({"background": 20, **dict.fromkeys(SIGNALS, 4)}, seed=3, task_size=5)
    serial = generate_files(plan, tmp_path / "one", n_workers=1)
    parallel = generate_files(plan, tmp_path / "two", n_workers=2)  # worker processes
    assert list(serial) == ["background", *SIGNALS]
    for name, path in serial.items():
        assert path.name == parallel[name].name and name in path.name
        events = np.concatenate(list(iter_objects(path)))  # the reader validates the layout
        assert np.array_equal(events, np.concatenate(list(iter_objects(parallel[name]))))
        assert events.shape == (plan.counts[name], 19, 4) and lepton_filter(events).all()
        filled = events[..., 0] > 0
        assert np.array_equal(events[..., 3][filled], np.broadcast_to(ROW_CLASS, filled.shape)[filled])
        assert np.all(events[:, 0, 3] == 1) and np.all(events[:, 0, 1] == 0)
        # the recorded statistics count the events in the file, per process
        stats = generation_stats(path)
        processes = {k: v for k, v in stats.items() if k != "physics"}
        assert sum(s["events"] for s in processes.values()) == len(events)
        for s in processes.values():
            if s["events"]:
                assert s["generated"] >= s["events"] and s["filter_efficiency"] == s["events"] / s["generated"]
    background = generation_stats(serial["background"])
    assert background["W"]["events"] == 18 and background["Z"]["events"] == 2
    # the filter keeps about 1 in 18 h -> tau tau events: its 4 events took many more
    assert generation_stats(serial["hToTauTau"])["hToTauTau"]["generated"] > 20
    mtime = serial["Ato4l"].stat().st_mtime_ns
    assert generate_files(plan, tmp_path / "one", n_workers=1)["Ato4l"].stat().st_mtime_ns == mtime
