"""The compare CLI on a real multirun: 2 learning rates x 2 seeds of the GW smoke run, then
`python -m anomaly_lab.results.compare <sweep dir>` on what they left."""

from __future__ import annotations

import csv
import json
from pathlib import Path

import numpy as np
import pytest


@pytest.mark.slow
def test_compare_reads_a_real_seed_grid(run_cli, tmp_path: Path) -> None:
    grid = ("seed=1,2", "model.optimizer.lr=0.001,0.003", "trainer.limit_train_batches=2")
    proc = run_cli("-m", "experiment=gw_cnnae", "debug=smoke", *grid)
    assert proc.returncode == 0, proc.stderr[-3000:]
    [sweep] = [p.parent for p in tmp_path.glob("logs/*/multiruns/*/multirun.yaml")]
    proc = run_cli(str(sweep), module="anomaly_lab.results.compare")
    assert proc.returncode == 0, proc.stderr[-3000:]
    assert proc.stdout == (sweep / "compare.md").read_text()
    assert "Overrides shared by every job: `experiment=gw_cnnae`, `debug=smoke`, `trainer.limit_train_batches=2`" in (
        proc.stdout
    )

    rows = list(csv.DictReader((sweep / "compare.csv").open()))
    aurocs = {r["job"]: json.loads((sweep / r["job"] / "metrics.json").read_text())["auroc"] for r in rows}
    assert [(r["seed"], r["model.optimizer.lr"]) for r in rows] == [("1", "0.001"), ("1", "0.003"), ("2", "0.001"),
                                                                     ("2", "0.003")]  # fmt: skip
    assert {r["job"]: float(r["auroc"]) for r in rows} == aurocs
    assert [r["job"] for r in rows if r["best"] == "true"] == [max(aurocs, key=aurocs.get)]

    for lr in ("0.001", "0.003"):  # the seed table: one row per learning rate, over both seeds
        values = np.array([float(r["auroc"]) for r in rows if r["model.optimizer.lr"] == lr])
        assert f"| {lr} | 2 | {values.mean():.4f} ± {values.std(ddof=1):.4f} |" in proc.stdout
    assert (sweep / "compare.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
