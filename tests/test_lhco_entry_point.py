"""The LHC Olympics studies through the real entry point on tiny generated events: all four models, one multirun."""

from __future__ import annotations

import json
from pathlib import Path

from tests.test_entry_point import run_cli


def test_lhco_experiments_run_end_to_end_in_one_multirun(tmp_path: Path) -> None:
    proc = run_cli(tmp_path, "-m", "+experiment=lhco_vae,lhco_rnnae,lhco_cnnae,lhco_hlf", "debug=smoke")
    assert proc.returncode == 0, proc.stderr[-3000:]
    runs = {json.loads((p.parent / "metrics.json").read_text())["task"]: p.parent
            for p in tmp_path.glob("logs/**/multiruns/*/*/metrics.json")}  # fmt: skip
    assert set(runs) == {"lhco_vae", "lhco_rnnae", "lhco_cnnae", "lhco_hlf"}, runs
    for task, run in runs.items():
        m = json.loads((run / "metrics.json").read_text())
        assert 0.0 <= m["auroc"] <= 1.0 and m["n_test_background"] == 128 and m["n_test_signal"] == 128
        assert 0.0 <= m["average_precision"] <= 1.0
        for fig in ("precision_recall", "sic", "mjj_sculpting", "feature_reconstruction_background",
                    "feature_reconstruction_signal", "latent"):  # fmt: skip
            assert (run / f"{fig}.png").stat().st_size > 1000, (task, fig)
        report = (run / "report.md").read_text()
        assert "W' -> XY" in report and "Trigger" in report
    assert "tau21" in (runs["lhco_hlf"] / "report.md").read_text()
    # one generated event file serves the particle-level and the high-level runs
    assert len(list(tmp_path.glob(".cache/anomaly_lab/lhco-events-*.h5"))) == 1
