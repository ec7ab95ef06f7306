"""The real entry point on tiny settings: one run writes every artifact; multirun; bad configs fail early."""

from __future__ import annotations

import csv
import json
import os
import subprocess
import sys
from pathlib import Path

import h5py
import pytest

ROOT = Path(__file__).resolve().parents[1]


def run_cli(tmp_path: Path, *overrides: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess:
    """`python -m anomaly_lab ...` with logs and caches under `tmp_path`, no network, W&B offline."""
    full_env = os.environ | {
        "ANOMALY_LAB_ROOT": str(tmp_path),
        "WANDB_MODE": "offline",
        "HYDRA_FULL_ERROR": "0",
    }
    full_env |= env or {}
    full_env.pop("WANDB_API_KEY", None)
    return subprocess.run(
        [sys.executable, "-m", "anomaly_lab", *overrides],
        cwd=ROOT, env=full_env, capture_output=True, text=True, timeout=600,
    )  # fmt: skip


def only_run_dir(tmp_path: Path) -> Path:
    runs = [p.parent for p in tmp_path.glob("logs/**/metrics.json")]
    assert len(runs) == 1, runs
    return runs[0]


def test_smoke_run_writes_every_artifact(tmp_path: Path) -> None:
    proc = run_cli(tmp_path, "+experiment=gw_cnnae", "debug=smoke")
    assert proc.returncode == 0, proc.stderr[-3000:]
    run = only_run_dir(tmp_path)
    m = json.loads((run / "metrics.json").read_text())
    for key in ("auroc", "tpr_at_fpr", "target_fpr", "threshold", "fpr_at_threshold"):
        assert isinstance(m[key], float), key
    assert m["n_test_background"] == 128 and m["n_test_signal"] == 128
    assert m["target_fpr"] == 0.05
    assert 0.5 < m["references"]["matched filter"]["auroc"] <= 1.0
    with h5py.File(run / "scores.h5") as f:
        assert {"score", "label", "snr"} <= set(f)
        assert f["score"].shape == (256,)
    for fig in ("score_histograms", "roc", "training", "example_window", "efficiency"):
        assert (run / f"{fig}.png").stat().st_size > 1000, fig
    report = (run / "report.md").read_text()
    assert "flagged anomalous" in report and "injected GW" in report and "matched filter" in report
    assert "Optimal SNR" in report
    assert (run / "checkpoints" / "last.ckpt").is_file()
    # the transform fitted on background training data travels in the checkpoint
    import torch

    ckpt = torch.load(run / "checkpoints" / "last.ckpt", map_location="cpu", weights_only=False)
    assert "transform" in ckpt["GWDataModule"]

    # scoring the saved model again without training reproduces the run's numbers
    again = run_cli(tmp_path, "+experiment=gw_cnnae", "debug=smoke", "train=false", f"ckpt_path={m['checkpoint']}")
    assert again.returncode == 0, again.stderr[-3000:]
    (rerun,) = [p.parent for p in tmp_path.glob("logs/**/metrics.json") if p.parent != run]
    m2 = json.loads((rerun / "metrics.json").read_text())
    assert (m2["auroc"], m2["threshold"], m2["tpr_at_fpr"]) == (m["auroc"], m["threshold"], m["tpr_at_fpr"])


def test_threshold_policies_and_loggers_compose(tmp_path: Path) -> None:
    proc = run_cli(
        tmp_path, "+experiment=gw_cnnae", "debug=smoke", "threshold=percentile", "threshold.q=90",
        "logger=tensorboard", "data.detector=advirgo",
    )  # fmt: skip
    assert proc.returncode == 0, proc.stderr[-3000:]
    run = only_run_dir(tmp_path)
    m = json.loads((run / "metrics.json").read_text())
    assert m["policy"] == "percentile" and m["target_fpr"] == pytest.approx(0.1)
    assert list((run / "tensorboard").rglob("events.out.tfevents*"))


def test_wandb_logger_runs_offline_and_says_how_to_sync(tmp_path: Path) -> None:
    proc = run_cli(tmp_path, "+experiment=gw_cnnae", "debug=smoke", "logger=wandb", env={"WANDB_SILENT": "true"})
    assert proc.returncode == 0, proc.stderr[-3000:]
    run = only_run_dir(tmp_path)
    assert list((run / "wandb").glob("offline-run-*"))
    assert "wandb sync" in proc.stdout + proc.stderr


def test_multirun_grid_runs_every_job(tmp_path: Path) -> None:
    proc = run_cli(
        tmp_path, "-m", "+experiment=gw_cnnae", "debug=smoke", "threshold=fpr",
        "threshold.target_fpr=0.05,0.1", "trainer.limit_train_batches=2",
    )  # fmt: skip
    assert proc.returncode == 0, proc.stderr[-3000:]
    results = sorted(tmp_path.glob("logs/**/multiruns/*/*/metrics.json"))
    assert [json.loads(p.read_text())["target_fpr"] for p in results] == [0.05, 0.1]
    # the command line beats the debug config: two training batches per epoch, not smoke's four
    with open(results[0].parent / "csv" / "metrics.csv") as f:
        epoch_rows = [row for row in csv.DictReader(f) if row["val_loss"]]
    assert epoch_rows[0]["step"] == "1"


@pytest.mark.parametrize(
    ("override", "message"),
    [
        ("data=nosuchdata", "Could not find 'data/nosuchdata'"),
        ("data.n_train=many", "n_train"),
        ("threshold.target_fpr=high", "target_fpr"),
        ("+data.unknown_key=1", "unknown_key"),
    ],
)
def test_bad_config_fails_at_start_before_any_data_is_made(tmp_path: Path, override: str, message: str) -> None:
    proc = run_cli(tmp_path, "+experiment=gw_cnnae", "debug=smoke", override)
    assert proc.returncode != 0
    assert message in proc.stderr
    assert not (tmp_path / ".cache").exists()


def test_ddp_on_two_cpu_processes_writes_one_result(tmp_path: Path) -> None:
    proc = run_cli(
        tmp_path, "+experiment=gw_cnnae", "debug=smoke", "trainer=ddp", "trainer.accelerator=cpu",
        "trainer.devices=2", "trainer.precision=32-true", "trainer.sync_batchnorm=false",
    )  # fmt: skip
    assert proc.returncode == 0, proc.stderr[-3000:]
    assert "Starting with 2 processes" in proc.stdout + proc.stderr
    # every test window scored once, in order, not one shard per rank
    with h5py.File(only_run_dir(tmp_path) / "scores.h5") as f:
        assert f["score"].shape == (256,) and list(f["label"][:]) == [0] * 128 + [1] * 128
