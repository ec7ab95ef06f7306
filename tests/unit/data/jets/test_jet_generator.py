"""The embedded Pythia 8 + FastJet jet generator: selection, top matching, seeding, reference-format files."""

from __future__ import annotations

from dataclasses import asdict
from pathlib import Path

import numpy as np
import pytest

from anomaly_lab.data.jets.generator import GenerationPlan, JetSelection, generate_files, generate_task
from anomaly_lab.data.jets.images import constituent_coordinates
from anomaly_lab.data.jets.toptag_format import iter_jets

SELECTION = asdict(JetSelection())


def kinematics(p4: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    total = p4.astype(np.float64).sum(1)
    pt = np.hypot(total[:, 1], total[:, 2])
    return pt, np.arcsinh(total[:, 3] / pt), np.arctan2(total[:, 2], total[:, 1])


@pytest.mark.parametrize("process", ["qcd", "top"])
def test_generated_jets_pass_the_reference_selection(process: str) -> None:
    p4, truth, tried = generate_task((process, 4, 11, SELECTION))
    pt, eta, phi = kinematics(p4)
    assert np.all((pt >= 550) & (pt <= 650)) and np.all(np.abs(eta) < 2)
    assert tried > len(p4)  # the pT window turns events away: the count is of events tried, not jets kept
    const_pt, _, _ = constituent_coordinates(p4)
    assert np.all(np.diff(const_pt, axis=1) <= 1e-3)  # pT-ordered, zero padding at the end
    if process == "top":
        t_pt = np.hypot(truth[:, 1], truth[:, 2])
        t_eta, t_phi = np.arcsinh(truth[:, 3] / t_pt), np.arctan2(truth[:, 2], truth[:, 1])
        d_r = np.hypot(eta - t_eta, np.angle(np.exp(1j * (phi - t_phi))))
        assert np.all(d_r < 0.8)  # the matched top lies inside the jet
        np.testing.assert_allclose(np.sqrt(truth[:, 0] ** 2 - (truth[:, 1:] ** 2).sum(1)), 172.5, atol=10)
    else:
        assert np.all(truth == 0)


def test_same_seed_gives_the_same_jets() -> None:
    a, _, _ = generate_task(("qcd", 2, 5, SELECTION))
    b, _, _ = generate_task(("qcd", 2, 5, SELECTION))
    c, _, _ = generate_task(("qcd", 2, 6, SELECTION))
    np.testing.assert_array_equal(a, b)
    assert not np.array_equal(a, c)


@pytest.mark.slow
def test_generated_files_are_reference_format_half_top_and_reused(tmp_path: Path) -> None:
    plan = GenerationPlan({"train": 3, "val": 2, "test": 2}, seed=1, task_size=2)
    paths = generate_files(plan, tmp_path, n_workers=2)  # worker processes
    for name, n in plan.counts.items():
        ((p4, labels),) = list(iter_jets(paths[name]))
        assert p4.shape == (2 * n, 200, 4) and labels.sum() == n
    stamp = paths["train"].stat().st_mtime_ns
    assert generate_files(plan, tmp_path, n_workers=1)["train"].stat().st_mtime_ns == stamp
    # acceptance.txt counts the jets written per process (half of all three files each)
    acceptance = (paths["train"].parent / "acceptance.txt").read_text().splitlines()
    assert [line.split(" jets from")[0] for line in acceptance] == [f"{p}: {sum(plan.counts.values())}"
                                                                    for p in ("qcd", "top")]  # fmt: skip
