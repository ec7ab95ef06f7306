"""`python -m anomaly_lab.export` on a real smoke run: the exported files score the run's own test windows as the
run did (its scores.h5), and carry its threshold and policy."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from anomaly_lab.export.cli import TOLERANCE, score_difference
from anomaly_lab.export.formats import load_scorer, read_metadata
from anomaly_lab.io import load_arrays
from anomaly_lab.trained import load_trained


@pytest.mark.slow
def test_exported_files_reproduce_the_runs_test_scores(
    run_cli, only_run_dir, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    proc = run_cli("experiment=gw_cnnae", "debug=smoke")
    assert proc.returncode == 0, proc.stderr[-3000:]
    run = only_run_dir()
    metrics = json.loads((run / "metrics.json").read_text())
    ckpt = metrics["checkpoint"]
    # the run's test windows, from the cache the run left under tmp_path
    monkeypatch.setenv("ANOMALY_LAB_ROOT", str(tmp_path))
    monkeypatch.delenv("ANOMALY_LAB_CACHE", raising=False)
    dm = load_trained(ckpt).datamodule
    dm.setup()
    recorded = load_arrays(run / "scores.h5")["score"]
    for fmt, name in (("onnx", "model.onnx"), ("torchscript", "model.pt")):
        proc = run_cli(f"ckpt={ckpt}", f"format={fmt}", module="anomaly_lab.export")
        assert proc.returncode == 0, proc.stderr[-3000:]
        assert proc.stdout.startswith(f"wrote {run / name} ") and "verified: max |" in proc.stdout
        meta = read_metadata(run / name)
        assert (meta["threshold"], meta["policy"]) == (metrics["threshold"], metrics["policy"])
        assert meta["input"]["shape"] == ["batch", 512]
        assert score_difference(load_scorer(run / name)(dm.arrays["test"]), recorded) <= TOLERANCE, fmt
    bad = run_cli(f"ckpt={ckpt}", "format=tflite", module="anomaly_lab.export")
    assert bad.returncode == 1 and bad.stderr.strip().splitlines() == [
        "error: format: expected one of ['onnx', 'torchscript'], got 'tflite'"
    ]
