"""W&B with multiruns: a sweep is one group named after its sweep dir, each job a run of its own named by its
overrides, with the test metrics as the run's summary; a single run is a group of its own."""

from __future__ import annotations

import json
import struct
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from hydra import compose, initialize_config_dir
from hydra.core.hydra_config import HydraConfig

from anomaly_lab.config import register_schemas
from anomaly_lab.train import CONFIG_DIR

SMOKE = ("experiment=gw_cnnae", "debug=smoke")


def wandb_labels(*overrides: str) -> dict[str, str]:
    """Name and group of the W&B logger a single run with `overrides` would make, and that run's directory."""
    register_schemas()
    with initialize_config_dir(config_dir=CONFIG_DIR, version_base="1.3"):
        cfg = compose(config_name="train", overrides=[*SMOKE, "logger=wandb", *overrides], return_hydra_config=True)
    HydraConfig.instance().set_config(cfg)  # what `${hydra:...}` reads, as in a run
    try:
        return {"name": cfg.logger.wandb.name, "group": cfg.logger.wandb.group, "run_dir": cfg.hydra.run.dir}
    finally:
        HydraConfig.instance().cfg = None


def test_a_run_is_named_by_its_overrides_without_experiment_debug_or_logger() -> None:
    assert wandb_labels("seed=2", "model.optimizer.lr=0.01")["name"] == "model.optimizer.lr=0.01,seed=2"


def test_a_single_run_without_overrides_is_a_group_of_its_own_named_after_its_task_and_time() -> None:
    labels = wandb_labels()
    assert labels["group"] == f"gw_cnnae_aligo/{Path(labels['run_dir']).name}"
    assert labels["name"] == labels["group"]


def offline_records(run_file: Path) -> Iterator[Any]:
    """The protobuf records of an offline run's transaction log (`run-<id>.wandb`: W&B's 7-byte header, then
    LevelDB-style 32 KiB blocks of chunks: CRC32 (4 bytes), length (2), type (1: whole, 2-4: first/middle/last))."""
    from wandb.proto import wandb_internal_pb2

    data, pos, record = run_file.read_bytes(), 7, b""
    while pos + 7 <= len(data):
        if (left := 32768 - pos % 32768) < 7:
            pos += left  # a block's tail too short for a chunk header is padding
            continue
        _, length, kind = struct.unpack("<IHB", data[pos : pos + 7])
        record, pos = record + data[pos + 7 : pos + 7 + length], pos + 7 + length
        if kind in (1, 4):
            pb = wandb_internal_pb2.Record()
            pb.ParseFromString(record)
            record = b""
            yield pb


def offline_run(run_dir: Path) -> dict[str, Any]:
    """Name, group and final summary of the one offline W&B run under a job's run directory."""
    (run_file,) = run_dir.glob("wandb/offline-run-*/run-*.wandb")
    out: dict[str, Any] = {"summary": {}}
    for rec in offline_records(run_file):
        if rec.WhichOneof("record_type") == "run":
            out["name"], out["group"] = rec.run.display_name, rec.run.run_group
        elif rec.WhichOneof("record_type") == "summary":
            out["summary"] |= {u.key or "/".join(u.nested_key): json.loads(u.value_json) for u in rec.summary.update}
    return out


@pytest.mark.slow
def test_a_multirun_is_one_wandb_group_with_a_named_run_and_summary_per_job(run_cli, tmp_path: Path) -> None:
    proc = run_cli(
        "-m", *SMOKE, "logger=wandb", "trainer.limit_train_batches=2", "seed=1,2", env={"WANDB_SILENT": "true"}
    )
    assert proc.returncode == 0, proc.stderr[-3000:]
    (sweep,) = tmp_path.glob("logs/*/multiruns/*")
    jobs = sorted(p.parent for p in sweep.glob("*/metrics.json"))
    assert [job.name for job in jobs] == ["0", "1"]
    runs = [offline_run(job) for job in jobs]
    # one process ran both jobs: each still got a run of its own, not the first job's
    assert [r["name"] for r in runs] == ["seed=1,trainer.limit_train_batches=2", "seed=2,trainer.limit_train_batches=2"]
    assert {r["group"] for r in runs} == {f"gw_cnnae_aligo/{sweep.name}"}
    for job, run in zip(jobs, runs, strict=True):
        m = json.loads((job / "metrics.json").read_text())
        assert run["summary"]["test/auroc"] == m["auroc"]
        assert run["summary"]["test/threshold"] == m["threshold"]
