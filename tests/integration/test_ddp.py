"""DDP on two CPU processes: the data are made once, only rank 0 writes results, and the metrics match one
process with the same global batch."""

from __future__ import annotations

import json

import pytest

from anomaly_lab.io import load_arrays

COMMON = ("experiment=gw_cnnae", "debug=smoke", "trainer.limit_train_batches=1.0", "trainer.max_epochs=3")
DDP = ("trainer=ddp", "trainer.accelerator=cpu", "trainer.devices=2", "trainer.precision=32-true",
       "trainer.sync_batchnorm=false")  # fmt: skip
# two ranks of batch 64 average their gradients: one step is one step of a single process on batch 128; only
# the order in which samples are drawn differs (DistributedSampler), so metrics agree within these tolerances
AUROC_TOLERANCE, THRESHOLD_TOLERANCE = 0.01, 0.01


@pytest.mark.slow
def test_ddp_on_two_cpu_processes_matches_one_process(run_cli, only_run_dir, tmp_path) -> None:
    ddp = run_cli(*COMMON, *DDP, "data.batch_size=64", "hydra.run.dir=" + str(tmp_path / "ddp"))
    assert ddp.returncode == 0, ddp.stderr[-3000:]
    output = ddp.stdout + ddp.stderr
    assert "Starting with 2 processes" in output
    assert output.count(": building") == 1  # made once, on rank 0; rank 1 read the cache
    single = run_cli(*COMMON, "data.batch_size=128", "hydra.run.dir=" + str(tmp_path / "single"))
    assert single.returncode == 0, single.stderr[-3000:]
    a, b = (json.loads((tmp_path / d / "metrics.json").read_text()) for d in ("single", "ddp"))
    assert b["auroc"] == pytest.approx(a["auroc"], abs=AUROC_TOLERANCE)
    assert b["threshold"] == pytest.approx(a["threshold"], rel=THRESHOLD_TOLERANCE)
    # every test window scored once, in order, by rank 0 only: not one shard per rank
    arrays = load_arrays(tmp_path / "ddp" / "scores.h5")
    assert arrays["score"].shape == (256,) and list(arrays["label"]) == [0] * 128 + [1] * 128
    assert sorted(p.name for p in tmp_path.glob("ddp/*.json")) == ["metrics.json"]
