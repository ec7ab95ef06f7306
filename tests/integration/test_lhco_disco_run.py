"""The mjj-decorrelated LHC Olympics study through the real entry point on tiny generated events: DisCo's term is
trained and logged, and metrics.json holds the QCD mjj sculpting at the policy threshold."""

from __future__ import annotations

import csv

import numpy as np
import pytest

from anomaly_lab.evaluation.sculpting import sculpting

# as tests/integration/test_lhco_entry_point.py: a quarter of debug=smoke's sizes
SIZES = ("data.sizes.train=64", "data.sizes.val=32", "data.sizes.val_signal=32", "data.sizes.test_background=64",
         "data.sizes.test_signal=64")  # fmt: skip


@pytest.mark.slow
def test_lhco_disco_trains_the_decorrelation_term_and_records_the_mjj_sculpting(
    run_cli, recorded_numbers, only_run_dir
) -> None:
    proc = run_cli("experiment=lhco_disco", "debug=smoke", *SIZES)
    assert proc.returncode == 0, proc.stderr[-3000:]
    run = only_run_dir()
    m, arrays, threshold = recorded_numbers(run)
    rec = m["sculpting"]
    assert rec["variable"] == "mjj" and rec["bins"] == 20 and rec["n_background"] == 64
    expected = sculpting(arrays["mjj"], arrays["label"], arrays["score"] > threshold)
    assert rec["n_background_passing"] == expected["n_background_passing"]
    assert rec["js_distance"] == (None if expected["js_distance"] is None else pytest.approx(expected["js_distance"]))
    rows = list(csv.DictReader((run / "csv" / "metrics.csv").open()))
    disco = [float(r["train_disco"]) for r in rows if r.get("train_disco")]
    assert disco and np.isfinite(disco).all()  # the DisCo term was computed on the (x, y, mjj) batches
    config = (run / ".hydra" / "config.yaml").read_text()
    assert "decorrelate: mjj" in config and "decorrelation_weight: 5.0" in config
