"""The results-table CLI: one row per run and per reference, shared references listed once, infinities named,
headers labelled by the operating points the runs recorded."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest

from anomaly_lab.results.summary import main, table


def write_metrics(run: Path, task: str, auroc: float, rejection: float | None, target_fpr: float | None = 0.05,
                  efficiency: float = 0.3) -> Path:  # fmt: skip
    run.mkdir(parents=True)
    ref = {"auroc": 0.9, "background_rejection": 10.0, "tpr_at_fpr": 0.5, "fpr_at_threshold": 0.05, "max_sic": 2.0,
           "target_fpr": target_fpr}  # fmt: skip
    metrics = {"task": task, "auroc": auroc, "background_rejection": rejection, "tpr_at_fpr": 0.25,
               "fpr_at_threshold": 0.051, "max_sic": float("nan"), "n_test_background": 100, "n_test_signal": 50,
               "target_fpr": target_fpr, "rejection_signal_efficiency": efficiency,
               "references": {"PCA (4 components)": ref}}  # fmt: skip
    (run / "metrics.json").write_text(json.dumps(metrics))
    return run


def cells(line: str) -> list[str]:
    return [c.strip() for c in line.strip("|").split("|")]


def test_table_lists_each_run_and_a_shared_reference_once(tmp_path: Path) -> None:
    a = write_metrics(tmp_path / "a", "jets_qcd_dense_ae", 0.95, 80.0)
    b = write_metrics(tmp_path / "b", "jets_qcd_dense_vae", 0.94, None)
    lines = table([a, b / "metrics.json"]).splitlines()
    assert len(lines) == 2 + 3  # header, rule, two models, one PCA row
    assert lines[2] == "| jets_qcd_dense_ae | model | 100 + 50 | 0.9500 | 80.0 | 25.0 % | 5.1 % | — |"
    assert cells(lines[3])[:2] == ["jets_qcd_dense_ae", "PCA (4 components)"]
    assert cells(lines[4])[4] == "inf"  # a rejection with no background left is infinite, stored as null


def test_headers_follow_the_recorded_operating_points(tmp_path: Path) -> None:
    runs = [write_metrics(tmp_path / name, name, 0.9, 5.0, target_fpr=0.01, efficiency=0.5) for name in "ab"]
    header = cells(table(runs).splitlines()[0])
    assert header == ["run", "scorer", "test bkg + sig", "AUC", "1/FPR at 50 % TPR", "TPR at 1 % FPR (val. threshold)",
                      "test FPR reached", "max SIC"]  # fmt: skip


def test_runs_at_different_target_fprs_get_a_target_fpr_column(tmp_path: Path) -> None:
    runs = [write_metrics(tmp_path / "fpr", "fpr", 0.9, 5.0, target_fpr=0.05),
            write_metrics(tmp_path / "eff", "eff", 0.8, 4.0, target_fpr=None)]  # fmt: skip
    lines = table(runs).splitlines()
    header = cells(lines[0])
    assert "TPR at the val. threshold" in header and header[6] == "target FPR"
    rows = {cells(line)[0]: cells(line) for line in lines[2:] if cells(line)[1] == "model"}
    assert rows["fpr"][6] == "5.0 %" and rows["eff"][6] == "—"  # an efficiency policy aims at no FPR


def test_cli_prints_the_table_and_names_a_missing_run(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                      capsys: pytest.CaptureFixture) -> None:  # fmt: skip
    run = write_metrics(tmp_path / "a", "gw_cnnae_aligo", 0.7, 3.0)
    monkeypatch.setattr(sys, "argv", ["summary", str(run)])
    main()
    assert capsys.readouterr().out.strip() == table([run])
    monkeypatch.setattr(sys, "argv", ["summary", str(tmp_path / "missing")])
    with pytest.raises(SystemExit, match="no metrics.json at .*missing"):
        main()
