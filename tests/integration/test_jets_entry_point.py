"""The jets studies through the real entry point on tiny generated data: both directions and the supervised bound."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

# a quarter of debug=smoke's sizes (the command line wins over it): the generators' events cost most of the time
SIZES = ("data.sizes.train=64", "data.sizes.val=32", "data.sizes.val_signal=32", "data.sizes.test_background=64",
         "data.sizes.test_signal=64")  # fmt: skip


@pytest.mark.slow
def test_jets_experiments_run_end_to_end_in_one_multirun(run_cli, recorded_numbers, tmp_path: Path) -> None:
    proc = run_cli("-m", "experiment=jets_cae,jets_cae_inverse,jets_supervised", "debug=smoke", *SIZES)
    assert proc.returncode == 0, proc.stderr[-3000:]
    runs = {json.loads((p.parent / "metrics.json").read_text())["task"]: p.parent
            for p in tmp_path.glob("logs/**/multiruns/*/*/metrics.json")}  # fmt: skip
    assert set(runs) == {"jets_qcd_cnn2d_ae_bottleneck", "jets_top_cnn2d_ae_bottleneck", "jets_supervised"}, runs
    for task, run in runs.items():
        m, arrays, _ = recorded_numbers(run)
        assert (m["n_test_background"], m["n_test_signal"]) == (64, 64)
        assert {"score", "label", "mass", "n_constituents", "reference/PCA (16 components)"} <= set(arrays)
        assert set(m["references"]) == {"PCA (16 components)"}
        report = (run / "report.md").read_text()
        assert "Detection efficiency against n_constituents" in report
        assert ("anomalies: QCD jets" in report) == (task == "jets_top_cnn2d_ae_bottleneck")
    assert "supervised" in (runs["jets_supervised"] / "report.md").read_text()
    # a classifier has no reconstruction to draw; the autoencoders do
    assert not (runs["jets_supervised"] / "example_reconstruction.png").exists()
    assert (runs["jets_qcd_cnn2d_ae_bottleneck"] / "example_reconstruction.png").stat().st_size > 1000
    # one generated dataset serves all three runs
    assert len(list(tmp_path.glob(".cache/anomaly_lab/toptag-*/train.h5"))) == 1
