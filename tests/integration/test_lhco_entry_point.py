"""The LHC Olympics studies through the real entry point on tiny generated events: all four models, one multirun."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from sklearn.metrics import average_precision_score

# a quarter of debug=smoke's sizes (the command line wins over it): the generators' events cost most of the time
SIZES = ("data.sizes.train=64", "data.sizes.val=32", "data.sizes.val_signal=32", "data.sizes.test_background=64",
         "data.sizes.test_signal=64")  # fmt: skip


@pytest.mark.slow
def test_lhco_experiments_run_end_to_end_in_one_multirun(run_cli, recorded_numbers, tmp_path: Path) -> None:
    proc = run_cli("-m", "experiment=lhco_vae,lhco_rnnae,lhco_cnnae,lhco_hlf", "debug=smoke", *SIZES)
    assert proc.returncode == 0, proc.stderr[-3000:]
    runs = {json.loads((p.parent / "metrics.json").read_text())["task"]: p.parent
            for p in tmp_path.glob("logs/**/multiruns/*/*/metrics.json")}  # fmt: skip
    assert set(runs) == {"lhco_vae", "lhco_rnnae", "lhco_cnnae", "lhco_hlf"}, runs
    for task, run in runs.items():
        m, arrays, _ = recorded_numbers(run)
        assert (m["n_test_background"], m["n_test_signal"]) == (64, 64)
        assert m["average_precision"] == pytest.approx(average_precision_score(arrays["label"], arrays["score"]),
                                                       abs=1e-5)  # fmt: skip
        assert arrays["mjj"].shape == (128,)
        for fig in ("precision_recall", "sic", "mjj_sculpting", "feature_reconstruction_background",
                    "feature_reconstruction_signal", "latent"):  # fmt: skip
            assert (run / f"{fig}.png").stat().st_size > 1000, (task, fig)
        report = (run / "report.md").read_text()
        assert "W' -> XY" in report and "Trigger" in report
    assert "tau21" in (runs["lhco_hlf"] / "report.md").read_text()
    # one generated event file serves the particle-level and the high-level runs
    assert len(list(tmp_path.glob(".cache/anomaly_lab/lhco-events-*.h5"))) == 1
