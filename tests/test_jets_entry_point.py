"""The jets studies through the real entry point on tiny generated data: both directions and the supervised bound."""

from __future__ import annotations

import json
from pathlib import Path

import h5py

from tests.test_entry_point import run_cli


def test_jets_experiments_run_end_to_end_in_one_multirun(tmp_path: Path) -> None:
    proc = run_cli(tmp_path, "-m", "+experiment=jets_cae,jets_cae_inverse,jets_supervised", "debug=smoke")
    assert proc.returncode == 0, proc.stderr[-3000:]
    runs = {json.loads((p.parent / "metrics.json").read_text())["task"]: p.parent
            for p in tmp_path.glob("logs/**/multiruns/*/*/metrics.json")}  # fmt: skip
    assert set(runs) == {"jets_qcd_cnn2d_ae_bottleneck", "jets_top_cnn2d_ae_bottleneck", "jets_supervised"}, runs
    for task, run in runs.items():
        m = json.loads((run / "metrics.json").read_text())
        assert 0.0 <= m["auroc"] <= 1.0 and m["n_test_background"] == 128 and m["n_test_signal"] == 128
        assert m["background_rejection"] is None or m["background_rejection"] >= 1.0  # None: no background left
        assert "PCA (16 components)" in m["references"]
        with h5py.File(run / "scores.h5") as f:
            assert {"score", "label", "mass", "n_constituents"} <= set(f)
        report = (run / "report.md").read_text()
        assert "Detection efficiency against n_constituents" in report
        assert ("anomalies: QCD jets" in report) == (task == "jets_top_cnn2d_ae_bottleneck")
    assert "supervised" in (runs["jets_supervised"] / "report.md").read_text()
    # one generated dataset serves all three runs
    assert len(list(tmp_path.glob(".cache/anomaly_lab/toptag-*/train.h5"))) == 1
