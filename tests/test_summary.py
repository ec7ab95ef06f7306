"""The results-table CLI: one row per run and per reference, shared references listed once, infinities named."""

from __future__ import annotations

import json
from pathlib import Path

from anomaly_lab.summary import table


def write_metrics(run: Path, task: str, auroc: float, rejection: float | None) -> Path:
    run.mkdir(parents=True)
    ref = {"auroc": 0.9, "background_rejection": 10.0, "tpr_at_fpr": 0.5, "fpr_at_threshold": 0.05, "max_sic": 2.0}
    metrics = {"task": task, "auroc": auroc, "background_rejection": rejection, "tpr_at_fpr": 0.25,
               "fpr_at_threshold": 0.051, "max_sic": float("nan"), "n_test_background": 100, "n_test_signal": 50,
               "references": {"PCA (4 components)": ref}}  # fmt: skip
    (run / "metrics.json").write_text(json.dumps(metrics))
    return run


def test_table_lists_each_run_and_a_shared_reference_once(tmp_path: Path) -> None:
    a = write_metrics(tmp_path / "a", "jets_qcd_dense_ae", 0.95, 80.0)
    b = write_metrics(tmp_path / "b", "jets_qcd_dense_vae", 0.94, None)
    lines = table([a, b / "metrics.json"]).splitlines()
    assert len(lines) == 2 + 3  # header, rule, two models, one PCA row
    assert lines[2].startswith("| jets_qcd_dense_ae | model | 100 + 50 | 0.9500 | 80.0 | 25.0 % | 5.1 % | — |")
    assert "| PCA (4 components) |" in lines[3]
    assert "| inf |" in lines[4]  # a rejection with no background left is infinite, stored as null
