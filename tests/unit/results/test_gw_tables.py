"""The GW study's tables read their numbers and labels from the runs' metrics.json, not from assumptions."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from anomaly_lab.io import save_arrays
from anomaly_lab.results.gw_tables import backgrounds_table, detectors_table, families_table


def row(lo: float, hi: float, n: int, eff: float) -> dict:
    return {"lo": lo, "hi": hi, "n": n, "n_flagged": round(n * eff), "efficiency": eff, "low": eff - 0.05,
            "high": min(eff + 0.05, 1.0)}  # fmt: skip


def write_run(path: Path, target_fpr: float = 0.05) -> Path:
    def groups(total: float, bbh: float, blip: float) -> dict:
        return {"snr": {"all": [row(4, 8, 20, total)], "bbh": [row(4, 8, 10, bbh)], "blip": [row(4, 8, 10, blip)]}}

    by = {"autoencoder": groups(0.5, 0.4, 0.6), "excess power": groups(0.7, 0.65, 0.75)}
    signal = {"tpr_at_threshold": 0.4, "n_signal": 10}
    m = {
        "task": path.name, "target_fpr": target_fpr, "tpr_at_fpr": 0.5, "fpr_at_threshold": 0.052,
        "n_test_signal": 20, "n_test_background": 40, "efficiency_by": by,
        "references": {"excess power": {"tpr_at_fpr": 0.7, "fpr_at_threshold": 0.049}},
        "signals": {"autoencoder": {"bbh": signal, "blip": signal | {"tpr_at_threshold": 0.6}},
                    "excess power": {"bbh": signal | {"tpr_at_threshold": 0.65}, "blip": signal}},
        "binned_distributions": {"snr": {"median": 5.5, "q10": 4.2, "q90": 7.8, "fraction_ge_8": 0.0},
                                 "snr_full": {"median": 9.1, "q10": 6.0, "q90": 14.0, "fraction_ge_8": 0.6}},
    }  # fmt: skip
    path.mkdir()
    (path / "metrics.json").write_text(json.dumps(m))
    return path


def test_detectors_table_has_a_row_per_run_with_each_scorer_and_both_snr_distributions(tmp_path: Path) -> None:
    runs = [write_run(tmp_path / "gw_population_aligo"), write_run(tmp_path / "gw_population_o2_v1")]
    text = detectors_table(runs)
    assert "threshold at 5 % FPR on validation noise" in text
    lines = [line for line in text.splitlines() if line.startswith("| gw_population")]
    assert [line.split(" | ")[0] for line in lines] == ["| gw_population_aligo", "| gw_population_o2_v1"]
    assert "50.0 % / 5.2 %" in lines[0] and "70.0 % / 4.9 %" in lines[0]
    assert "5.5 [4.2, 7.8], 0 % ≥ 8" in lines[0] and "9.1 [6.0, 14.0], 60 % ≥ 8" in lines[0]


def test_detectors_table_names_no_fpr_when_the_runs_aimed_at_different_ones(tmp_path: Path) -> None:
    runs = [write_run(tmp_path / "a", 0.05), write_run(tmp_path / "b", 0.01)]
    assert "FPR on validation noise" not in detectors_table(runs)


def test_families_table_lists_each_family_bin_by_bin_then_overall(tmp_path: Path) -> None:
    text = families_table(write_run(tmp_path / "run"))
    lines = text.splitlines()
    assert lines[0].startswith("| family | window SNR bin | n | autoencoder | excess power |")
    assert lines[2] == "| bbh | [4, 8) | 10 | 40.0 % [35.0, 45.0] | 65.0 % |"
    assert lines[3] == "| **bbh** | all | 10 | **40.0 %** | **65.0 %** |"
    assert lines[4].startswith("| blip | [4, 8) | 10 | 60.0 %") and lines[5].endswith("**40.0 %** |")


def test_families_table_refuses_a_variable_the_run_did_not_bin(tmp_path: Path) -> None:
    with pytest.raises(SystemExit, match="no efficiencies binned on 'snr_full'"):
        families_table(write_run(tmp_path / "run"), "snr_full")


def test_backgrounds_table_splits_the_fpr_by_glitches_in_the_window(tmp_path: Path) -> None:
    run = write_run(tmp_path / "glitchy")
    m = json.loads((run / "metrics.json").read_text())
    m["threshold"], m["references"]["excess power"]["threshold"] = 1.0, 2.0
    (run / "metrics.json").write_text(json.dumps(m))
    label = np.r_[np.zeros(6, int), np.ones(2, int)]
    glitch = np.array([0, 0, 0, 7.5, 9.0, 12.0, 0, 0])
    model = np.array([0.5, 1.5, 0.2, 0.1, 0.3, 0.9, 3, 3])  # above 1: one clean window, no glitch window
    power = np.array([0.5, 0.5, 0.5, 2.5, 3.0, 1.0, 3, 3])  # above 2: two of the three glitch windows
    save_arrays(
        run / "scores.h5", {"label": label, "score": model, "glitch_snr": glitch, "reference/excess power": power}
    )
    rows = [line for line in backgrounds_table([run]).splitlines() if line.startswith("| glitchy")]
    assert rows[0].endswith("| 33.3 % (1/3) | 0.0 % (0/3) |")
    assert rows[1].endswith("| 0.0 % (0/3) | 66.7 % (2/3) |")
    assert "| autoencoder | 40.0 % | 60.0 % |" in rows[0]
