"""report.md and metrics.json: written whole or not at all, and readable by a person."""

from __future__ import annotations

import json
import re
from pathlib import Path

import numpy as np
import pytest
from scipy.stats import binomtest

from anomaly_lab.evaluation.metrics import RocCurve, uncertainties
from anomaly_lab.results.figures import plot_training_curves
from anomaly_lab.results.report import write_json_atomic, write_report


def test_report_shows_metrics_tables_and_relative_figure_links(tmp_path: Path) -> None:
    fig = plot_training_curves(tmp_path / "none.csv", tmp_path / "figs" / "training.png")
    metrics = {
        "auroc": np.float64(0.912345),
        "n_test_signal": 4000,
        "target_fpr": None,
        "policy": "fpr",
        "efficiency": {"x": [1]},
        "edges": [8, 12, 20],
    }
    table = "| column | flagged |\n|---|---|\n| signal | 81.2 |"
    report = write_report(tmp_path, "Study", metrics, {"Flagged": table}, {"training": fig}, ["SNR in [8, 20]"])
    text = report.read_text()
    assert report == tmp_path / "report.md" and text.startswith("# Study\n")
    assert "| auroc | 0.9123 |" in text and "| n_test_signal | 4000 |" in text and "| target_fpr | — |" in text
    assert "| policy | fpr |" in text and "efficiency" not in text and "edges" not in text
    assert "## Flagged" in text and table in text
    # the data notes come first: every number below depends on them
    assert text.index("- SNR in [8, 20]") < text.index("## Metrics")
    links = re.findall(r"!\[training\]\((.+?)\)", text)
    assert links == ["figs/training.png"] and (tmp_path / links[0]).is_file()
    assert [p.name for p in tmp_path.iterdir() if p.suffix == ".tmp"] == []


def test_json_round_trips_numpy_and_turns_nan_into_null(tmp_path: Path) -> None:
    obj = {
        "a": np.float32(0.5),
        "b": np.int64(3),
        "c": np.arange(3),
        "d": float("nan"),
        "e": np.array([1.5, np.inf]),
        "f": np.bool_(True),
        "g": np.array(2.0),
        "h": {"nested": (np.float64(-np.inf), 1)},
    }
    path = write_json_atomic(tmp_path / "m.json", obj)
    assert json.loads(path.read_text()) == {
        "a": 0.5, "b": 3, "c": [0, 1, 2], "d": None, "e": [1.5, None], "f": True, "g": 2.0, "h": {"nested": [None, 1]}
    }  # fmt: skip
    assert '\n  "a": 0.5' in path.read_text()  # indent 2


def test_failed_json_write_leaves_no_file(tmp_path: Path) -> None:
    with pytest.raises(TypeError):
        write_json_atomic(tmp_path / "m.json", {"bad": object()})
    assert list(tmp_path.iterdir()) == []


def test_failed_json_write_keeps_the_previous_file_whole(tmp_path: Path) -> None:
    path = write_json_atomic(tmp_path / "m.json", {"auroc": 0.9})
    with pytest.raises(TypeError):
        write_json_atomic(path, {"bad": object()})
    assert json.loads(path.read_text()) == {"auroc": 0.9} and [p.name for p in tmp_path.iterdir()] == ["m.json"]


def _recorded(n_passing: int) -> dict:
    """Metrics as evaluation records them, from scores where exactly `n_passing` of 10 000 background events pass
    the cut at 30 % signal efficiency."""
    background = np.linspace(0.0, 1.0, 10_000)
    background[:n_passing] = 3.0
    scores = np.r_[background, np.full(30, 2.0), np.linspace(0.0, 0.5, 70)]
    labels = np.repeat([0, 1], [10_000, 100])
    roc, flagged = RocCurve.of(scores, labels), scores > 1.5
    return {"background_rejection": roc.rejection_at_tpr(0.3), "tpr_at_fpr": flagged[labels == 1].mean(),
            **uncertainties(roc, flagged, labels, 0.3, 0.05)}  # fmt: skip


def test_report_quotes_the_rejection_with_its_interval_or_withholds_it(tmp_path: Path) -> None:
    metrics = _recorded(12) | {"references": {"PCA": _recorded(6)}}
    text = write_report(tmp_path, "Study", metrics, {}, {}).read_text()
    assert "| background_rejection | 833.3 [604.9, 1163] |" in text  # 1/FPR with the inverted 68 % interval
    assert "| background_rejection_n_background_passing | 12 |" in text
    ci = binomtest(30, 100).proportion_ci(confidence_level=0.68, method="exact")
    assert f"| tpr_at_fpr | 0.3 [{ci.low:.4g}, {ci.high:.4g}] |" in text
    assert "Reference, PCA: background_rejection — (6 bkg), " in text  # 1667 on 6 events: withheld
    assert "68 % Clopper-Pearson" in text and "withheld" in text


def test_report_of_metrics_without_intervals_shows_the_numbers_alone(tmp_path: Path) -> None:
    text = write_report(tmp_path, "Study", {"background_rejection": 80.0, "tpr_at_fpr": 0.25}, {}, {}).read_text()
    assert "| background_rejection | 80 |" in text and "| tpr_at_fpr | 0.25 |" in text
    assert "Clopper-Pearson" not in text
