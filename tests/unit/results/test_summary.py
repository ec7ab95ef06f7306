"""The results-table CLI: one row per run and per reference, shared references listed once, infinities named,
headers labelled by the operating points the runs recorded."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import numpy as np
import pytest
from scipy.stats import binomtest

from anomaly_lab.evaluation.metrics import RocCurve, uncertainties
from anomaly_lab.results.report import write_json_atomic
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


def _pca() -> dict:
    """A reference's per-signal metrics with no quotable FPR point."""
    ato4l = {"auroc": 0.6, "tpr_at_threshold": 0.02, "tpr_at_threshold_low": 0.01, "tpr_at_threshold_high": 0.04,
             "n_signal": 400, "n_background": 10_000, "operating_points": []}  # fmt: skip
    return {"Ato4l": ato4l}


def _signals_run(run: Path, task: str, vae_auc: float, pca: dict) -> Path:
    run.mkdir(parents=True)
    point = {"fpr": 0.001, "tpr": 0.25, "tpr_low": 0.2, "tpr_high": 0.3, "n_background_above": 10}
    model = {"auroc": vae_auc, "tpr_at_threshold": 0.1, "tpr_at_threshold_low": 0.05, "tpr_at_threshold_high": 0.15,
             "n_signal": 400, "n_background": 10_000, "operating_points": [point]}  # fmt: skip
    signals = {f"{task}, reconstruction score": {"Ato4l": model}, "PCA (3 components)": pca,
               "same model, kl score": {"Ato4l": model | {"auroc": 0.5, "operating_points": []}}}  # fmt: skip
    (run / "metrics.json").write_text(json.dumps({"task": task, "target_fpr": 0.001, "signals": signals}))
    return run


def test_signal_summary_names_each_model_score_and_lists_shared_pca_once(tmp_path: Path) -> None:
    pca = _pca()
    from anomaly_lab.results.summary import signal_summary

    text = signal_summary([_signals_run(tmp_path / "a", "adc2021_vae", 0.9, pca),
                           _signals_run(tmp_path / "b", "adc2021_ae", 0.8, pca)])  # fmt: skip
    lines = text.splitlines()
    assert lines[0] == "Test events: 10000 background and 400 per signal."
    assert cells(lines[2]) == ["signal", "scorer", "AUC", "TPR at the threshold (FPR 0.001 on validation)",
                               "TPR at test FPR 0.001"]  # fmt: skip
    rows = [cells(line) for line in lines[4:]]
    assert [r[1] for r in rows] == ["adc2021_vae, reconstruction score", "PCA (3 components)", "adc2021_vae, kl score",
                                    "adc2021_ae, reconstruction score", "adc2021_ae, kl score"]  # fmt: skip
    assert rows[0][2:] == ["0.900", "10.00 % [5.00, 15.00]", "25.00 % [20.00, 30.00]"]
    assert rows[1][4] == "—"  # PCA reached no quotable operating point


def test_signal_summary_gives_mean_and_spread_over_seeds_of_one_scorer(tmp_path: Path) -> None:
    from anomaly_lab.results.summary import signal_summary

    pca = _pca()
    runs = [_signals_run(tmp_path / f"s{i}", "adc2021_vae", auc, pca) for i, auc in enumerate((0.8, 0.9, 0.85))]
    lines = signal_summary(runs, mean=True).splitlines()
    rows = {cells(line)[1]: cells(line)[2:] for line in lines[4:]}
    assert rows["adc2021_vae, reconstruction score"][:2] == ["3", "0.850 ± 0.050"]
    assert rows["adc2021_vae, reconstruction score"][3:] == ["25.00 ± 0.00 %"]  # TPR at test FPR 1e-3
    assert rows["PCA (3 components)"] == ["1", "0.600", "2.00 %", "—"]  # the same numbers in every run: once
    listed = signal_summary(runs).splitlines()  # without --mean: every run of a scorer on its own row
    assert [cells(line)[1] for line in listed[4:]] == [
        "adc2021_vae, reconstruction score", "adc2021_vae, reconstruction score (run 2)",
        "adc2021_vae, reconstruction score (run 3)", "PCA (3 components)", "adc2021_vae, kl score",
    ]  # fmt: skip


def _interval_run(run: Path, task: str, n_passing: int, threshold: float) -> Path:
    """A run recorded with intervals, from scores where exactly `n_passing` of 10 000 background events pass the cut
    at 30 % signal efficiency (100 signal events)."""
    background = np.linspace(0.0, 1.0, 10_000)
    background[:n_passing] = 3.0
    scores = np.r_[background, np.full(30, 2.0), np.linspace(0.0, 0.5, 70)]
    labels = np.repeat([0, 1], [10_000, 100])
    roc, flagged = RocCurve.of(scores, labels), scores > threshold
    m = {"task": task, "auroc": 0.9, "background_rejection": roc.rejection_at_tpr(0.3),
         "tpr_at_fpr": flagged[labels == 1].mean(), "fpr_at_threshold": flagged[labels == 0].mean(),
         "max_sic": roc.max_sic(), "n_test_background": 10_000, "n_test_signal": 100, "target_fpr": 0.05,
         "rejection_signal_efficiency": 0.3, **uncertainties(roc, flagged, labels, 0.3, 0.05)}  # fmt: skip
    write_json_atomic(run / "metrics.json", m)
    return run


def _ci(k: int, n: int) -> tuple[float, float]:
    ci = binomtest(k, n).proportion_ci(confidence_level=0.68, method="exact")
    return ci.low, ci.high


def test_rejections_come_with_intervals_and_are_withheld_on_fewer_than_ten_background_events(tmp_path: Path) -> None:
    runs = [_interval_run(tmp_path / "six", "six", 6, 2.5), _interval_run(tmp_path / "twelve", "twelve", 12, 1.5)]
    lines = table(runs).splitlines()
    six, twelve = cells(lines[2]), cells(lines[3])
    assert six[4] == "— (6 bkg)"  # 1667 on 6 events: withheld, the count said
    low, high = _ci(12, 10_000)
    assert twelve[4] == f"{10_000 / 12:.1f} [{1 / high:.1f}, {1 / low:.1f}]" == "833.3 [604.9, 1162.6]"
    low, high = _ci(30, 100)  # TPR at the validation threshold: 30 of 100 signal events
    assert twelve[5] == f"30.0 % [{100 * low:.1f}, {100 * high:.1f}]"
    assert six[6].startswith("0.1 % [") and six[6].endswith("] (6 bkg)")  # a test FPR on 6 events: marked
    assert not twelve[6].endswith("bkg)")
    assert lines[-2] == "" and "68 % Clopper-Pearson" in lines[-1] and "withheld" in lines[-1]


def test_runs_recorded_before_intervals_still_summarise_without_them(tmp_path: Path) -> None:
    old = write_metrics(tmp_path / "old", "old", 0.95, 80.0)
    new = _interval_run(tmp_path / "new", "new", 12, 1.5)
    lines = table([old, new]).splitlines()
    rows = {cells(line)[0]: cells(line) for line in lines[2:] if line.startswith("|") and cells(line)[1] == "model"}
    assert rows["old"][3:] == ["0.9500", "80.0", "25.0 %", "5.1 %", "—"]  # the numbers alone
    assert rows["new"][4].startswith("833.3 [")
    assert "68 % Clopper-Pearson" in lines[-1]  # the note, since one run has intervals
