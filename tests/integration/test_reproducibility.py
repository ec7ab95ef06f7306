"""The same seed gives the same numbers: two CPU runs, each generating its own data in its own cache, agree exactly."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from anomaly_lab.io import load_arrays


@pytest.mark.slow
def test_the_same_seed_twice_gives_identical_metrics_and_scores_on_cpu(run_cli, tmp_path: Path) -> None:
    results = []
    for root in (tmp_path / "first", tmp_path / "second"):
        proc = run_cli("experiment=gw_cnnae", "debug=smoke", env={"ANOMALY_LAB_ROOT": str(root)})
        assert proc.returncode == 0, proc.stderr[-3000:]
        assert list(root.glob(".cache/anomaly_lab/*")), "each run makes its data in its own cache"
        (run,) = [p.parent for p in root.glob("logs/**/metrics.json")]
        metrics = json.loads((run / "metrics.json").read_text())
        assert metrics.pop("checkpoint").startswith(str(root))
        results.append((metrics, load_arrays(run / "scores.h5")))
    (first, first_arrays), (second, second_arrays) = results
    for key in ("auroc", "threshold", "tpr_at_fpr", "average_precision"):
        assert first[key] == second[key], key
    assert first == second  # and everything else: references, efficiencies, operating points
    assert first_arrays.keys() == second_arrays.keys()
    for name, values in first_arrays.items():
        assert np.array_equal(values, second_arrays[name]), name
